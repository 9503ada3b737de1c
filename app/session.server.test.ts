import { describe, expect, it } from "vitest";
import { MAX_FORM_POST_BYTES, safeRedirect, verifyCsrf } from "./session.server.js";

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

describe("verifyCsrf", () => {
  const TOKEN = "t".repeat(43);
  const post = (body: BodyInit, headers: Record<string, string>) => new Request("http://parley.test/inbox/c1", { method: "POST", body, headers });
  const refused = async (request: Request) => {
    const outcome = await verifyCsrf(request, TOKEN).then(
      () => null,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(Response);
    expect((outcome as Response).status).toBe(403);
  };

  it("takes the token from a form body that declares its length", async () => {
    const body = new URLSearchParams({ csrf: TOKEN, intent: "reply" }).toString();
    await expect(verifyCsrf(post(body, { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) }), TOKEN)).resolves.toBeUndefined();
    await refused(post(body.replace(TOKEN, "x".repeat(43)), { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) }));
  });

  it("stops reading a form body past what any form takes, declared or streamed", async () => {
    const body = new URLSearchParams({ csrf: TOKEN }).toString();
    await refused(post(body, { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(MAX_FORM_POST_BYTES + 1) }));
    // No declared length: read as it streams, until the limit.
    await expect(verifyCsrf(post(body, { "Content-Type": "application/x-www-form-urlencoded" }), TOKEN)).resolves.toBeUndefined();
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024 * 1024;
        controller.enqueue(new Uint8Array(1024 * 1024).fill(0x61));
      },
    });
    const streamed = new Request("http://parley.test/inbox/c1", {
      method: "POST",
      body: endless,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      duplex: "half",
    } as RequestInit);
    await refused(streamed);
    // It stopped: a few chunks the streams pulled ahead, not the endless body.
    expect(sent).toBeLessThanOrEqual(MAX_FORM_POST_BYTES + 8 * 1024 * 1024);
  });

  it("takes the token from the header whatever the body", async () => {
    await expect(verifyCsrf(post("{}", { "Content-Type": "application/json", "X-CSRF-Token": TOKEN }), TOKEN)).resolves.toBeUndefined();
  });
});
