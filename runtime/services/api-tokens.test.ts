import { Effect, Exit, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Accounts from "./accounts.js";
import { ApiTokens, layer as apiTokensLayer, MAX_TOKENS_PER_USER, tokenPrefix } from "./api-tokens.js";
import * as Db from "./database.js";
import type { InvalidInput } from "./errors.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<ApiTokens | Accounts.Accounts | Db.Database, never>;
let ann: Accounts.User;
let bob: Accounts.User;
let admin: Accounts.User;

const run = <A, E>(effect: Effect.Effect<A, E, ApiTokens | Accounts.Accounts | Db.Database>) => runtime.runPromise(effect);
const failure = async <A, E>(effect: Effect.Effect<A, E, ApiTokens | Accounts.Accounts | Db.Database>) => {
  const exit = await runtime.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) throw new Error("expected a failure");
  return exit.cause._tag === "Fail" ? exit.cause.error : undefined;
};
const tokens = <A, E>(f: (t: ApiTokens["Type"]) => Effect.Effect<A, E>) => run(Effect.flatMap(ApiTokens, f));
const sqlite = () => run(Effect.map(Db.Database, (db) => db.sqlite));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-api-tokens-"));
  const base = Db.layer({ path: join(dir, "tokens.sqlite"), synchronous: "NORMAL" });
  runtime = ManagedRuntime.make(Layer.mergeAll(apiTokensLayer.pipe(Layer.provide(Accounts.layer)), Accounts.layer).pipe(Layer.provideMerge(base)));
  const seed = (email: string, role: Accounts.Role) =>
    run(Effect.flatMap(Accounts.Accounts, (a) => a.seedUser({ email, name: email.split("@")[0], role, password: "a-long-password" }))).then((r) => r.user);
  ann = await seed("ann@example.com", "agent");
  bob = await seed("bob@example.com", "analyst");
  admin = await seed("root@example.com", "admin");
});

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("ApiTokens", () => {
  it("stores only the token's hash and shows its prefix", async () => {
    const made = await tokens((t) => t.create(ann, { name: "  CRM sync ", expiresIn: "90" }));
    expect(made.token).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    expect(made.summary).toMatchObject({ name: "CRM sync", prefix: tokenPrefix(made.token), lastUsedAt: null });
    expect(made.summary.expiresAt! - made.summary.createdAt).toBe(90 * 24 * 60 * 60 * 1000);
    const row = (await sqlite()).prepare("SELECT * FROM api_tokens WHERE id = ?").get(made.summary.id) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(made.token);
    expect(row.token_hash).toBe(Accounts.sessionKey(made.token));
    const authed = await tokens((t) => t.authenticate(made.token));
    expect(authed.user.id).toBe(ann.id);
  });

  it("refuses a bad name or expiry with the field's path", async () => {
    const blank = (await failure(Effect.flatMap(ApiTokens, (t) => t.create(ann, { name: "" })))) as InvalidInput;
    expect(blank._tag).toBe("InvalidInput");
    expect(blank.issues[0]!.path).toBe("name");
    const expiry = (await failure(Effect.flatMap(ApiTokens, (t) => t.create(ann, { name: "x", expiresIn: "1" })))) as InvalidInput;
    expect(expiry.issues[0]).toEqual({ path: "expiresIn", message: "expected never, 30, 90, 365 (days)" });
  });

  it("lets people list and revoke their own tokens, and admins anyone's", async () => {
    const made = await tokens((t) => t.create(ann, { name: "mine" }));
    expect((await failure(Effect.flatMap(ApiTokens, (t) => t.list(bob, ann.id))) as { _tag: string })._tag).toBe("Forbidden");
    expect((await failure(Effect.flatMap(ApiTokens, (t) => t.revoke(bob, ann.id, made.summary.id))) as { _tag: string })._tag).toBe("Forbidden");
    // Someone else's token id under one's own name is not found, not revoked.
    expect((await failure(Effect.flatMap(ApiTokens, (t) => t.revoke(bob, bob.id, made.summary.id))) as { _tag: string })._tag).toBe("NotFound");
    expect((await tokens((t) => t.list(admin, ann.id))).map((s) => s.id)).toContain(made.summary.id);
    await tokens((t) => t.revoke(admin, ann.id, made.summary.id));
    expect((await tokens((t) => t.list(ann, ann.id))).map((s) => s.id)).not.toContain(made.summary.id);
    expect((await failure(Effect.flatMap(ApiTokens, (t) => t.authenticate(made.token))) as { _tag: string })._tag).toBe("Unauthenticated");
  });

  it("refuses a token while the workspace requires two-factor sign-in its owner has not turned on", async () => {
    const made = await tokens((t) => t.create(ann, { name: "before the rule" }));
    const db = await sqlite();
    // What Settings → Users' "Require two-factor authentication" and a finished setup store.
    db.prepare("INSERT INTO settings (key, value) VALUES (?, '1')").run(Accounts.REQUIRE_TWO_FACTOR_SETTING);
    try {
      const refused = (await failure(Effect.flatMap(ApiTokens, (t) => t.authenticate(made.token)))) as { _tag: string; message: string };
      expect(refused._tag).toBe("Unauthenticated");
      expect(refused.message).toContain("requires two-factor sign-in");
      db.prepare("INSERT INTO two_factor (user_id, secret, enabled_at, created_at) VALUES (?, 'sealed', 1, 1)").run(ann.id);
      expect((await tokens((t) => t.authenticate(made.token))).user.id).toBe(ann.id);
    } finally {
      db.prepare("DELETE FROM settings WHERE key = ?").run(Accounts.REQUIRE_TWO_FACTOR_SETTING);
      db.prepare("DELETE FROM two_factor WHERE user_id = ?").run(ann.id);
    }
  });

  it(`holds each person to ${MAX_TOKENS_PER_USER} tokens`, async () => {
    const db = await sqlite();
    const held = db.prepare("SELECT count(*) FROM api_tokens WHERE user_id = ?").pluck().get(bob.id) as number;
    for (let i = held; i < MAX_TOKENS_PER_USER; i++) await tokens((t) => t.create(bob, { name: `t${i}` }));
    const refused = (await failure(Effect.flatMap(ApiTokens, (t) => t.create(bob, { name: "one more" })))) as { _tag: string };
    expect(refused._tag).toBe("Forbidden");
    expect(db.prepare("SELECT count(*) FROM api_tokens WHERE user_id = ?").pluck().get(bob.id)).toBe(MAX_TOKENS_PER_USER);
  });
});
