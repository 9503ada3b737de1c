import BetterSqlite3 from "better-sqlite3";
import { Effect, Exit } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Accounts from "./accounts.js";
import { ApiTokens } from "./api-tokens.js";
import type { AppRuntime, AppServices } from "./app-layer.js";
import { openAppForDatabase } from "./app-for-database.js";
import { asAuditActor, AuditLog, type AuditActor, type AuditEntry } from "./audit-log.js";
import { Channels } from "./channels.js";
import { Chatflows } from "./chatflows.js";
import { Database, migrate } from "./database.js";
import type { InvalidInput } from "./errors.js";
import { OutgoingWebhooks } from "./outgoing-webhooks.js";
import { Reports } from "./reports.js";
import { Workspace } from "./workspace.js";

let dir: string;
let runtime: AppRuntime;
let admin: Accounts.User;
let agent: Accounts.User;

const PASSWORD = "a-long-password-1";
const ADMIN_AT: AuditActor = { userId: null, via: "app", ip: "203.0.113.7" };

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>, actor?: AuditActor) =>
  runtime.runPromise(actor ? asAuditActor(actor)(effect) : effect);
const failure = async <A, E>(effect: Effect.Effect<A, E, AppServices>, actor?: AuditActor) => {
  const exit = await runtime.runPromiseExit(actor ? asAuditActor(actor)(effect) : effect);
  if (Exit.isSuccess(exit)) throw new Error("expected a failure");
  return exit.cause._tag === "Fail" ? (exit.cause.error as { _tag: string }) : undefined;
};
/** As the admin signed in to the app, from ADMIN_AT's address. */
const asAdmin = { ...ADMIN_AT, userId: "" };
const list = (query: Record<string, string> = {}, by: Accounts.User = admin) => run(Effect.flatMap(AuditLog, (log) => log.list(by, query)));
const lines = async (action: string) => (await list({ limit: "500" })).entries.filter((e) => e.action === action);
const count = () => run(Effect.map(Database, (db) => (db.prepare("SELECT count(*) AS n FROM audit_log").get() as { n: number }).n));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-audit-"));
  ({ runtime } = await openAppForDatabase(join(dir, "audit.sqlite"), { seed: false }));
  const seed = (email: string, role: Accounts.Role) =>
    run(Effect.flatMap(Accounts.Accounts, (a) => a.seedUser({ email, name: email.split("@")[0]!, role, password: PASSWORD }))).then((r) => r.user);
  admin = await seed("root@example.com", "admin");
  agent = await seed("ann@example.com", "agent");
  asAdmin.userId = admin.id;
});

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("what the audit log records", () => {
  it("names the system for a seeded user, and the acting admin, their address and the way for a created one", async () => {
    const seeded = (await lines("user.created")).find((e) => e.target?.id === agent.id)!;
    expect(seeded).toMatchObject({ actor: null, via: "system", label: "Created a user", category: "users", target: { type: "user", label: "ann@example.com" } });
    const made = await run(
      Effect.flatMap(Accounts.Accounts, (a) => a.createUser(admin, { email: "cy@example.com", name: "Cy", role: "agent", password: PASSWORD })),
      asAdmin,
    );
    const line = (await lines("user.created")).find((e) => e.target?.id === made.id)!;
    expect(line).toMatchObject({ actor: { id: admin.id, name: "root", email: "root@example.com" }, via: "app", ip: "203.0.113.7", data: { role: "agent", name: "Cy" } });
  });

  it("records sign-ins, refusals (with the reason, never the password) and sign-outs", async () => {
    const before = await count();
    const from = "198.51.100.4";
    await failure(Effect.flatMap(Accounts.Accounts, (a) => a.login("ann@example.com", "not-her-password", from)), { userId: null, via: "app", ip: from });
    await failure(Effect.flatMap(Accounts.Accounts, (a) => a.login("nobody@example.com", "whatever-it-is", from)), { userId: null, via: "app", ip: from });
    const session = await run(Effect.flatMap(Accounts.Accounts, (a) => a.login("ann@example.com", PASSWORD, from)), { userId: null, via: "app", ip: from });
    await run(Effect.flatMap(Accounts.Accounts, (a) => a.logout(session.token)), { userId: agent.id, via: "app", ip: from });
    expect(await count()).toBe(before + 4);
    const [out, inn, unknown, wrong] = (await list({ category: "sign-in", limit: "4" })).entries;
    expect(wrong).toMatchObject({ action: "session.sign_in_refused", actor: null, ip: from, target: { id: agent.id }, data: { email: "ann@example.com", reason: "wrong password" } });
    expect(unknown).toMatchObject({ action: "session.sign_in_refused", target: null, data: { email: "nobody@example.com", reason: "no such user" } });
    expect(inn).toMatchObject({ action: "session.signed_in", actor: { id: agent.id }, ip: from, data: { method: "password" } });
    expect(out).toMatchObject({ action: "session.signed_out", actor: { id: agent.id } });
    const stored = await run(Effect.map(Database, (db) => JSON.stringify(db.prepare("SELECT * FROM audit_log").all())));
    expect(stored).not.toContain("not-her-password");
    expect(stored).not.toContain(PASSWORD);
  });

  it("records role changes, disabling and enabling; a refused change records nothing", async () => {
    const cy = (await run(Effect.flatMap(Accounts.Accounts, (a) => a.listUsers()))).find((u) => u.email === "cy@example.com")!;
    const ws = <A, E>(f: (w: Workspace["Type"]) => Effect.Effect<A, E>) => Effect.flatMap(Workspace, f);
    await run(ws((w) => w.setRole(admin, cy.id, "marketer")), asAdmin);
    expect((await lines("user.role_changed"))[0]).toMatchObject({ target: { id: cy.id }, data: { from: "agent", to: "marketer" }, actor: { id: admin.id } });
    const before = await count();
    expect(((await failure(ws((w) => w.setRole(admin, cy.id, "owner")), asAdmin)) as InvalidInput)._tag).toBe("InvalidInput");
    // The same role again is no change.
    await run(ws((w) => w.setRole(admin, cy.id, "marketer")), asAdmin);
    expect(await count()).toBe(before);
    await run(ws((w) => w.setDisabled(admin, cy.id, true)), asAdmin);
    await run(ws((w) => w.setDisabled(admin, cy.id, true)), asAdmin);
    await run(ws((w) => w.setDisabled(admin, cy.id, false)), asAdmin);
    expect((await lines("user.disabled")).length).toBe(1);
    expect((await lines("user.enabled")).length).toBe(1);
  });

  it("records tokens, webhooks, flows, channels, inboxes, teams and settings with what changed, never a secret", async () => {
    const made = await run(Effect.flatMap(ApiTokens, (t) => t.create(admin, { name: "CRM sync", expiresIn: "30" })), asAdmin);
    await run(Effect.flatMap(ApiTokens, (t) => t.revoke(admin, admin.id, made.summary.id)), asAdmin);
    const hook = await run(Effect.flatMap(OutgoingWebhooks, (w) => w.create(admin, { url: "https://hooks.example.com/p", eventTypes: ["conversation.created"], enabled: true })), asAdmin);
    await run(Effect.flatMap(OutgoingWebhooks, (w) => w.setEnabled(admin, hook.id, false)), asAdmin);
    await run(Effect.flatMap(OutgoingWebhooks, (w) => w.rollSecret(admin, hook.id)), asAdmin);
    await run(Effect.flatMap(OutgoingWebhooks, (w) => w.remove(admin, hook.id)), asAdmin);
    const inbox = await run(Effect.flatMap(Workspace, (w) => w.createInbox({ name: "Sales" })), asAdmin);
    const team = await run(Effect.flatMap(Workspace, (w) => w.createTeam({ name: "Closers" })), asAdmin);
    await run(Effect.flatMap(Workspace, (w) => w.setTeamMembers(team.id, [agent.id])), asAdmin);
    const channel = await run(Effect.flatMap(Channels, (c) => c.create({ kind: "chat", name: "Site", inboxId: inbox.id })), asAdmin);
    await run(Effect.flatMap(Channels, (c) => c.rotateIdentitySecret(channel.id)), asAdmin);
    const flow = await run(Effect.flatMap(Chatflows, (c) => c.create({ name: "Greeter", kind: "bot", channelId: channel.id })), asAdmin);
    await run(Effect.flatMap(Chatflows, (c) => c.rename(flow.id, "Greeter 2")), asAdmin);
    await run(Effect.flatMap(Chatflows, (c) => c.publish(flow.id, admin.id)), asAdmin);
    await run(Effect.flatMap(Chatflows, (c) => c.setEnabled(flow.id, true)), asAdmin);
    await run(Effect.flatMap(Chatflows, (c) => c.remove(flow.id)), asAdmin);
    await run(Effect.flatMap(Reports, (r) => r.setTimezone("Europe/Berlin")), asAdmin);

    const recent = (await list({ limit: "30" })).entries.map((e) => [e.action, e.target?.label ?? null] as const);
    expect(recent.slice(0, 17).reverse()).toEqual([
      ["api_token.created", "CRM sync"],
      ["api_token.revoked", "CRM sync"],
      ["webhook.created", "hooks.example.com/…"],
      ["webhook.disabled", "hooks.example.com/…"],
      ["webhook.secret_rolled", "hooks.example.com/…"],
      ["webhook.deleted", "hooks.example.com/…"],
      ["inbox.created", "Sales"],
      ["team.created", "Closers"],
      ["team.members_changed", "Closers"],
      ["channel.created", "Site"],
      ["channel.identity_secret_rotated", "Site"],
      ["flow.created", "Greeter"],
      ["flow.renamed", "Greeter 2"],
      ["flow.published", "Greeter 2"],
      ["flow.enabled", "Greeter 2"],
      ["flow.deleted", "Greeter 2"],
      ["settings.timezone_changed", null],
    ]);
    expect((await lines("team.members_changed"))[0]!.data).toEqual({ added: [agent.id], removed: [] });
    expect((await lines("settings.timezone_changed"))[0]!.data).toEqual({ from: null, to: "Europe/Berlin" });
    const stored = await run(Effect.map(Database, (db) => JSON.stringify(db.prepare("SELECT * FROM audit_log").all())));
    expect(stored).not.toContain(made.token);
    // A receiver's URL can be its secret: the log names its host only.
    expect(stored).not.toContain("hooks.example.com/p");
    const secret = await run(Effect.map(Database, (db) => db.prepare("SELECT identity_secret FROM channels WHERE id = ?").pluck().get(channel.id) as string));
    expect(stored).not.toContain(secret);
  });
});

describe("reading the audit log", () => {
  it("is for admins only", async () => {
    expect((await failure(Effect.flatMap(AuditLog, (log) => log.list(agent, {}))))?._tag).toBe("Forbidden");
  });

  it("refuses a bad filter at its parameter", async () => {
    const bad = async (query: Record<string, string>) => ((await failure(Effect.flatMap(AuditLog, (log) => log.list(admin, query)))) as InvalidInput).issues;
    expect(await bad({ from: "26-11-2026" })).toEqual([{ path: "from", message: "expected a date as YYYY-MM-DD" }]);
    expect(await bad({ from: "2026-11-20", to: "2026-11-19" })).toEqual([{ path: "to", message: "the last day is before the first" }]);
    expect((await bad({ before: "abc" }))[0]!.path).toBe("before");
    expect((await bad({ limit: "0" }))[0]!.path).toBe("limit");
    expect((await bad({ category: "everything" }))[0]!.path).toBe("category");
  });

  it("filters by person, section and days, and pages without gaps or repeats", async () => {
    const all = (await list({ limit: "500" })).entries;
    expect(all.length).toBeGreaterThan(20);
    expect(all.every((e, i) => i === 0 || Number(e.id) < Number(all[i - 1]!.id))).toBe(true);
    const byAgent = (await list({ actor: agent.id, limit: "500" })).entries;
    expect(byAgent.length).toBeGreaterThan(0);
    expect(byAgent.every((e) => e.actor?.id === agent.id)).toBe(true);
    const bySystem = (await list({ actor: "system", limit: "500" })).entries;
    expect(bySystem.every((e) => e.actor === null)).toBe(true);
    const flows = (await list({ category: "flows", limit: "500" })).entries;
    expect(new Set(flows.map((e) => e.category))).toEqual(new Set(["flows"]));

    const paged: AuditEntry[] = [];
    let before: string | null = null;
    do {
      const page = await list({ limit: "7", ...(before ? { before } : {}) });
      expect(page.entries.length).toBe(page.next === null ? all.length - paged.length : 7);
      paged.push(...page.entries);
      before = page.next;
    } while (before !== null);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));

    // Days are the workspace's (Europe/Berlin since the test above): today holds every line, a year ago none.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date());
    expect((await list({ from: today, to: today, limit: "500" })).entries.length).toBe(all.length);
    expect((await list({ from: "2020-01-01", to: "2020-12-31" })).entries).toEqual([]);
  });
});

describe("migration 42", () => {
  it("copies the admin-facing events the log already held, and nothing else", () => {
    const sqlite = new BetterSqlite3(join(dir, "old.sqlite"));
    try {
      migrate(sqlite);
      // As a database from before the audit log: events written by two-factor sign-in and the contacts' services.
      sqlite.exec("DROP TABLE audit_log; DELETE FROM schema_migrations WHERE version = 42;");
      const event = sqlite.prepare("INSERT INTO events (type, at, user_id, data) VALUES (?, ?, ?, ?)");
      event.run("two_factor_enabled", 1000, "usr_a", JSON.stringify({ userId: "usr_a" }));
      event.run("two_factor_reset", 2000, null, JSON.stringify({ userId: "usr_a", via: "command line", wasEnabled: true }));
      event.run("contact_erased", 3000, "usr_b", JSON.stringify({ contactId: "contact_x", messages: 4 }));
      event.run("conversation_created", 4000, null, null);
      expect(migrate(sqlite)).toEqual([42]);
      expect(sqlite.prepare("SELECT at, action, actor_id, via, target_type, target_id, data FROM audit_log ORDER BY id").all()).toEqual([
        { at: 1000, action: "two_factor.enabled", actor_id: "usr_a", via: "app", target_type: "user", target_id: "usr_a", data: '{"userId":"usr_a"}' },
        {
          at: 2000,
          action: "two_factor.reset",
          actor_id: null,
          via: "command line",
          target_type: "user",
          target_id: "usr_a",
          data: '{"userId":"usr_a","via":"command line","wasEnabled":true}',
        },
        { at: 3000, action: "contact.erased", actor_id: "usr_b", via: "app", target_type: "contact", target_id: "contact_x", data: '{"contactId":"contact_x","messages":4}' },
      ]);
    } finally {
      sqlite.close();
    }
  });
});
