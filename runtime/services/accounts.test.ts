import { Effect, Exit, Layer, ManagedRuntime, TestClock, TestContext } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Accounts,
  layer as accountsLayer,
  LOGIN_ADDRESS_FAILURE_LIMIT,
  LOGIN_FAILURE_LIMIT,
  LOGIN_FAILURE_WINDOW_MS,
  makeLoginThrottle,
  SESSION_TTL_MS,
  sessionKey,
  WRONG_CREDENTIALS,
  type User,
} from "./accounts.js";
import { Database, layer as databaseLayer } from "./database.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Accounts | Database, never>;
let admin: User;
const ADMIN_PASSWORD = "correct horse battery";

// TestContext gives a TestClock, so session expiry is tested without waiting 14 days.
const run = <A, E>(effect: Effect.Effect<A, E, Accounts | Database>) =>
  runtime.runPromise(effect.pipe(Effect.provide(TestContext.TestContext)));
const runExit = <A, E>(effect: Effect.Effect<A, E, Accounts | Database>) =>
  runtime.runPromiseExit(effect.pipe(Effect.provide(TestContext.TestContext)));

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got success");
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined;
  if (failure === undefined) throw new Error(`expected an expected failure, got ${String(exit.cause)}`);
  return failure;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-accounts-"));
  const db = databaseLayer({ path: join(dir, "test.sqlite") });
  runtime = ManagedRuntime.make(Layer.provideMerge(accountsLayer, db));
  const seeded = await run(
    Effect.flatMap(Accounts, (a) =>
      a.seedUser({ email: "Admin@Example.com ", name: "Ada Admin", role: "admin", password: ADMIN_PASSWORD }),
    ),
  );
  admin = seeded.user;
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("seedUser", () => {
  it("normalises the email and is idempotent", async () => {
    expect(admin.email).toBe("admin@example.com");
    expect(admin.role).toBe("admin");
    const again = await run(
      Effect.flatMap(Accounts, (a) => a.seedUser({ email: "admin@example.com", name: "Other", role: "agent", password: "something-else" })),
    );
    expect(again.created).toBe(false);
    expect(again.user.id).toBe(admin.id);
    expect(again.user.role).toBe("admin");
  });
});

describe("createUser", () => {
  it("creates a user an admin asks for, with the password hashed", async () => {
    const user = await run(
      Effect.flatMap(Accounts, (a) =>
        a.createUser(admin, { email: "agent1@example.com", name: "Agnes Agent", role: "agent", password: "agent-password" }),
      ),
    );
    expect(user).toMatchObject({ email: "agent1@example.com", name: "Agnes Agent", role: "agent", availability: "available" });
    const stored = await run(
      Effect.map(Database, (db) => db.sqlite.prepare("SELECT password_hash FROM users WHERE id = ?").get(user.id) as { password_hash: string }),
    );
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(stored.password_hash).not.toContain("agent-password");
  });

  it("reports every invalid field with its path", async () => {
    const exit = await runExit(
      Effect.flatMap(Accounts, (a) => a.createUser(admin, { email: "not-an-email", name: " ", role: "owner", password: "short" })),
    );
    const error = failureOf(exit);
    expect(error._tag).toBe("InvalidInput");
    const paths = error._tag === "InvalidInput" ? error.issues.map((i) => i.path).sort() : [];
    expect(paths).toEqual(["email", "name", "password", "role"]);
    const messages = error._tag === "InvalidInput" ? error.issues.map((i) => i.message).join(" | ") : "";
    expect(messages).toContain("at least 8 characters");
    expect(messages).toContain("admin, marketer, agent, analyst");
  });

  it("refuses a second user with the same email in any case (409)", async () => {
    const exit = await runExit(
      Effect.flatMap(Accounts, (a) =>
        a.createUser(admin, { email: "AGENT1@example.com", name: "Twin", role: "agent", password: "another-password" }),
      ),
    );
    expect(failureOf(exit)._tag).toBe("Conflict");
  });

  it("is for admins only", async () => {
    const agent = await run(Effect.flatMap(Accounts, (a) => a.login("agent1@example.com", "agent-password")));
    const exit = await runExit(
      Effect.flatMap(Accounts, (a) =>
        a.createUser(agent.user, { email: "x@example.com", name: "X", role: "admin", password: "password123" }),
      ),
    );
    expect(failureOf(exit)._tag).toBe("Forbidden");
    const users = await run(Effect.flatMap(Accounts, (a) => a.listUsers()));
    expect(users.map((u) => u.email)).not.toContain("x@example.com");
  });
});

describe("login, sessions and logout", () => {
  it("opens a session whose token resolves to the user and a CSRF token", async () => {
    const session = await run(Effect.flatMap(Accounts, (a) => a.login(" ADMIN@example.com", ADMIN_PASSWORD)));
    expect(session.user.id).toBe(admin.id);
    expect(session.token).toMatch(/^[0-9a-f]{64}$/);
    expect(session.csrfToken).not.toBe(session.token);
    const info = await run(Effect.flatMap(Accounts, (a) => a.getSession(session.token)));
    expect(info?.user.email).toBe("admin@example.com");
    expect(info?.csrfToken).toBe(session.csrfToken);
  });

  it("stores only a hash of the session token", async () => {
    const session = await run(Effect.flatMap(Accounts, (a) => a.login("admin@example.com", ADMIN_PASSWORD)));
    const ids = await run(
      Effect.map(Database, (db) => (db.sqlite.prepare("SELECT id FROM sessions").all() as Array<{ id: string }>).map((r) => r.id)),
    );
    expect(ids).toContain(sessionKey(session.token));
    expect(ids).not.toContain(session.token);
  });

  it("refuses a wrong password and an unknown email with the same message", async () => {
    const wrong = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.login("admin@example.com", "wrong password"))));
    const unknown = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.login("nobody@example.com", ADMIN_PASSWORD))));
    expect(wrong).toMatchObject({ _tag: "Unauthenticated", message: WRONG_CREDENTIALS });
    expect(unknown).toMatchObject({ _tag: "Unauthenticated", message: WRONG_CREDENTIALS });
  });

  it("spends scrypt time on unknown emails too", async () => {
    const time = async (email: string) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await runExit(Effect.flatMap(Accounts, (a) => a.login(email, "not the password")));
      return performance.now() - start;
    };
    // Warm up, then compare: without the dummy verify an unknown email would answer in well under 1 ms.
    await time("ghost@example.com");
    const known = await time("agent1@example.com");
    const unknown = await time("ghost@example.com");
    expect(unknown).toBeGreaterThan(known * 0.3);
    // A successful login clears agent1's failure count for the tests below.
    await run(Effect.flatMap(Accounts, (a) => a.login("agent1@example.com", "agent-password")));
  });

  it("expires a session after its lifetime", async () => {
    const info = await run(
      Effect.gen(function* () {
        const accounts = yield* Accounts;
        const session = yield* accounts.login("admin@example.com", ADMIN_PASSWORD);
        const fresh = yield* accounts.getSession(session.token);
        yield* TestClock.adjust(SESSION_TTL_MS + 1);
        const stale = yield* accounts.getSession(session.token);
        return { fresh, stale };
      }),
    );
    expect(info.fresh).not.toBeNull();
    expect(info.stale).toBeNull();
  });

  it("ends the session on logout", async () => {
    const after = await run(
      Effect.gen(function* () {
        const accounts = yield* Accounts;
        const session = yield* accounts.login("admin@example.com", ADMIN_PASSWORD);
        yield* accounts.logout(session.token);
        return yield* accounts.getSession(session.token);
      }),
    );
    expect(after).toBeNull();
    expect(await run(Effect.flatMap(Accounts, (a) => a.getSession("")))).toBeNull();
    expect(await run(Effect.flatMap(Accounts, (a) => a.getSession("forged-token")))).toBeNull();
  });

  it("throttles guessing per email, also for the right password, until the window passes", async () => {
    await run(
      Effect.flatMap(Accounts, (a) =>
        a.createUser(admin, { email: "guessed@example.com", name: "Gus", role: "analyst", password: "the-real-one" }),
      ),
    );
    const outcome = await run(
      Effect.gen(function* () {
        const accounts = yield* Accounts;
        for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) yield* Effect.exit(accounts.login("guessed@example.com", `guess-${i}`));
        const blocked = yield* Effect.exit(accounts.login("guessed@example.com", "the-real-one"));
        const otherUser = yield* Effect.exit(accounts.login("admin@example.com", ADMIN_PASSWORD));
        yield* TestClock.adjust(15 * 60 * 1000);
        const later = yield* Effect.exit(accounts.login("guessed@example.com", "the-real-one"));
        return { blocked, otherUser, later };
      }),
    );
    const blocked = failureOf(outcome.blocked);
    expect(blocked._tag).toBe("RateLimited");
    expect(blocked._tag === "RateLimited" && blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect(Exit.isSuccess(outcome.otherUser)).toBe(true);
    expect(Exit.isSuccess(outcome.later)).toBe(true);
  });

  it("throttles one address spraying passwords over many emails, without locking other addresses out", async () => {
    const outcome = await run(
      Effect.gen(function* () {
        const accounts = yield* Accounts;
        // Each email stays under its own limit; the address passes its limit.
        for (let i = 0; i < LOGIN_ADDRESS_FAILURE_LIMIT; i++) yield* Effect.exit(accounts.login(`user${i}@example.com`, "Summer2026!", "203.0.113.9"));
        const sprayer = yield* Effect.exit(accounts.login("admin@example.com", ADMIN_PASSWORD, "203.0.113.9"));
        const colleague = yield* Effect.exit(accounts.login("admin@example.com", ADMIN_PASSWORD, "198.51.100.7"));
        // A success elsewhere does not clear the sprayer's count.
        const stillBlocked = yield* Effect.exit(accounts.login("admin@example.com", ADMIN_PASSWORD, "203.0.113.9"));
        yield* TestClock.adjust(15 * 60 * 1000);
        const later = yield* Effect.exit(accounts.login("admin@example.com", ADMIN_PASSWORD, "203.0.113.9"));
        return { sprayer, colleague, stillBlocked, later };
      }),
    );
    expect(failureOf(outcome.sprayer)._tag).toBe("RateLimited");
    expect(Exit.isSuccess(outcome.colleague)).toBe(true);
    expect(failureOf(outcome.stillBlocked)._tag).toBe("RateLimited");
    expect(Exit.isSuccess(outcome.later)).toBe(true);
  });
});

describe("profiles", () => {
  it("lets a user edit their own profile; empty fields clear values", async () => {
    const agent = (await run(Effect.flatMap(Accounts, (a) => a.login("agent1@example.com", "agent-password")))).user;
    const edited = await run(
      Effect.flatMap(Accounts, (a) =>
        a.updateUser(agent, agent.id, {
          displayName: "  Agnes  ",
          avatarUrl: "https://example.com/agnes.png",
          meetingLink: "https://cal.example.com/agnes",
          availability: "away",
        }),
      ),
    );
    expect(edited).toMatchObject({
      displayName: "Agnes",
      avatarUrl: "https://example.com/agnes.png",
      meetingLink: "https://cal.example.com/agnes",
      availability: "away",
    });
    const cleared = await run(Effect.flatMap(Accounts, (a) => a.updateUser(agent, agent.id, { avatarUrl: "", meetingLink: null })));
    expect(cleared).toMatchObject({ displayName: "Agnes", avatarUrl: null, meetingLink: null, availability: "away" });
  });

  it("rejects a URL that is not http(s) and someone else's profile", async () => {
    const agent = (await run(Effect.flatMap(Accounts, (a) => a.login("agent1@example.com", "agent-password")))).user;
    const bad = failureOf(
      await runExit(Effect.flatMap(Accounts, (a) => a.updateUser(agent, agent.id, { avatarUrl: "javascript:alert(1)" }))),
    );
    expect(bad._tag === "InvalidInput" && bad.issues[0]).toMatchObject({ path: "avatarUrl" });
    const other = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.updateUser(agent, admin.id, { displayName: "Hacked" }))));
    expect(other._tag).toBe("Forbidden");
    const byAdmin = await run(Effect.flatMap(Accounts, (a) => a.updateUser(admin, agent.id, { availability: "available" })));
    expect(byAdmin.availability).toBe("available");
    const missing = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.updateUser(admin, "usr_missing", {}))));
    expect(missing._tag).toBe("NotFound");
  });

  it("lists users with admins first and no password hashes", async () => {
    const users = await run(Effect.flatMap(Accounts, (a) => a.listUsers()));
    expect(users[0]?.role).toBe("admin");
    expect(users.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(users)).not.toContain("scrypt$");
  });
});

describe("passwords", () => {
  const hashOf = (userId: string) =>
    run(Effect.map(Database, (db) => (db.sqlite.prepare("SELECT password_hash FROM users WHERE id = ?").get(userId) as { password_hash: string }).password_hash));
  const newUser = (email: string, password: string, role = "agent") =>
    run(Effect.flatMap(Accounts, (a) => a.createUser(admin, { email, name: email.split("@")[0], role, password })));
  const login = (email: string, password: string) => run(Effect.flatMap(Accounts, (a) => a.login(email, password)));
  const sessionOf = (token: string) => run(Effect.flatMap(Accounts, (a) => a.getSession(token)));
  const issuesOf = (error: { _tag: string }) => (error._tag === "InvalidInput" ? (error as unknown as { issues: ReadonlyArray<unknown> }).issues : []);

  it("changes one's own password: the new one signs in, the old one not, and only the other sessions end", async () => {
    const user = await newUser("changer@example.com", "first-password");
    const here = await login("changer@example.com", "first-password");
    const elsewhere = await login("changer@example.com", "first-password");
    const result = await run(
      Effect.flatMap(Accounts, (a) =>
        a.changePassword(here.user, { currentPassword: "first-password", newPassword: "second-password", confirmPassword: "second-password" }, here.token),
      ),
    );
    expect(result).toEqual({ endedSessions: 1 });
    expect(await sessionOf(here.token)).not.toBeNull();
    expect(await sessionOf(elsewhere.token)).toBeNull();
    expect((await login("changer@example.com", "second-password")).user.id).toBe(user.id);
    expect(failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.login("changer@example.com", "first-password"))))).toMatchObject({
      _tag: "Unauthenticated",
      message: WRONG_CREDENTIALS,
    });
  });

  it("refuses a wrong current password, a short new one and a confirmation that differs, changing nothing", async () => {
    const user = await newUser("careful@example.com", "kept-password");
    const session = await login("careful@example.com", "kept-password");
    const other = await login("careful@example.com", "kept-password");
    const before = await hashOf(user.id);
    const change = (input: unknown) => runExit(Effect.flatMap(Accounts, (a) => a.changePassword(session.user, input, session.token)));

    expect(issuesOf(failureOf(await change({ currentPassword: "wrong-password", newPassword: "new-password", confirmPassword: "new-password" })))).toEqual([
      { path: "currentPassword", message: "this is not your current password" },
    ]);
    expect(issuesOf(failureOf(await change({ currentPassword: "kept-password", newPassword: "short", confirmPassword: "short" })))).toEqual([
      { path: "newPassword", message: "a password has at least 8 characters" },
    ]);
    expect(issuesOf(failureOf(await change({ currentPassword: "kept-password", newPassword: "new-password", confirmPassword: "new-passw0rd" })))).toEqual([
      { path: "confirmPassword", message: "the two new passwords differ" },
    ]);
    expect(await hashOf(user.id)).toBe(before);
    expect(await sessionOf(other.token)).not.toBeNull();
    expect((await login("careful@example.com", "kept-password")).user.id).toBe(user.id);
  });

  it("counts a wrong current password as a failed login, so it cannot get round the limit", async () => {
    const user = await newUser("prober@example.com", "real-password");
    const outcome = await run(
      Effect.gen(function* () {
        const accounts = yield* Accounts;
        const change = (current: string) =>
          Effect.exit(accounts.changePassword(user, { currentPassword: current, newPassword: "new-password", confirmPassword: "new-password" }, ""));
        for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) yield* change(`guess-${i}`);
        const blockedChange = yield* change("real-password");
        const blockedLogin = yield* Effect.exit(accounts.login("prober@example.com", "real-password"));
        yield* TestClock.adjust(15 * 60 * 1000);
        const later = yield* Effect.exit(accounts.login("prober@example.com", "real-password"));
        return { blockedChange, blockedLogin, later };
      }),
    );
    expect(failureOf(outcome.blockedChange)._tag).toBe("RateLimited");
    expect(failureOf(outcome.blockedLogin)._tag).toBe("RateLimited");
    expect(Exit.isSuccess(outcome.later)).toBe(true);
  });

  it("lets an admin set someone's password, which ends all their sessions; nobody else may", async () => {
    const user = await newUser("forgetful@example.com", "forgotten-pass");
    const session = await login("forgetful@example.com", "forgotten-pass");
    const before = await hashOf(user.id);
    const forbidden = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.setPassword(session.user, user.id, { password: "chosen-by-me" }))));
    expect(forbidden).toMatchObject({ _tag: "Forbidden", message: "Only admins can set someone's password." });
    const short = failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.setPassword(admin, user.id, { password: "1234567" }))));
    expect(issuesOf(short)).toEqual([{ path: "password", message: "a password has at least 8 characters" }]);
    expect(failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.setPassword(admin, "usr_missing", { password: "temporary-pass" }))))._tag).toBe(
      "NotFound",
    );
    expect(await hashOf(user.id)).toBe(before);
    expect(await sessionOf(session.token)).not.toBeNull();

    expect(await run(Effect.flatMap(Accounts, (a) => a.setPassword(admin, user.id, { password: "temporary-pass" })))).toEqual({ endedSessions: 1 });
    expect(await sessionOf(session.token)).toBeNull();
    expect((await login("forgetful@example.com", "temporary-pass")).user.id).toBe(user.id);
  });
});

describe("disabled users", () => {
  it("are refused at login with the usual message, lose their sessions, and are listed only on request", async () => {
    const user = (await run(
      Effect.flatMap(Accounts, (a) => a.createUser(admin, { email: "leaver@example.com", name: "Lee Leaver", role: "agent", password: "leaver-password" })),
    ));
    const session = await run(Effect.flatMap(Accounts, (a) => a.login("leaver@example.com", "leaver-password")));
    await run(Effect.map(Database, (db) => db.sqlite.prepare("UPDATE users SET disabled_at = 5 WHERE id = ?").run(user.id)));
    expect(await run(Effect.flatMap(Accounts, (a) => a.getSession(session.token)))).toBeNull();
    expect(failureOf(await runExit(Effect.flatMap(Accounts, (a) => a.login("leaver@example.com", "leaver-password"))))).toMatchObject({
      _tag: "Unauthenticated",
      message: WRONG_CREDENTIALS,
    });
    expect((await run(Effect.flatMap(Accounts, (a) => a.listUsers()))).map((u) => u.id)).not.toContain(user.id);
    const all = await run(Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })));
    expect(all.find((u) => u.id === user.id)?.disabledAt).toBe(5);
    expect((await run(Effect.flatMap(Accounts, (a) => a.getUser(user.id)))).disabledAt).toBe(5);
  });
});

describe("the login throttle when full", () => {
  const lockOut = (throttle: ReturnType<typeof makeLoginThrottle>, key: string, now: number) => {
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) throttle.fail(key, now);
  };

  it("keeps a locked account locked while a spray of made-up emails fills it", () => {
    const throttle = makeLoginThrottle(100);
    lockOut(throttle, "victim@example.com", 0);
    expect(throttle.check("victim@example.com", 1)?._tag).toBe("RateLimited");
    for (let i = 0; i < 1000; i++) throttle.fail(`spray${i}@example.com`, 1 + i);
    expect(throttle.size()).toBeLessThanOrEqual(100);
    expect(throttle.check("victim@example.com", 2000)?._tag).toBe("RateLimited");
    // The newest guesses are still counted; the oldest unlocked ones were forgotten.
    throttle.fail("spray999@example.com", 2001);
    expect(throttle.check("spray0@example.com", 2002)).toBeUndefined();
  });

  it("forgets expired entries first, and a lock ends with its window", () => {
    const throttle = makeLoginThrottle(10);
    lockOut(throttle, "a@example.com", 0);
    for (let i = 0; i < 9; i++) throttle.fail(`old${i}@example.com`, 0);
    const later = LOGIN_FAILURE_WINDOW_MS + 1;
    throttle.fail("new@example.com", later);
    expect(throttle.size()).toBe(1);
    expect(throttle.check("a@example.com", later)).toBeUndefined();
  });

  it("when every entry is a lock, forgets the oldest locks, not the newest", () => {
    const throttle = makeLoginThrottle(10);
    for (let i = 0; i < 10; i++) lockOut(throttle, `locked${i}@example.com`, i);
    lockOut(throttle, "newest@example.com", 20);
    expect(throttle.size()).toBeLessThanOrEqual(10);
    expect(throttle.check("newest@example.com", 21)?._tag).toBe("RateLimited");
    expect(throttle.check("locked9@example.com", 21)?._tag).toBe("RateLimited");
    expect(throttle.check("locked0@example.com", 21)).toBeUndefined();
  });
});
