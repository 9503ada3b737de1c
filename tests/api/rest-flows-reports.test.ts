/**
 * Flows as code and report figures over the REST API (/api/v1/flows…, /api/v1/reports/…):
 * the real handler on a node:http server, the app's real runtime and services, a fresh SQLite
 * file seeded like a first start (the example flows published, demo conversations). Tokens come
 * from the ApiTokens service the profile page uses. Every refused request asserts its status,
 * its error body AND that nothing stored changed (a flow's row, draft and versions).
 */
import { readFileSync } from "node:fs";
import { Effect } from "effect";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Reports } from "../../runtime/services/reports.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { seededRoleTokens, startPublicApiApp, startVisitorChat, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
const tokens: Record<"admin" | "marketer" | "agent" | "analyst", string> = { admin: "", marketer: "", agent: "", analyst: "" };

beforeAll(async () => {
  app = await startPublicApiApp("rest-flows", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  const made = await seededRoleTokens(runtime);
  for (const role of ["admin", "marketer", "agent", "analyst"] as const) tokens[role] = made[role].token;
});

afterAll(async () => {
  await app?.close();
});

const send = (path: string, token: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  call(base, path, { ...init, token });

const example = (name: string) => JSON.parse(readFileSync(new URL(`../../flows/examples/${name}.json`, import.meta.url), "utf8")) as Record<string, unknown>;

/** Everything stored about the chatflows: rows (draft included) and versions. */
const flowState = () => ({
  flows: sqlite
    .prepare("SELECT id, name, kind, enabled, priority, draft, draft_revision, published_version_id, archived_at, updated_at FROM chatflows ORDER BY id")
    .all(),
  versions: sqlite.prepare("SELECT id, chatflow_id, version, content_hash FROM chatflow_versions ORDER BY id").all(),
  // A refused change writes no audit line either.
  auditLines: sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});

/** The audit log's lines of `action` after line `afterId`, oldest first, as stored. */
const auditSince = (afterId: number, action: string) =>
  (
    sqlite.prepare("SELECT id, at, action, via, token_id, target_id, target_label, data FROM audit_log WHERE id > ? AND action = ? ORDER BY id").all(afterId, action) as Array<{
      id: number;
      at: number;
      via: string;
      token_id: string | null;
      target_id: string | null;
      target_label: string | null;
      data: string;
    }>
  ).map((line) => ({ ...line, data: JSON.parse(line.data) as Record<string, unknown> }));
const lastAuditId = () => (sqlite.prepare("SELECT COALESCE(max(id), 0) FROM audit_log").pluck().get() as number);

/** Runs `request` and asserts no chatflow, draft or version changed. */
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = flowState();
  const result = await request();
  expect(flowState()).toEqual(before);
  return result;
};

/** A fresh flow (imported from an example over the API), so each test owns its draft. */
const importFlow = async (name = "support-triage") => {
  const created = await send("/api/v1/flows", tokens.marketer, { body: { document: example(name), name: `API ${name} ${Math.random().toString(36).slice(2, 8)}` } });
  expect(created.status).toBe(201);
  return created.body as { flow: { id: string; name: string; draftRevision: number }; revision: number };
};

describe("flows", () => {
  it("lists the builder's flows in its order, keyset-paginated, with their published version and draft revision", async () => {
    const all = await send("/api/v1/flows?limit=200", tokens.marketer);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    const expected = sqlite
      .prepare("SELECT id FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id")
      .pluck()
      .all() as string[];
    expect(all.body.flows.map((f: { id: string }) => f.id)).toEqual(expected);
    const lead = all.body.flows.find((f: { id: string }) => f.id === app.leadFlowId);
    expect(lead).toMatchObject({ kind: "bot", publishedVersion: 1, draftRevision: expect.any(Number), channel: { id: app.channelId, name: expect.any(String) } });
    expect(Date.parse(lead.updatedAt)).toBeGreaterThan(0);

    // Page by page, two at a time: the same flows, in the same order, each once.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof send>> = await send(`/api/v1/flows?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, tokens.admin);
      expect(page.status).toBe(200);
      expect(page.body.flows.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.flows.map((f: { id: string }) => f.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(expected);
  });

  it("refuses a bad limit or cursor with 400 naming it", async () => {
    const limit = await send("/api/v1/flows?limit=0", tokens.marketer);
    expect(limit.status).toBe(400);
    expect(limit.body.error).toMatchObject({ code: "invalid_input", path: "limit" });
    const cursor = await send("/api/v1/flows?cursor=nonsense", tokens.marketer);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error).toMatchObject({ code: "invalid_input", path: "cursor", message: "cursor: this cursor is not one the list gave out" });
  });

  it("reads one flow with its draft and its published spec, and its versions", async () => {
    const one = await send(`/api/v1/flows/${app.leadFlowId}`, tokens.marketer);
    expect(one.status).toBe(200);
    expect(one.body.flow).toMatchObject({ id: app.leadFlowId, publishedVersion: 1 });
    expect(one.body.draft.revision).toBe(one.body.flow.draftRevision);
    expect(one.body.draft.document).toMatchObject({ nodes: expect.any(Array), edges: expect.any(Array) });
    expect(one.body.published).toMatchObject({ version: 1, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(one.body.published.spec).toMatchObject({ formatVersion: expect.any(Number), id: "lead_qualification" });

    const versions = await send(`/api/v1/flows/${app.leadFlowId}/versions`, tokens.admin);
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toHaveLength(1);
    expect(versions.body.versions[0]).toMatchObject({ version: 1, live: true, publishedBy: { id: SEED_IDS.admin } });
    const v1 = await send(`/api/v1/flows/${app.leadFlowId}/versions/1`, tokens.admin);
    expect(v1.status).toBe(200);
    expect(v1.body.version).toMatchObject({ version: 1, live: true, contentHash: one.body.published.contentHash });
    expect(v1.body.version.spec).toEqual(one.body.published.spec);
  });

  it("answers 404 for an unknown flow or version, on every flow endpoint", async () => {
    for (const [method, path, body] of [
      ["GET", "/api/v1/flows/flow_nope", undefined],
      ["GET", "/api/v1/flows/flow_nope/versions", undefined],
      ["GET", "/api/v1/flows/flow_nope/versions/1", undefined],
      ["PUT", "/api/v1/flows/flow_nope/draft", { document: example("support-triage") }],
      ["POST", "/api/v1/flows/flow_nope/publish", { revision: 1 }],
      ["GET", `/api/v1/flows/${app.leadFlowId}/versions/9`, undefined],
      ["GET", `/api/v1/flows/${app.leadFlowId}/versions/latest`, undefined],
    ] as const) {
      const res = await storesNothing(() => send(path, tokens.admin, { method, ...(body ? { body } : {}) }));
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
  });

  it("imports a new flow from a canvas document or a flow spec, as the builder's Import does", async () => {
    const created = await importFlow("lead-qualification");
    expect(created.flow).toMatchObject({ kind: "bot", enabled: false, publishedVersion: null, draftRevision: 1 });
    expect(created.flow.name).toMatch(/^API lead-qualification /);
    const row = sqlite.prepare("SELECT created_by, draft FROM chatflows WHERE id = ?").get(created.flow.id) as { created_by: string; draft: string };
    expect(row.created_by).toBe(SEED_IDS.marketer);
    expect(JSON.parse(row.draft)).toMatchObject({ name: created.flow.name, id: created.flow.id.replace(/[^A-Za-z0-9_-]/g, "_") });

    // A published spec (it has formatVersion) comes in laid out as a document.
    const spec = (await send(`/api/v1/flows/${app.leadFlowId}`, tokens.admin)).body.published.spec;
    const fromSpec = await send("/api/v1/flows", tokens.admin, { body: { document: spec, channelId: app.channelId } });
    expect(fromSpec.status).toBe(201);
    expect(fromSpec.body.flow).toMatchObject({ name: spec.name, channel: { id: app.channelId } });
    const draft = (await send(`/api/v1/flows/${fromSpec.body.flow.id}`, tokens.admin)).body.draft.document;
    expect(draft.nodes.map((n: { id: string }) => n.id).sort()).toEqual(spec.nodes.map((n: { id: string }) => n.id).sort());
  });

  it("refuses a bad import with 400 and the path into the body, creating nothing", async () => {
    const broken = { ...example("support-triage"), nodes: [{ id: "a", kind: "nope", position: { x: 0, y: 0 }, data: {} }] };
    const cases: Array<[unknown, string]> = [
      [{ document: broken }, "document.nodes[0].kind"],
      [{}, "document"],
      [{ document: [1, 2] }, "document"],
      [{ document: example("support-triage"), name: "  " }, "name"],
      [{ document: example("support-triage"), channelId: "chan_nope" }, "channelId"],
    ];
    for (const [body, path] of cases) {
      const res = await storesNothing(() => send("/api/v1/flows", tokens.marketer, { body }));
      expect(res.status, path).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_input", path });
    }
    const notJson = await storesNothing(() => send("/api/v1/flows", tokens.marketer, { body: "{nope" }));
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);
  });

  it("replaces a draft and publishes it: the new version is live, the history grows", async () => {
    const { flow } = await importFlow();
    const document = { ...example("support-triage"), name: "Triage from git" };
    const saved = await send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: { document, expectedRevision: 1 } });
    expect(saved.status).toBe(200);
    expect(saved.body.revision).toBe(2);
    expect(saved.body.flow).toMatchObject({ id: flow.id, name: "Triage from git", draftRevision: 2 });
    expect(saved.body.diagnostics.filter((d: { severity: string }) => d.severity === "error")).toEqual([]);

    const published = await send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 2 } });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ version: 1, unchanged: false, flow: { publishedVersion: 1 } });
    expect(sqlite.prepare("SELECT published_by FROM chatflow_versions WHERE chatflow_id = ?").pluck().get(flow.id)).toBe(SEED_IDS.marketer);

    // Publishing the same draft again adds no version.
    const again = await send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 2 } });
    expect(again.body).toMatchObject({ version: 1, unchanged: true });

    // Without expectedRevision the draft is replaced on top of whatever it is now.
    const blind = await send(`/api/v1/flows/${flow.id}/draft`, tokens.admin, { method: "PUT", body: { document: { ...document, name: "Triage v2" } } });
    expect(blind.status).toBe(200);
    expect(blind.body.revision).toBe(3);
    const v2 = await send(`/api/v1/flows/${flow.id}/publish`, tokens.admin, { body: { revision: 3 } });
    expect(v2.body).toMatchObject({ version: 2, unchanged: false });
    const history = await send(`/api/v1/flows/${flow.id}/versions`, tokens.admin);
    expect(history.body.versions.map((v: { version: number; live: boolean }) => [v.version, v.live])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(history.body.versions[0].changes.flow).toContain("name");
  });

  it("round-trips a draft: what GET gives, PUT back unchanged, publishes as the same version", async () => {
    const { flow } = await importFlow();
    expect((await send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 1 } })).body).toMatchObject({ version: 1, unchanged: false });
    const read = (await send(`/api/v1/flows/${flow.id}`, tokens.marketer)).body;
    const put = await send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: { document: read.draft.document, expectedRevision: read.draft.revision } });
    expect(put.status).toBe(200);
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.marketer)).body.draft.document).toEqual(read.draft.document);
    const again = await send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: put.body.revision } });
    expect(again.body).toMatchObject({ version: 1, unchanged: true });
  });

  it("saves a draft with check errors (as the canvas does) but refuses to publish it, with the checks' messages", async () => {
    const { flow } = await importFlow();
    const saved = await send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, {
      method: "PUT",
      body: { document: { ...example("support-triage"), startNodeId: "nope" }, expectedRevision: 1 },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.diagnostics).toContainEqual(expect.objectContaining({ severity: "error", code: "unknown_start", path: "startNodeId" }));
    const refused = await storesNothing(() => send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 2 } }));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "invalid_input", path: "startNodeId" });
    expect(refused.body.error.message).toMatch(/The start step "nope" does not exist/);
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.marketer)).body.published).toBeNull();
  });

  it("refuses a bad draft with 400 and the path into the spec, a stale revision with 409, leaving the draft untouched", async () => {
    const { flow } = await importFlow();
    const good = example("support-triage");
    const nodes = (good.nodes as Array<Record<string, unknown>>).map((n, i) => (i === 1 ? { ...n, position: "here" } : n));
    const cases: Array<[unknown, number, string | undefined]> = [
      [{ document: { ...good, nodes } }, 400, "document.nodes[1].position"],
      [{ document: { ...good, kind: "robot" } }, 400, "document.kind"],
      [{ document: "flow.json" }, 400, "document"],
      [{ expectedRevision: 1 }, 400, "document"],
      [{ document: good, expectedRevision: 0 }, 400, "expectedRevision"],
      [{ document: good, expectedRevision: "1" }, 400, "expectedRevision"],
      [{ document: good, expectedRevision: 7 }, 409, undefined],
    ];
    for (const [body, status, path] of cases) {
      const res = await storesNothing(() => send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body }));
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      if (path !== undefined) expect(res.body.error).toMatchObject({ code: "invalid_input", path });
      else expect(res.body.error).toMatchObject({ code: "conflict", message: expect.stringMatching(/revision 7 \(now 1\)/) });
    }
    for (const [body, message] of [
      ["", /empty/],
      ["{\"document\":", /not valid JSON/],
      ["[]", /not an array/],
    ] as const) {
      const res = await storesNothing(() => send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body, headers: { "Content-Type": "application/json" } }));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const form = await storesNothing(() => send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: "a=b", headers: { "Content-Type": "text/plain" } }));
    expect(form.status).toBe(415);
    // The draft is still the imported one.
    const after = await send(`/api/v1/flows/${flow.id}`, tokens.marketer);
    expect(after.body.draft.revision).toBe(1);
    expect(after.body.draft.document.name).toBe(flow.name);
  });

  it("takes a flow larger than the other endpoints' 16 KB, up to the builder's 5 MB import limit (413 beyond)", async () => {
    const { flow } = await importFlow();
    const good = example("support-triage");
    const extra = Array.from({ length: 300 }, (_, i) => ({
      id: `note_${i}`,
      kind: "message",
      position: { x: 600, y: i * 160 },
      data: { bubbles: [{ type: "text", text: `A note that no path reaches yet, number ${i}.` }] },
    }));
    const big = { ...good, nodes: [...(good.nodes as unknown[]), ...extra] };
    expect(JSON.stringify(big).length).toBeGreaterThan(50_000);
    const saved = await send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: { document: big, expectedRevision: 1 } });
    expect(saved.status).toBe(200);
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.marketer)).body.draft.document.nodes).toHaveLength(big.nodes.length);

    const huge = await storesNothing(() =>
      send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: { document: { ...good, padding: "x".repeat(6 * 1024 * 1024) } } }),
    );
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    // The publish body is a small one: the usual 16 KB.
    const padded = await storesNothing(() => send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 2, padding: "x".repeat(20_000) } }));
    expect(padded.status).toBe(413);
  });

  it("refuses to publish a revision other than the draft's (409) or a bad one (400), publishing nothing", async () => {
    const { flow } = await importFlow();
    const stale = await storesNothing(() => send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 5 } }));
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/the draft is at revision 1, not 5/);
    for (const body of [{}, { revision: 1.5 }, { revision: "1" }]) {
      const bad = await storesNothing(() => send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.path).toBe("revision");
    }
  });

  it("treats an archived flow as gone, as the builder does", async () => {
    const { flow } = await importFlow();
    sqlite.prepare("UPDATE chatflows SET archived_at = ? WHERE id = ?").run(Date.now(), flow.id);
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.admin)).status).toBe(404);
    const put = await storesNothing(() => send(`/api/v1/flows/${flow.id}/draft`, tokens.admin, { method: "PUT", body: { document: example("support-triage") } }));
    expect(put.status).toBe(404);
    const list = await send("/api/v1/flows?limit=200", tokens.admin);
    expect(list.body.flows.map((f: { id: string }) => f.id)).not.toContain(flow.id);
  });

  it("is for admins and marketers: an agent's or analyst's token gets 403 and changes nothing", async () => {
    const { flow } = await importFlow();
    for (const role of ["agent", "analyst"] as const) {
      for (const [method, path, body] of [
        ["GET", "/api/v1/flows", undefined],
        ["GET", `/api/v1/flows/${flow.id}`, undefined],
        ["GET", `/api/v1/flows/${flow.id}/versions`, undefined],
        ["PUT", `/api/v1/flows/${flow.id}/draft`, { document: example("support-triage"), expectedRevision: 1 }],
        ["POST", `/api/v1/flows/${flow.id}/publish`, { revision: 1 }],
        ["POST", "/api/v1/flows", { document: example("support-triage") }],
      ] as const) {
        const res = await storesNothing(() => send(path, tokens[role], { method, ...(body ? { body } : {}) }));
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
        expect(res.body.error).toEqual({ code: "forbidden", message: `Your role (${role}) does not work with flows: only admins and marketers do.` });
      }
    }
    // Still refused where it was: a marketer's token is no way into the inbox or the contacts.
    expect((await send("/api/v1/conversations", tokens.marketer)).status).toBe(403);
    expect((await send("/api/v1/contacts", tokens.marketer)).status).toBe(403);
  });

  it("answers 405 with Allow for a method a flow path does not take", async () => {
    const res = await send(`/api/v1/flows/${app.leadFlowId}/draft`, tokens.admin);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("PUT");
    expect((await send(`/api/v1/flows/${app.leadFlowId}/nope`, tokens.admin)).status).toBe(404);
  });
});

describe("a flow's lifecycle: on and off, renamed, moved, deleted", () => {
  const row = (id: string) =>
    sqlite.prepare("SELECT name, enabled, priority, draft, draft_revision, archived_at FROM chatflows WHERE id = ?").get(id) as
      | { name: string; enabled: number; priority: number; draft: string; draft_revision: number; archived_at: number | null }
      | undefined;
  const order = () => sqlite.prepare("SELECT id FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id").pluck().all() as string[];

  it("turns a flow on and off, as the flow list's switch does", async () => {
    const { flow } = await importFlow();
    const on = await send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "PATCH", body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body.flow).toMatchObject({ id: flow.id, enabled: true, name: flow.name, draftRevision: 1 });
    expect(row(flow.id)).toMatchObject({ enabled: 1, draft_revision: 1 });
    const off = await send(`/api/v1/flows/${flow.id}`, tokens.admin, { method: "PATCH", body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.flow.enabled).toBe(false);
    expect(row(flow.id)!.enabled).toBe(0);
  });

  it("renames a flow (its row and its draft, as a new revision), trimmed, and may turn it on in the same call", async () => {
    const { flow } = await importFlow();
    const renamed = await send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "PATCH", body: { name: "  Pricing questions  ", enabled: true } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.flow).toMatchObject({ name: "Pricing questions", enabled: true, draftRevision: 2 });
    const stored = row(flow.id)!;
    expect(stored).toMatchObject({ name: "Pricing questions", enabled: 1, draft_revision: 2 });
    expect(JSON.parse(stored.draft).name).toBe("Pricing questions");
    // A push based on the revision before the rename is now stale, as in the builder.
    const stale = await storesNothing(() =>
      send(`/api/v1/flows/${flow.id}/draft`, tokens.marketer, { method: "PUT", body: { document: example("support-triage"), expectedRevision: 1 } }),
    );
    expect(stale.status).toBe(409);
  });

  it("refuses a bad PATCH with 400 naming the field, changing nothing (not even the good field)", async () => {
    const { flow } = await importFlow();
    const cases: Array<[unknown, string, RegExp]> = [
      [{}, "", /send `name` or `enabled`/],
      [{ name: "   " }, "name", /a name is required/],
      [{ name: "   ", enabled: true }, "name", /a name is required/],
      [{ name: "x".repeat(201), enabled: true }, "name", /at most 200 characters/],
      [{ name: 7 }, "name", /string/],
      [{ enabled: "on" }, "enabled", /boolean/],
      [{ enabled: true, name: null }, "name", /string/],
    ];
    for (const [body, path, message] of cases) {
      const res = await storesNothing(() => send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "PATCH", body }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_input");
      expect(res.body.error.path ?? "").toBe(path);
      expect(res.body.error.message).toMatch(message);
    }
    for (const [body, status] of [
      ["{\"enabled\":", 400],
      ["[true]", 400],
      [JSON.stringify({ enabled: true, padding: "x".repeat(20_000) }), 413],
    ] as const) {
      const res = await storesNothing(() => send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "PATCH", body }));
      expect(res.status, body.slice(0, 20)).toBe(status);
      expect(res.body.error.code).toBe(status === 413 ? "payload_too_large" : "invalid_input");
    }
    const text = await storesNothing(() =>
      send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "PATCH", body: "enabled=true", headers: { "Content-Type": "text/plain" } }),
    );
    expect(text.status).toBe(415);
    expect(row(flow.id)).toMatchObject({ enabled: 0, name: flow.name, draft_revision: 1 });
  });

  it("moves a flow in the priority order: before another, last, one place up or down; the draft keeps its priority", async () => {
    const a = (await importFlow()).flow.id;
    const imported = (await importFlow()).flow;
    const b = imported.id;
    const first = order()[0]!;
    const from = order().indexOf(b) + 1;
    const mark = lastAuditId();
    const before = await send(`/api/v1/flows/${b}/move`, tokens.marketer, { body: { before: first } });
    expect(before.status).toBe(200);
    expect(order()[0]).toBe(b);
    expect(before.body.flows.map((f: { id: string }) => f.id)).toEqual(order());
    expect(before.body.flows[0]).toEqual({ id: b, name: expect.any(String), priority: 10 });
    // The targeting priority the app uses, in the row and in the draft (so the next publish keeps it).
    expect(row(b)!.priority).toBe(10);
    expect(JSON.parse(row(b)!.draft).settings.priority).toBe(10);
    // One audit line: which flow moved from where to where, by the API, written with the change (its time is the row's).
    const moved = auditSince(mark, "flow.reordered");
    expect(moved).toEqual([
      expect.objectContaining({ via: "api", token_id: expect.any(String), target_id: b, target_label: imported.name, data: { fromPlace: from, toPlace: 1 } }),
    ]);
    expect(moved[0]!.at).toBe(sqlite.prepare("SELECT updated_at FROM chatflows WHERE id = ?").pluck().get(b));

    const down = await send(`/api/v1/flows/${b}/move`, tokens.marketer, { body: { direction: "down" } });
    expect(down.status).toBe(200);
    expect(order().slice(0, 2)).toEqual([first, b]);
    const up = await send(`/api/v1/flows/${b}/move`, tokens.admin, { body: { direction: "up" } });
    expect(up.status).toBe(200);
    expect(order()[0]).toBe(b);
    // Two neighbours swapped: each line names the flow that was moved, not its neighbour.
    expect(auditSince(mark, "flow.reordered").map((l) => [l.target_id, l.data])).toEqual([
      [b, { fromPlace: from, toPlace: 1 }],
      [b, { fromPlace: 1, toPlace: 2 }],
      [b, { fromPlace: 2, toPlace: 1 }],
    ]);
    // A move that changes nothing (the first flow up) records nothing.
    const still = lastAuditId();
    expect((await send(`/api/v1/flows/${b}/move`, tokens.marketer, { body: { direction: "up" } })).status).toBe(200);
    expect(auditSince(still, "flow.reordered")).toEqual([]);

    const last = await send(`/api/v1/flows/${a}/move`, tokens.marketer, { body: { before: null } });
    expect(last.status).toBe(200);
    expect(order().at(-1)).toBe(a);
    const priorities = last.body.flows.map((f: { priority: number }) => f.priority);
    expect(priorities).toEqual([...priorities].sort((x: number, y: number) => x - y));
  });

  it("sets the whole order at once, and refuses a list that is not the flows' (409) or not a list of ids (400)", async () => {
    await importFlow();
    const current = order();
    const reversed = [...current].reverse();
    const mark = lastAuditId();
    const set = await send("/api/v1/flows/order", tokens.marketer, { method: "PUT", body: { flows: reversed } });
    expect(set.status).toBe(200);
    expect(order()).toEqual(reversed);
    expect(set.body.flows.map((f: { id: string }) => f.id)).toEqual(reversed);
    // Several flows moved: one line with the new order, by name, first wins.
    const names = set.body.flows.map((f: { name: string }) => f.name);
    expect(auditSince(mark, "flow.reordered")).toEqual([expect.objectContaining({ via: "api", target_id: null, data: { order: names } })]);

    // A list that misses a flow (someone added one since it was read), or names one twice: 409, the order stays.
    for (const flows of [reversed.slice(1), [...reversed, reversed[0]], [...reversed.slice(1), "flow_nope"]]) {
      const stale = await storesNothing(() => send("/api/v1/flows/order", tokens.marketer, { method: "PUT", body: { flows } }));
      expect(stale.status).toBe(409);
      expect(stale.body.error).toEqual({ code: "conflict", message: "the list of chatflows changed since it was loaded; reload it and try again" });
    }
    for (const [body, path] of [
      [{}, "flows"],
      [{ flows: "all" }, "flows"],
      [{ flows: [reversed[0], 3] }, "flows[1]"],
      [{ flows: [""] }, "flows[0]"],
    ] as const) {
      const bad = await storesNothing(() => send("/api/v1/flows/order", tokens.marketer, { method: "PUT", body }));
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error).toMatchObject({ code: "invalid_input", path });
    }
    // Past the other bodies' 16 KB (a workspace of a few hundred flows), up to 512 KB.
    const long = await storesNothing(() => send("/api/v1/flows/order", tokens.marketer, { method: "PUT", body: { flows: [...reversed, ...Array.from({ length: 700 }, (_, i) => `flow_${"x".repeat(24)}${i}`)] } }));
    expect(long.status).toBe(409);
    const huge = await storesNothing(() => send("/api/v1/flows/order", tokens.marketer, { method: "PUT", body: { flows: reversed, padding: "x".repeat(600 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    expect(order()).toEqual(reversed);
    expect((await send("/api/v1/flows/order", tokens.marketer)).status).toBe(405);
  });

  it("refuses a bad move with 400 naming the field, moving nothing", async () => {
    const { flow } = await importFlow();
    for (const [body, path, message] of [
      [{}, "", /send either `before`/],
      [{ before: null, direction: "up" }, "", /send either `before`/],
      [{ direction: "left" }, "direction", /expected up or down/],
      [{ before: "flow_nope" }, "before", /no flow flow_nope in the list/],
      [{ before: flow.id }, "before", /cannot move before itself/],
      [{ before: 12 }, "before", /string/],
    ] as const) {
      const res = await storesNothing(() => send(`/api/v1/flows/${flow.id}/move`, tokens.marketer, { body }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_input");
      expect(res.body.error.path ?? "").toBe(path);
      expect(res.body.error.message).toMatch(message);
    }
  });

  it("deletes a flow no visitor talked to, with its versions", async () => {
    const { flow } = await importFlow();
    expect((await send(`/api/v1/flows/${flow.id}/publish`, tokens.marketer, { body: { revision: 1 } })).status).toBe(200);
    const removed = await send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ id: flow.id, outcome: "deleted" });
    expect(row(flow.id)).toBeUndefined();
    expect(sqlite.prepare("SELECT COUNT(*) FROM chatflow_versions WHERE chatflow_id = ?").pluck().get(flow.id)).toBe(0);
    const again = await storesNothing(() => send(`/api/v1/flows/${flow.id}`, tokens.marketer, { method: "DELETE" }));
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: "not_found" });
  });

  it("archives, not deletes, a flow visitors talked to: their conversations and its versions stay, and keep working", async () => {
    const { flow } = await importFlow("lead-qualification");
    expect((await send(`/api/v1/flows/${flow.id}/publish`, tokens.admin, { body: { revision: 1 } })).status).toBe(200);
    const patched = await send(`/api/v1/flows/${flow.id}`, tokens.admin, { method: "PATCH", body: { enabled: true } });
    expect(patched.status).toBe(200);
    sqlite.prepare("UPDATE chatflows SET channel_id = ? WHERE id = ?").run(app.channelId, flow.id);
    // A visitor starts a conversation with it, over the public chat API, as the widget does.
    const { token: visitorToken, conversationId } = await startVisitorChat(app, flow.id, "https://shop.example/pricing");
    const stored = () => ({
      conversation: sqlite.prepare("SELECT * FROM conversations WHERE id = ?").get(conversationId),
      messages: sqlite.prepare("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id").all(conversationId),
      versions: sqlite.prepare("SELECT * FROM chatflow_versions WHERE chatflow_id = ?").all(flow.id),
    });
    const before = stored();

    const removed = await send(`/api/v1/flows/${flow.id}`, tokens.admin, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ id: flow.id, outcome: "archived" });
    expect(row(flow.id)).toMatchObject({ enabled: 0, archived_at: expect.any(Number) });
    expect(stored()).toEqual(before);
    // Gone from the API and the list; no new conversation starts on it…
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.admin)).status).toBe(404);
    expect((await send("/api/v1/flows?limit=200", tokens.admin)).body.flows.map((f: { id: string }) => f.id)).not.toContain(flow.id);
    const refused = await call(base, "/api/conversations", {
      token: visitorToken,
      body: { channel: app.channelId, chatflowId: flow.id, pageUrl: "https://shop.example/pricing" },
    });
    expect(refused.status).toBe(404);
    // …but the visitor's conversation goes on, on the version it started on.
    const reply = await call(base, `/api/conversations/${conversationId}/messages`, {
      token: visitorToken,
      body: { text: "Ann", clientMessageId: "m1" },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.messages.map((m: { author: string }) => m.author)).toContain("bot");
    // Deleting it again (or changing it) is 404, as for any archived flow.
    for (const [method, path, body] of [
      ["DELETE", `/api/v1/flows/${flow.id}`, undefined],
      ["PATCH", `/api/v1/flows/${flow.id}`, { enabled: true }],
      ["POST", `/api/v1/flows/${flow.id}/move`, { before: null }],
    ] as const) {
      const res = await storesNothing(() => send(path, tokens.admin, { method, ...(body ? { body } : {}) }));
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it("answers 404 for an unknown flow, 401 without a token and 403 for agents and analysts, changing nothing", async () => {
    const { flow } = await importFlow();
    for (const [method, path, body] of [
      ["PATCH", "/api/v1/flows/flow_nope", { enabled: true }],
      ["DELETE", "/api/v1/flows/flow_nope", undefined],
      ["POST", "/api/v1/flows/flow_nope/move", { before: null }],
    ] as const) {
      const res = await storesNothing(() => send(path, tokens.admin, { method, ...(body ? { body } : {}) }));
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toEqual({ code: "not_found", message: "chatflow flow_nope was not found" });
    }
    const calls = [
      ["PATCH", `/api/v1/flows/${flow.id}`, { enabled: true, name: "Taken over" }],
      ["DELETE", `/api/v1/flows/${flow.id}`, undefined],
      ["POST", `/api/v1/flows/${flow.id}/move`, { before: null }],
      ["PUT", "/api/v1/flows/order", { flows: order() }],
    ] as const;
    for (const [method, path, body] of calls) {
      const anonymous = await storesNothing(() => call(base, path, { method, ...(body ? { body } : {}) }));
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.body.error.code).toBe("unauthenticated");
      for (const role of ["agent", "analyst"] as const) {
        const res = await storesNothing(() => send(path, tokens[role], { method, ...(body ? { body } : {}) }));
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
        expect(res.body.error).toEqual({ code: "forbidden", message: `Your role (${role}) does not work with flows: only admins and marketers do.` });
      }
    }
    const allowed = await send(`/api/v1/flows/${flow.id}/move`, tokens.admin);
    expect(allowed.status).toBe(405);
    expect(allowed.headers.get("allow")).toBe("POST");
    expect((await send(`/api/v1/flows/${flow.id}`, tokens.admin, { method: "PUT", body: {} })).headers.get("allow")).toBe("GET, PATCH, DELETE");
  });
});

describe("reports", () => {
  const service = <A>(f: (r: Effect.Effect.Success<typeof Reports>) => Effect.Effect<A, unknown>) => runtime.runPromise(Effect.flatMap(Reports, f));

  it("answers the bots overview with the report page's figures for the same range", async () => {
    const res = await send("/api/v1/reports/bots?range=7d", tokens.analyst);
    expect(res.status).toBe(200);
    const query = await service((r) => r.parseQuery(new URLSearchParams("range=7d")));
    const overview = await service((r) => r.botOverview(query));
    expect(res.body.range).toEqual({ preset: "7d", timezone: query.range.timezone, from: query.range.from, to: query.range.to });
    expect(overview.totals.started).toBeGreaterThan(0);
    expect(res.body.totals).toMatchObject({ started: overview.totals.started, completed: overview.totals.completed, handedOff: overview.totals.handed_off });
    expect(res.body.totals.rates.completed).toBeCloseTo(overview.totals.completed / overview.totals.started);
    expect(res.body.flows.map((f: { flowId: string; started: number }) => [f.flowId, f.started])).toEqual(overview.flows.map((f) => [f.chatflowId, f.counts.started]));
    expect(res.body.daily.map((d: { day: string }) => d.day)).toEqual(overview.daily.map((d) => d.day));
    expect(res.body.versions[0]).toMatchObject({ flowId: overview.versions[0]!.chatflowId, version: overview.versions[0]!.version });
  });

  it("answers one flow's steps and drop-off, as /reports/bots/:flowId shows them", async () => {
    // A `flow` parameter naming another flow is overridden by the path, as on the page.
    const other = sqlite.prepare("SELECT id FROM chatflows WHERE id <> ? LIMIT 1").pluck().get(app.leadFlowId) as string;
    const res = await send(`/api/v1/reports/bots/${app.leadFlowId}?range=30d&flow=${other}`, tokens.admin);
    expect(res.status).toBe(200);
    const base = await service((r) => r.parseQuery(new URLSearchParams("range=30d")));
    const report = await service((r) => r.flowReport(app.leadFlowId, { ...base, filters: { ...base.filters, flow: app.leadFlowId } }));
    expect(res.body.filters).toEqual({ flow: app.leadFlowId });
    expect(res.body.flow).toEqual(report.flow);
    expect(res.body.totals.started).toBe(report.totals.started);
    const reached = report.nodes.filter((n) => n.reached > 0);
    expect(reached.length).toBeGreaterThan(0);
    for (const node of reached) {
      expect(res.body.nodes).toContainEqual(expect.objectContaining({ nodeId: node.nodeId, reached: node.reached, dropped: node.dropped, dropOff: node.dropOff }));
    }
    expect(res.body.edges).toEqual(report.edges);
    expect((await send("/api/v1/reports/bots/flow_nope", tokens.admin)).status).toBe(404);
  });

  it("answers the team report, business hours included when asked", async () => {
    const res = await send("/api/v1/reports/team?range=30d", tokens.analyst);
    expect(res.status).toBe(200);
    const query = await service((r) => r.parseQuery(new URLSearchParams("range=30d")));
    const team = await service((r) => r.team(query));
    expect(res.body.measure).toBe("wall");
    expect(res.body.firstResponse).toEqual(team.firstResponse);
    expect(res.body.volume).toEqual(team.volume);
    expect(res.body.agents).toEqual(team.agents);

    // Business hours: refused while the workspace has none (as on the page), measured once set.
    const seeded = (await service((r) => r.businessHours())).hours;
    try {
      await service((r) => r.setBusinessHours([]));
      const none = await send("/api/v1/reports/team?hours=business", tokens.analyst);
      expect(none.status).toBe(400);
      expect(none.body.error.path).toBe("hours");
      await service((r) => r.setBusinessHours(["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" }))));
      const business = await send("/api/v1/reports/team?hours=business", tokens.analyst);
      expect(business.status).toBe(200);
      expect(business.body).toMatchObject({ hours: "business", measure: "business" });
      const query = await service((r) => r.parseQuery(new URLSearchParams("hours=business")));
      expect(business.body.firstResponse).toEqual((await service((r) => r.team(query))).firstResponse);
    } finally {
      await service((r) => r.setBusinessHours(seeded));
    }
  });

  it("refuses bad dates and filters with 400 naming the parameter", async () => {
    for (const [search, path] of [
      ["range=custom&from=2026-02-30&to=2026-03-01", "from"],
      ["range=custom&from=2026-03-01&to=03/04/2026", "to"],
      ["range=custom&to=2026-03-01", "from"],
      ["range=forever", "range"],
      ["range=custom&from=2024-01-01&to=2026-01-01", "to"],
      ["inbox=inbox_nope", "inbox"],
    ] as const) {
      for (const report of ["bots", "team", `bots/${app.leadFlowId}`]) {
        const res = await send(`/api/v1/reports/${report}?${search}`, tokens.analyst);
        expect(res.status, `${report}?${search}`).toBe(400);
        expect(res.body.error).toMatchObject({ code: "invalid_input", path });
      }
    }
  });

  it("lists the answers that missed their target, as many as the team report's figures miss, a page at a time", async () => {
    const before = sqlite.prepare("SELECT response_targets FROM inboxes WHERE id = 'inbox_support'").pluck().get() as string | null;
    // One minute for each: the demo's replies take one to a few minutes, so some miss and some meet it.
    sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'").run(JSON.stringify({ firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false }));
    try {
      const query = await service((r) => r.parseQuery(new URLSearchParams("range=30d")));
      const row = (await service((r) => r.team(query))).targets.find((t) => t.inboxId === "inbox_support")!;
      const missed = row.firstResponse.measured - row.firstResponse.met + (row.nextReply.measured - row.nextReply.met);
      expect(missed, "the demo has answers over a minute").toBeGreaterThan(2);

      const all = await send("/api/v1/reports/breaches?range=30d&inbox=inbox_support", tokens.analyst);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ filters: { inbox: "inbox_support" }, agent: null, kind: null, sort: "-over", total: missed, nextCursor: null });
      expect(all.body.breaches).toHaveLength(missed);
      const first = all.body.breaches[0];
      expect(first).toMatchObject({ inboxId: "inbox_support", inboxName: row.name, targetMs: 60_000, businessHours: false });
      expect(first.overMs).toBe(first.actualMs - first.targetMs);
      expect(Date.parse(first.answeredAt) - Date.parse(first.waitingSince)).toBe(first.actualMs);
      // Who each is with, as the inbox names the conversation; its contact when it has one.
      const conversationApi = await send(`/api/v1/conversations/${encodeURIComponent(first.conversationId)}`, tokens.admin);
      expect(conversationApi.status).toBe(200);
      for (const b of all.body.breaches as Array<{ conversationId: string; title: string; contact: { id: string; name: string } | null }>) {
        const contactId = sqlite.prepare("SELECT contact_id FROM conversations WHERE id = ?").pluck().get(b.conversationId) as string | null;
        expect(b.contact).toEqual(contactId === null ? null : { id: contactId, name: b.title });
        expect(b.title).not.toBe("");
      }
      expect(first.title).toBe(conversationApi.body.conversation.title);
      expect(all.body.breaches.some((b: { contact: unknown }) => b.contact !== null), "the demo's conversations have contacts").toBe(true);
      const overs = all.body.breaches.map((b: { overMs: number }) => b.overMs);
      expect(overs).toEqual([...overs].sort((a, b) => b - a));
      const firsts = await send("/api/v1/reports/breaches?range=30d&kind=first_response", tokens.analyst);
      expect(firsts.body.total).toBe(row.firstResponse.measured - row.firstResponse.met);

      // Two at a time: the same answers, in the same order, each once.
      const paged: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof send>> = await send(
          `/api/v1/reports/breaches?range=30d&inbox=inbox_support&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          tokens.admin,
        );
        expect(page.status).toBe(200);
        expect(page.body.total).toBe(missed);
        expect(page.body.breaches.length).toBeLessThanOrEqual(2);
        paged.push(...page.body.breaches);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(paged).toEqual(all.body.breaches);

      // Sorted by another column, either way; paging keeps that order.
      type Row = { conversationId: string; agentName: string | null; answeredAt: string; overMs: number };
      const key = (b: Row) => `${b.conversationId}@${b.answeredAt}`;
      const newest = await send("/api/v1/reports/breaches?range=30d&inbox=inbox_support&sort=-answered", tokens.analyst);
      expect(newest.status).toBe(200);
      expect(newest.body).toMatchObject({ sort: "-answered", total: missed });
      const answered = (newest.body.breaches as Row[]).map((b) => Date.parse(b.answeredAt));
      expect(answered).toEqual([...answered].sort((a, b) => b - a));
      expect((newest.body.breaches as Row[]).map(key).sort()).toEqual((all.body.breaches as Row[]).map(key).sort());
      const byAgent = await send("/api/v1/reports/breaches?range=30d&inbox=inbox_support&sort=agent", tokens.analyst);
      const agents = (byAgent.body.breaches as Row[]).map((b) => b.agentName ?? "\uffff");
      expect(agents).toEqual([...agents].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base", numeric: true })));
      const pagedByAgent: Row[] = [];
      cursor = null;
      do {
        const page: Awaited<ReturnType<typeof send>> = await send(
          `/api/v1/reports/breaches?range=30d&inbox=inbox_support&sort=agent&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          tokens.analyst,
        );
        expect(page.status).toBe(200);
        pagedByAgent.push(...page.body.breaches);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(pagedByAgent).toEqual(byAgent.body.breaches);
      // A page's cursor belongs to its order.
      const second = await send("/api/v1/reports/breaches?range=30d&inbox=inbox_support&sort=agent&limit=2", tokens.analyst);
      const wrong = await send(`/api/v1/reports/breaches?range=30d&inbox=inbox_support&sort=-agent&cursor=${encodeURIComponent(second.body.nextCursor)}`, tokens.analyst);
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toMatchObject({ code: "invalid_input", path: "cursor", message: "cursor: this cursor is not one the list gave out for this sort" });
    } finally {
      sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'").run(before);
    }
  });

  it("refuses a bad breaches query with 400 naming the parameter", async () => {
    for (const [search, path] of [
      ["range=forever", "range"],
      ["inbox=inbox_nope", "inbox"],
      ["agent=usr_nope", "agent"],
      ["kind=slow", "kind"],
      ["cursor=nonsense", "cursor"],
      ["limit=51", "limit"],
      ["limit=0", "limit"],
      ["sort=title", "sort"],
      ["sort=%2Bover", "sort"],
      ["sort=-", "sort"],
    ] as const) {
      const res = await send(`/api/v1/reports/breaches?${search}`, tokens.analyst);
      expect(res.status, search).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_input", path });
    }
    const sort = await send("/api/v1/reports/breaches?sort=slowest&kind=slow", tokens.analyst);
    expect(sort.body.error.issues).toEqual([
      { path: "kind", message: "expected one of first_response, next_reply" },
      { path: "sort", message: "expected one of over, took, waiting, answered, agent, inbox, with a leading - for descending (such as -answered)" },
    ]);
  });

  it("is for admins and analysts: a marketer's or agent's token gets 403", async () => {
    for (const role of ["marketer", "agent"] as const) {
      for (const path of ["/api/v1/reports/bots", `/api/v1/reports/bots/${app.leadFlowId}`, "/api/v1/reports/team", "/api/v1/reports/breaches"]) {
        const res = await send(path, tokens[role]);
        expect(res.status, `${role} ${path}`).toBe(403);
        expect(res.body.error).toEqual({ code: "forbidden", message: `Your role (${role}) does not work with reports: only admins and analysts do.` });
      }
    }
    expect((await send("/api/v1/reports", tokens.admin)).status).toBe(404);
    expect((await send("/api/v1/reports/nope", tokens.admin)).status).toBe(404);
  });
});
