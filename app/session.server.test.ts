import { describe, expect, it } from "vitest";
import { safeRedirect } from "./session.server.js";

describe("safeRedirect", () => {
  it("keeps same-site paths", () => {
    expect(safeRedirect("/inbox?status=open", "/")).toBe("/inbox?status=open");
  });

  it.each([null, undefined, "", "https://evil.example/", "//evil.example/", "/\\evil.example", "inbox"])(
    "falls back for %s",
    (to) => {
      expect(safeRedirect(to, "/flows")).toBe("/flows");
    },
  );
});
