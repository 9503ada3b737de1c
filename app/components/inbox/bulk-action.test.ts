/**
 * POST /inbox/bulk as the signed-in admin posts it (the list's bar, or its plain form without
 * JavaScript), through the real route action, session and CSRF check, on the app's real runtime
 * and a fresh SQLite file: close and assign with the notice naming the skipped ones, a snooze
 * preset read on the posted zone, and bad posts refused with status, field and message while
 * nothing changes. A visit (GET) reads its query as the list's filter, refusing what /inbox refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as inboxLoader } from "../../routes/inbox.js";
import { action, loader } from "../../routes/inbox_.bulk.js";
import type { AppRuntime } from "../../../runtime/services/app-layer.js";
import type { Sqlite } from "../../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../../../tests/support/test-app.js";
import { settleRoute, signInAdmin } from "../../../tests/support/thread-post.js";
import type { BulkActionResult } from "./bulk-logic.js";
import { snoozePresets } from "./snooze-logic.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let seq = 0;

type Answer = { result: BulkActionResult; back: string };

const conversation = (status = "open", name?: string): string => {
  const id = `conv_bulk_${++seq}`;
  const { inbox_id, id: channelId } = sqlite.prepare("SELECT id, inbox_id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as {
    id: string;
    inbox_id: string;
  };
  const now = Date.now();
  let contactId: string | null = null;
  if (name) {
    contactId = `ct_bulk_${seq}`;
    sqlite.prepare("INSERT INTO contacts (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").run(contactId, name, now, now);
  }
  sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, contact_id, status, version, created_at, updated_at, last_activity_at)
       VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    )
    .run(id, channelId, inbox_id, contactId, status, now, now, now);
  return id;
};
const row = (id: string) =>
  sqlite.prepare("SELECT status, version, assignee_id, snoozed_until FROM conversations WHERE id = ?").get(id) as {
    status: string;
    version: number;
    assignee_id: string | null;
    snoozed_until: number | null;
  };

const post = async (fields: Record<string, string | string[]>, options: { csrf?: boolean } = {}) => {
  const { context, cookie, csrf } = await signInAdmin(runtime);
  const body = new FormData();
  if (options.csrf !== false) body.set("csrf", csrf);
  for (const [k, v] of Object.entries(fields)) for (const value of Array.isArray(v) ? v : [v]) body.append(k, value);
  const request = new Request("https://parley.example.com/inbox/bulk", { method: "POST", headers: { Cookie: cookie }, body });
  return settleRoute<Answer | null>(action({ request, context, params: {} }), null);
};

beforeAll(async () => {
  app = await startTestApp("bulk-action");
  ({ runtime, sqlite } = app);
});
afterAll(() => app.dispose());

describe("POST /inbox/bulk", () => {
  it("closes the selected conversations and names the skipped ones in the notice", async () => {
    const a = conversation("open", "Ana Lima");
    const b = conversation("pending", "Bo Chen");
    const moved = conversation("open", "Cleo Park");
    sqlite.prepare("UPDATE conversations SET version = 2 WHERE id = ?").run(moved);
    const closed = conversation("closed", "Dev Rao");
    const answer = await post({
      intent: "close",
      conversation: [`${a}:1`, `${b}:1`, `${moved}:1`, `${closed}:1`],
      back: "?view=all_open&search=x&evil=https://example.org",
    });
    expect(answer.status).toBe(200);
    expect(answer.body?.result).toMatchObject({
      ok: true,
      action: "close",
      applied: [{ id: a, title: "Ana Lima" }, { id: b, title: "Bo Chen" }],
      notice: "2 closed; 2 skipped: changed by someone else (Cleo Park); already closed (Dev Rao)",
    });
    // Only the list's own keys go back into the link.
    expect(answer.body?.back).toBe("?view=all_open&search=x");
    expect([a, b].map((id) => row(id).status)).toEqual(["closed", "closed"]);
    expect(row(moved)).toMatchObject({ status: "open", version: 2 });
  });

  it("assigns to a person, named in the notice", async () => {
    const admin = sqlite.prepare("SELECT id, COALESCE(display_name, name) AS name FROM users WHERE email = 'admin@parley.local'").get() as { id: string; name: string };
    const ids = [conversation(), conversation()];
    const answer = await post({ intent: `assign:user:${admin.id}`, conversation: ids.map((id) => `${id}:1`) });
    expect(answer.body?.result).toMatchObject({ ok: true, notice: `2 assigned to ${admin.name}.` });
    for (const id of ids) expect(row(id)).toMatchObject({ assignee_id: admin.id, version: 2 });
  });

  it("snoozes until a preset on the posted time zone", async () => {
    const id = conversation();
    const before = Date.now();
    const answer = await post({ intent: "snooze:tomorrow", conversation: `${id}:1`, timeZone: "Asia/Tokyo" });
    expect(answer.body?.result).toMatchObject({ ok: true, notice: "1 snoozed." });
    const expected = snoozePresets(before, "Asia/Tokyo").find((p) => p.id === "tomorrow")!.at;
    expect(row(id).snoozed_until).toBe(expected);
  });

  it("refuses bad posts with the status, field and message, and changes nothing", async () => {
    const id = conversation();
    const many = Array.from({ length: 101 }, (_, i) => `conv_x${i}:1`);
    const cases: Array<[Record<string, string | string[]>, number, string, string]> = [
      [{ intent: "close" }, 400, "conversations", "conversations: select at least one conversation"],
      [{ intent: "close", conversation: many }, 400, "conversations", "conversations: at most 100 conversations at once"],
      [{ intent: "archive", conversation: `${id}:1` }, 400, "intent", "unknown action “archive”: expected close, reopen, mark-pending, assign or snooze"],
      [{ intent: "close", conversation: `${id}:one` }, 400, "conversations", "conversations[0].version: the conversation's version is a whole number from 1"],
      [{ intent: "assign:user:usr_ghost", conversation: `${id}:1` }, 400, "userId", "userId: no such user"],
      [{ intent: "assign:team:team_ghost", conversation: `${id}:1` }, 400, "teamId", "teamId: no such team"],
      [{ intent: "assign:robot:x", conversation: `${id}:1` }, 400, "intent", "assign to user:<id>, team:<id> or none"],
      [{ intent: `snooze:${Date.now() - 60_000}`, conversation: `${id}:1` }, 400, "until", "until: the snooze must end in the future"],
      [{ intent: "snooze:someday", conversation: `${id}:1` }, 400, "until", "until: pick In 1 hour, Tomorrow 09:00 or Next Monday 09:00"],
    ];
    for (const [fields, status, field, message] of cases) {
      const answer = await post(fields);
      const result = answer.body?.result;
      expect({ fields, status: answer.status, error: result && !result.ok ? result.error : null, field: result && !result.ok ? field in result.fields : false }).toEqual({
        fields,
        status,
        error: message,
        field: true,
      });
    }
    expect(row(id)).toEqual({ status: "open", version: 1, assignee_id: null, snoozed_until: null });
  });

  it("refuses a post without the CSRF token", async () => {
    const id = conversation();
    const answer = await post({ intent: "close", conversation: `${id}:1` }, { csrf: false });
    expect(answer.status).toBe(403);
    expect(row(id).status).toBe("open");
  });
});

/** A GET of `path` as the signed-in admin through `load`: its status and, when refused, its error body. */
const visit = async (load: typeof loader | typeof inboxLoader, path: string) => {
  const { context, cookie } = await signInAdmin(runtime);
  const request = new Request(`https://parley.example.com${path}`, { headers: { Cookie: cookie } });
  return load({ request, context, params: {} }).then(
    () => ({ status: 200, body: null }),
    async (thrown: unknown) => ({ status: (thrown as Response).status, body: (await (thrown as Response).json()) as { error: { code: string; path?: string } } }),
  );
};

describe("GET /inbox/bulk", () => {
  it("answers a known view, or none, with the page", async () => {
    expect(await visit(loader, "/inbox/bulk")).toEqual({ status: 200, body: null });
    expect(await visit(loader, "/inbox/bulk?view=mine&search=x")).toEqual({ status: 200, body: null });
  });

  it("refuses an unknown view with 400 at `view`, the same answer as the inbox list's", async () => {
    const bulk = await visit(loader, "/inbox/bulk?view=bogus");
    expect(bulk.status).toBe(400);
    expect(bulk.body?.error).toMatchObject({ code: "invalid_input", path: "view" });
    expect(await visit(inboxLoader, "/inbox?view=bogus")).toEqual(bulk);
  });
});
