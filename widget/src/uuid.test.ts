import { describe, expect, it } from "vitest";
import { webcrypto } from "node:crypto";
import { randomUuid } from "./uuid.js";

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("randomUuid", () => {
  it("uses crypto.randomUUID when there is one", () => {
    expect(randomUuid({ randomUUID: () => "from-crypto" })).toBe("from-crypto");
  });

  it("builds a version-4 UUID from getRandomValues without randomUUID (plain-http pages)", () => {
    const ids = new Set(Array.from({ length: 200 }, () => randomUuid({ getRandomValues: (a) => webcrypto.getRandomValues(a) })));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(V4);
  });

  it("still gives a version-4 UUID with no crypto at all", () => {
    expect(randomUuid({})).toMatch(V4);
    expect(randomUuid(undefined as never)).toMatch(V4);
  });
});
