/**
 * The sign-in action's body limit, through the real route action on a seeded app: nothing has
 * checked a sign-in post (nobody is signed in yet), so it reads at most 16 KB of it, declared or
 * streamed. And the login throttles outlive a restart (migration 22). (The throttles' rules are
 * the Accounts service's, tested in accounts.test.ts.)
 */
import { Effect, Either } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as loginAction } from "../../app/routes/login.js";
import { Accounts, LOGIN_ADDRESS_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT } from "../../runtime/services/accounts.js";
import { makeAppRuntime } from "../../runtime/services/app-layer.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";

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

describe("the login throttles across a restart", () => {
  it("keep a locked account and a guessing address locked, and forget an account's failures once it signs in", async () => {
    const restarted = await startTestApp("login-restart");
    try {
      const login = (runtime: typeof restarted.runtime, email: string, password: string, from: string) =>
        runtime.runPromise(Effect.either(Effect.flatMap(Accounts, (a) => a.login(email, password, from))));
      const admin = restarted.config.adminEmail;
      for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) await login(restarted.runtime, admin, "wrong password", "198.51.100.1");
      // Another address guesses at many made-up accounts up to its own limit.
      for (let i = 0; i < LOGIN_ADDRESS_FAILURE_LIMIT; i++) await login(restarted.runtime, `nobody${i}@example.com`, "guess", "198.51.100.2");
      // A third account failed once, then signed in: nothing of it is kept.
      await login(restarted.runtime, "agent@parley.local", "wrong password", "198.51.100.3");
      expect(Either.isRight(await login(restarted.runtime, "agent@parley.local", TEST_ADMIN_PASSWORD, "198.51.100.3"))).toBe(true);
      expect(restarted.sqlite.prepare("SELECT scope, count FROM login_failures WHERE key IN (?, ?) ORDER BY scope").all(admin, "198.51.100.2")).toEqual([
        { scope: "address", count: LOGIN_ADDRESS_FAILURE_LIMIT },
        { scope: "email", count: LOGIN_FAILURE_LIMIT },
      ]);
      expect(restarted.sqlite.prepare("SELECT count(*) FROM login_failures WHERE key = 'agent@parley.local'").pluck().get()).toBe(0);

      await restarted.runtime.dispose();
      const again = makeAppRuntime(restarted.config);
      try {
        const locked = await login(again, admin, TEST_ADMIN_PASSWORD, "198.51.100.9");
        expect(Either.isLeft(locked) && locked.left._tag).toBe("RateLimited");
        const guessing = await login(again, "agent@parley.local", TEST_ADMIN_PASSWORD, "198.51.100.2");
        expect(Either.isLeft(guessing) && guessing.left._tag).toBe("RateLimited");
        // Anyone else signs in as before.
        expect(Either.isRight(await login(again, "agent@parley.local", TEST_ADMIN_PASSWORD, "198.51.100.3"))).toBe(true);
      } finally {
        await again.dispose();
      }
    } finally {
      await restarted.dispose().catch(() => undefined);
    }
  });
});
