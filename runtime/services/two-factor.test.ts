import { Effect, Exit, Layer, ManagedRuntime, TestClock, TestContext } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts, layer as accountsLayer, LOGIN_FAILURE_LIMIT, REQUIRE_TWO_FACTOR_SETTING, type User } from "./accounts.js";
import * as Config from "./config.js";
import { Database, layer as databaseLayer } from "./database.js";
import { deriveKey, open, seal } from "./secret-box.js";
import {
  RECOVERY_CODE_COUNT,
  SECRET_UNREADABLE,
  TwoFactor,
  layer as twoFactorLayer,
  timeStep,
  totpCode,
  TOTP_PERIOD_S,
  WRONG_CODE,
} from "./two-factor.js";

type Services = Accounts | Database | TwoFactor;
const SECRET = "s".repeat(64);
const PASSWORD = "correct horse battery";
/** A fixed instant in the middle of a 30-second step (so ±1 step is exactly one code either side). */
const T = 1_800_000_000_000 + 15_000;
const STEP_MS = TOTP_PERIOD_S * 1000;

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
let admin: User;

const appLayer = (path: string, sessionSecret: string) => {
  const config = Config.loadConfig({ DATABASE_PATH: path, SESSION_SECRET: sessionSecret });
  const base = Layer.mergeAll(databaseLayer({ path }), Config.layer(config));
  const accounts = accountsLayer;
  return Layer.mergeAll(accounts, twoFactorLayer.pipe(Layer.provide(accounts))).pipe(Layer.provideMerge(base));
};

/** Runs `effect` with the clock fixed at `at` (epoch ms). */
const runAt = <A, E>(at: number, effect: Effect.Effect<A, E, Services>, on = runtime) =>
  on.runPromiseExit(Effect.zipRight(TestClock.setTime(at), effect).pipe(Effect.provide(TestContext.TestContext)));
const okAt = async <A, E>(at: number, effect: Effect.Effect<A, E, Services>, on = runtime): Promise<A> => {
  const exit = await runAt(at, effect, on);
  if (Exit.isFailure(exit)) throw new Error(`expected success, got ${String(exit.cause)}`);
  return exit.value;
};
const failAt = async <A, E>(at: number, effect: Effect.Effect<A, E, Services>, on = runtime): Promise<E> => {
  const exit = await runAt(at, effect, on);
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got success");
  if (exit.cause._tag !== "Fail") throw new Error(`expected an expected failure, got ${String(exit.cause)}`);
  return exit.cause.error;
};
const tf = <A, E>(f: (t: typeof TwoFactor.Service) => Effect.Effect<A, E, Services>) => Effect.flatMap(TwoFactor, f);
const acc = <A, E>(f: (a: typeof Accounts.Service) => Effect.Effect<A, E, Services>) => Effect.flatMap(Accounts, f);
const sql = <T>(query: string, ...args: unknown[]) => okAt(T, Effect.map(Database, (db) => db.sqlite.prepare(query).get(...args) as T));

let userCount = 0;
/** A new agent with the shared password. */
const newUser = (at = T) =>
  okAt(
    at,
    acc((a) => a.createUser(admin, { email: `person${++userCount}@example.com`, name: `Person ${userCount}`, role: "agent", password: PASSWORD })),
  );

/** A new user with two-factor sign-in on (set up at `at`): the user, the secret, the recovery codes. */
const enrolled = async (at = T) => {
  const user = await newUser(at);
  const setup = await okAt(at, tf((t) => t.startSetup(user)));
  const { recoveryCodes } = await okAt(at, tf((t) => t.confirmSetup(user, { code: totpCode(setup.secret, at) })));
  return { user, secret: setup.secret, recoveryCodes };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-two-factor-"));
  runtime = ManagedRuntime.make(appLayer(join(dir, "test.sqlite"), SECRET));
  admin = (await okAt(T, acc((a) => a.seedUser({ email: "admin@example.com", name: "Ada Admin", role: "admin", password: PASSWORD })))).user;
});
afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("secret-box", () => {
  it("opens what it sealed, and nothing tampered with, bound to another context or sealed under another key", () => {
    const key = deriveKey(SECRET, "two-factor totp secret");
    const sealed = seal(key, "usr_1", "JBSWY3DPEHPK3PXP");
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(open(key, "usr_1", sealed)).toBe("JBSWY3DPEHPK3PXP");
    // A fresh IV each time: the same secret never seals to the same text.
    expect(seal(key, "usr_1", "JBSWY3DPEHPK3PXP")).not.toBe(sealed);
    const [v, iv, body, tag] = sealed.split(".") as [string, string, string, string];
    const flipped = body.slice(0, -2) + (body.at(-2) === "A" ? "B" : "A") + body.at(-1);
    expect(open(key, "usr_1", [v, iv, flipped, tag].join("."))).toBeNull();
    expect(open(key, "usr_1", [v, iv, body, tag.slice(0, -2) + (tag.at(-2) === "A" ? "B" : "A") + tag.at(-1)].join("."))).toBeNull();
    expect(open(key, "usr_2", sealed)).toBeNull();
    expect(open(deriveKey("t".repeat(64), "two-factor totp secret"), "usr_1", sealed)).toBeNull();
    expect(open(deriveKey(SECRET, "another purpose"), "usr_1", sealed)).toBeNull();
    expect(open(key, "usr_1", "not sealed")).toBeNull();
  });
});

describe("setting up", () => {
  it("shows a secret and an otpauth URI, turns on with a current code, and returns 10 recovery codes once", async () => {
    const user = await newUser();
    expect(await okAt(T, tf((t) => t.pendingSetup(user)))).toBeNull();
    const setup = await okAt(T, tf((t) => t.startSetup(user)));
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe(`/Parley:${user.email}`);
    expect(uri.searchParams.get("issuer")).toBe("Parley");
    expect(uri.searchParams.get("secret")).toBe(setup.secret);
    expect(await okAt(T, tf((t) => t.pendingSetup(user)))).toEqual(setup);
    // Stored sealed, not in clear; not on yet.
    const row = await sql<{ secret: string; enabled_at: number | null }>("SELECT secret, enabled_at FROM two_factor WHERE user_id = ?", user.id);
    expect(row.secret).not.toContain(setup.secret);
    expect(open(deriveKey(SECRET, "two-factor totp secret"), user.id, row.secret)).toBe(setup.secret);
    expect(row.enabled_at).toBeNull();
    expect(await okAt(T, tf((t) => t.status(user.id)))).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 });

    expect(await failAt(T, tf((t) => t.confirmSetup(user, { code: "12345" })))).toMatchObject({
      _tag: "InvalidInput",
      issues: [{ path: "code", message: "enter the 6-digit code from your authenticator app" }],
    });
    const wrong = totpCode(setup.secret, T + 5 * STEP_MS);
    expect(await failAt(T, tf((t) => t.confirmSetup(user, { code: wrong })))).toMatchObject({ _tag: "InvalidInput", issues: [{ path: "code" }] });

    const code = totpCode(setup.secret, T);
    const { recoveryCodes } = await okAt(T, tf((t) => t.confirmSetup(user, { code: `${code.slice(0, 3)} ${code.slice(3)}` })));
    expect(recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(recoveryCodes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    // Only hashes are kept.
    const stored = await okAt(T, Effect.map(Database, (db) => db.sqlite.prepare("SELECT code_hash FROM two_factor_recovery_codes WHERE user_id = ?").pluck().all(user.id)));
    expect(stored).toHaveLength(RECOVERY_CODE_COUNT);
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes[0]!.replace("-", ""));
    expect(await okAt(T, tf((t) => t.status(user.id)))).toEqual({ enabled: true, enabledAt: T, recoveryCodesLeft: 10 });
    expect(await okAt(T, tf((t) => t.pendingSetup(user)))).toBeNull();
    expect(await failAt(T, tf((t) => t.startSetup(user)))).toMatchObject({ _tag: "Conflict" });
    expect(await sql("SELECT type, user_id FROM events WHERE type = 'two_factor_enabled' AND user_id = ?", user.id)).toEqual({
      type: "two_factor_enabled",
      user_id: user.id,
    });
  });

  it("cannot confirm a setup that was not started, and starting over gives a new secret", async () => {
    const user = await newUser();
    expect(await failAt(T, tf((t) => t.confirmSetup(user, { code: "123456" })))).toMatchObject({ _tag: "Conflict" });
    const first = await okAt(T, tf((t) => t.startSetup(user)));
    const second = await okAt(T, tf((t) => t.startSetup(user)));
    expect(second.secret).not.toBe(first.secret);
    expect(await failAt(T, tf((t) => t.confirmSetup(user, { code: totpCode(first.secret, T) })))).toMatchObject({ _tag: "InvalidInput" });
    await okAt(T, tf((t) => t.cancelSetup(user)));
    expect(await okAt(T, tf((t) => t.pendingSetup(user)))).toBeNull();
  });
});

describe("signing in with a second factor", () => {
  it("opens no session on the password alone; the current code opens one", async () => {
    const { user, secret } = await enrolled(T - 10 * STEP_MS);
    const refused = await failAt(T, acc((a) => a.login(user.email, PASSWORD)));
    expect(refused).toMatchObject({ _tag: "SecondFactorRequired", userId: user.id });
    const sessions = await sql<{ n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?", user.id);
    expect(sessions.n).toBe(0);
    const done = await okAt(T, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, T) }, "192.0.2.1")));
    expect(done.proof).toEqual({ method: "totp" });
    expect(done.session.user.id).toBe(user.id);
    expect(await okAt(T, acc((a) => a.getSession(done.session.token)))).toMatchObject({ user: { id: user.id } });
  });

  it("accepts the step before and after now, not two away, and refuses a code of a step already used (replay)", async () => {
    const { user, secret } = await enrolled(T - 10 * STEP_MS);
    const login = (code: string, at = T) => runAt(at, tf((t) => t.completeLogin(user.id, { code })));
    expect(Exit.isFailure(await login(totpCode(secret, T - 2 * STEP_MS)))).toBe(true);
    expect(Exit.isFailure(await login(totpCode(secret, T + 2 * STEP_MS)))).toBe(true);
    // A phone's clock 30 s behind.
    expect(Exit.isSuccess(await login(totpCode(secret, T - STEP_MS)))).toBe(true);
    // The same code again, in the same step: refused.
    const replay = await failAt(T, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, T - STEP_MS) })));
    expect(replay).toMatchObject({ _tag: "Unauthenticated", message: WRONG_CODE });
    // A phone 30 s ahead: the next step's code is accepted, and the current one is then refused (older than the last used).
    expect(Exit.isSuccess(await login(totpCode(secret, T + STEP_MS)))).toBe(true);
    expect(Exit.isFailure(await login(totpCode(secret, T)))).toBe(true);
    expect((await sql<{ last_step: number }>("SELECT last_step FROM two_factor WHERE user_id = ?", user.id)).last_step).toBe(timeStep(T) + 1);
    // Two steps later the newest code is fine again.
    expect(Exit.isSuccess(await login(totpCode(secret, T + 2 * STEP_MS), T + 2 * STEP_MS))).toBe(true);
  });

  it("takes each recovery code once, in any case and with or without its dash, and says how many are left", async () => {
    const { user, recoveryCodes } = await enrolled(T - 10 * STEP_MS);
    const [first, second] = recoveryCodes as [string, string];
    const used = await okAt(T, tf((t) => t.completeLogin(user.id, { code: first })));
    expect(used.proof).toEqual({ method: "recovery", recoveryCodesLeft: 9 });
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: first })))).toMatchObject({ _tag: "Unauthenticated", message: WRONG_CODE });
    const again = await okAt(T, tf((t) => t.completeLogin(user.id, { code: ` ${second.toUpperCase().replace("-", "")} ` })));
    expect(again.proof).toEqual({ method: "recovery", recoveryCodesLeft: 8 });
    expect(await okAt(T, tf((t) => t.status(user.id)))).toMatchObject({ recoveryCodesLeft: 8 });
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: "not a code" })))).toMatchObject({
      _tag: "InvalidInput",
      issues: [{ path: "code" }],
    });
  });

  it("counts wrong codes with the password throttle, and the right password alone does not clear them", async () => {
    const { user, secret } = await enrolled(T - 10 * STEP_MS);
    const wrong = totpCode(secret, T + 5 * STEP_MS);
    for (let i = 0; i < LOGIN_FAILURE_LIMIT - 1; i++) {
      expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: wrong })))).toMatchObject({ _tag: "Unauthenticated" });
      // Each time the attacker knows the password: it must not reset the count.
      expect(await failAt(T, acc((a) => a.login(user.email, PASSWORD)))).toMatchObject({ _tag: "SecondFactorRequired" });
    }
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: wrong })))).toMatchObject({ _tag: "Unauthenticated" });
    // Locked: the right code and the right password are both refused now.
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, T) })))).toMatchObject({ _tag: "RateLimited" });
    expect(await failAt(T, acc((a) => a.login(user.email, PASSWORD)))).toMatchObject({ _tag: "RateLimited" });
    // The window passes.
    const later = T + 15 * 60 * 1000;
    expect(await okAt(later, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, later) })))).toMatchObject({ proof: { method: "totp" } });
  });

  it("refuses a user disabled between the two steps", async () => {
    const { user, secret } = await enrolled(T - 10 * STEP_MS);
    await okAt(T, Effect.flatMap(Database, (db) => db.writeEffect((s) => s.prepare("UPDATE users SET disabled_at = 1 WHERE id = ?").run(user.id))));
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, T) })))).toMatchObject({ _tag: "Unauthenticated" });
  });

  it("after SESSION_SECRET changed, says the key cannot be read, and recovery codes still work", async () => {
    const { user, secret, recoveryCodes } = await enrolled(T - 10 * STEP_MS);
    const other = ManagedRuntime.make(appLayer(join(dir, "test.sqlite"), "o".repeat(64)));
    try {
      expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: totpCode(secret, T) })), other)).toMatchObject({
        _tag: "Unauthenticated",
        message: SECRET_UNREADABLE,
      });
      expect(await okAt(T, tf((t) => t.completeLogin(user.id, { code: recoveryCodes[0]! })), other)).toMatchObject({
        proof: { method: "recovery", recoveryCodesLeft: 9 },
      });
    } finally {
      await other.dispose();
    }
  });
});

describe("turning off, new recovery codes, an admin's reset", () => {
  it("turns off with a current code or the password, refusing wrong ones by field", async () => {
    const a = await enrolled(T - 10 * STEP_MS);
    expect(await failAt(T, tf((t) => t.disable(a.user, {})))).toMatchObject({ _tag: "InvalidInput", issues: [{ path: "code" }] });
    expect(await failAt(T, tf((t) => t.disable(a.user, { password: "wrong password" })))).toMatchObject({
      _tag: "InvalidInput",
      issues: [{ path: "password", message: "this is not your password" }],
    });
    expect(await failAt(T, tf((t) => t.disable(a.user, { code: totpCode(a.secret, T + 9 * STEP_MS) })))).toMatchObject({
      _tag: "InvalidInput",
      issues: [{ path: "code" }],
    });
    await okAt(T, tf((t) => t.disable(a.user, { code: totpCode(a.secret, T), password: "" })));
    expect(await okAt(T, tf((t) => t.status(a.user.id)))).toMatchObject({ enabled: false, recoveryCodesLeft: 0 });
    expect(await failAt(T, tf((t) => t.disable(a.user, { password: PASSWORD })))).toMatchObject({ _tag: "Conflict" });
    // Off: the password alone signs in again.
    expect(await okAt(T, acc((x) => x.login(a.user.email, PASSWORD)))).toMatchObject({ user: { id: a.user.id } });

    const b = await enrolled(T - 10 * STEP_MS);
    await okAt(T, tf((t) => t.disable(b.user, { password: PASSWORD })));
    expect(await okAt(T, tf((t) => t.status(b.user.id)))).toMatchObject({ enabled: false });
  });

  it("regenerates recovery codes with a code: the old ones stop working", async () => {
    const { user, secret, recoveryCodes } = await enrolled(T - 10 * STEP_MS);
    expect(await failAt(T, tf((t) => t.regenerateRecoveryCodes(user, { code: recoveryCodes[0] })))).toMatchObject({ _tag: "InvalidInput" });
    const fresh = await okAt(T, tf((t) => t.regenerateRecoveryCodes(user, { code: totpCode(secret, T) })));
    expect(fresh.recoveryCodes).toHaveLength(10);
    expect(fresh.recoveryCodes).not.toContain(recoveryCodes[0]);
    expect(await failAt(T, tf((t) => t.completeLogin(user.id, { code: recoveryCodes[0]! })))).toMatchObject({ _tag: "Unauthenticated" });
    expect(await okAt(T, tf((t) => t.completeLogin(user.id, { code: fresh.recoveryCodes[0]! })))).toMatchObject({ proof: { recoveryCodesLeft: 9 } });
  });

  it("lets an admin, and only an admin, reset someone's two-factor sign-in, with an event for the audit trail", async () => {
    const { user } = await enrolled(T - 10 * STEP_MS);
    const other = await newUser();
    expect(await failAt(T, tf((t) => t.reset(other, user.id)))).toMatchObject({ _tag: "Forbidden" });
    expect(await failAt(T, tf((t) => t.reset(admin, "usr_nobody")))).toMatchObject({ _tag: "NotFound" });
    expect(await okAt(T, tf((t) => t.reset(admin, user.id)))).toEqual({ wasEnabled: true });
    expect(await okAt(T, tf((t) => t.status(user.id)))).toMatchObject({ enabled: false });
    expect(await sql<{ n: number }>("SELECT COUNT(*) AS n FROM two_factor_recovery_codes WHERE user_id = ?", user.id)).toEqual({ n: 0 });
    const event = await sql<{ user_id: string; data: string }>("SELECT user_id, data FROM events WHERE type = 'two_factor_reset' ORDER BY id DESC LIMIT 1");
    expect(event.user_id).toBe(admin.id);
    expect(JSON.parse(event.data)).toEqual({ userId: user.id, via: "admin", wasEnabled: true });
    expect(await okAt(T, acc((a) => a.login(user.email, PASSWORD)))).toMatchObject({ user: { id: user.id } });
  });
});

describe("requiring two-factor sign-in", () => {
  it("needs the admin to have it first; then sessions of users without it are due to set it up", async () => {
    const agent = await newUser();
    const agentSession = await okAt(T, acc((a) => a.login(agent.email, PASSWORD)));
    expect(await failAt(T, tf((t) => t.setRequired(agent, true)))).toMatchObject({ _tag: "Forbidden" });
    expect(await failAt(T, tf((t) => t.setRequired(admin, "yes please")))).toMatchObject({ _tag: "InvalidInput" });
    expect(await failAt(T, tf((t) => t.setRequired(admin, true)))).toMatchObject({ _tag: "Conflict" });

    const setup = await okAt(T, tf((t) => t.startSetup(admin)));
    await okAt(T, tf((t) => t.confirmSetup(admin, { code: totpCode(setup.secret, T) })));
    expect(await okAt(T, tf((t) => t.setRequired(admin, true)))).toBe(true);
    expect(await okAt(T, tf((t) => t.isRequired()))).toBe(true);
    // The settings query is one cached statement shared with other services, which read rows from it.
    expect(await okAt(T, Effect.map(Database, (db) => db.prepare("SELECT value FROM settings WHERE key = ?").get(REQUIRE_TWO_FACTOR_SETTING)))).toEqual({ value: "1" });
    expect(await okAt(T, acc((a) => a.getSession(agentSession.token)))).toMatchObject({ twoFactorSetupDue: true });

    const { user: enrolledUser, secret } = await enrolled(T - 10 * STEP_MS);
    const done = await okAt(T, tf((t) => t.completeLogin(enrolledUser.id, { code: totpCode(secret, T) })));
    expect(await okAt(T, acc((a) => a.getSession(done.session.token)))).toMatchObject({ twoFactorSetupDue: false });

    expect(await okAt(T, tf((t) => t.setRequired(admin, false)))).toBe(false);
    expect(await okAt(T, acc((a) => a.getSession(agentSession.token)))).toMatchObject({ twoFactorSetupDue: false });
    const changes = await okAt(T, Effect.map(Database, (db) => db.sqlite.prepare("SELECT data FROM events WHERE type = 'two_factor_requirement_changed' ORDER BY id").pluck().all()));
    expect(changes).toEqual([JSON.stringify({ required: true }), JSON.stringify({ required: false })]);
    await okAt(T, tf((t) => t.reset(admin, admin.id)));
  });
});
