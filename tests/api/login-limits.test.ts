/**
 * The sign-in action's body limit, through the real route action on a seeded app: nothing has
 * checked a sign-in post (nobody is signed in yet), so it reads at most 16 KB of it, declared or
 * streamed. (The per-address throttle is the Accounts service's, tested in accounts.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as loginAction } from "../../app/routes/login.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("login-limits");
});

afterAll(async () => {
  await app?.dispose();
});

const signIn = (body: BodyInit, headers: Record<string, string>, clientIp = "192.0.2.10") =>
  loginAction({
    request: new Request("http://parley.test/login", { method: "POST", body, headers, duplex: "half" } as RequestInit),
    context: { runtime: app.runtime, clientIp },
    params: {},
  }) as Promise<{ init: { status?: number } | null; data: { formError: string } }>;

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

describe("POST /login", () => {
  it("refuses a body past 16 KB, declared or streamed, with 413 and reads no further", async () => {
    const big = new URLSearchParams({ email: "admin@parley.local", password: "x".repeat(20_000) }).toString();
    const declared = await signIn(big, { ...FORM, "Content-Length": String(big.length) });
    expect(declared.init?.status).toBe(413);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
      },
    });
    const streamed = await signIn(endless, FORM);
    expect(streamed.init?.status).toBe(413);
    expect(streamed.data.formError).toMatch(/too large/);
    expect(sent).toBeLessThan(1024 * 1024);
  });

  it("reads a normal sign-in post (here refused for its missing token, as before)", async () => {
    const body = new URLSearchParams({ email: "admin@parley.local", password: "whatever-password", csrf: "nope" }).toString();
    const answer = await signIn(body, FORM);
    expect(answer.init?.status).toBe(403);
    expect(answer.data.formError).toMatch(/expired/);
  });
});
