/**
 * POST /reports/breaches (the follow-up form) as the signed-in admin posts it without JavaScript,
 * through the real route action, session and CSRF check, on the app's real runtime and a fresh
 * SQLite file: a follow-up assigning, labelling and commenting with the notice; "select all on
 * this page"; and bad posts — nothing ticked, an unknown person, team or label, nothing to do —
 * refused with their status and the form field each belongs to, while nothing changes.
 *
 * The missed answers are the `report_replies` rows an agent's late first response leaves (what
 * the list reads), written here for conversations written here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action } from "../../routes/reports.breaches.js";
import type { AppRuntime } from "../../../runtime/services/app-layer.js";
import type { Sqlite } from "../../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../../../tests/support/test-app.js";
import { settleRoute, signInAdmin } from "../../../tests/support/thread-post.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let seq = 0;
let inboxId = "";
let channelId = "";
let adminId = "";

type Answer = { ok: true; notice: string } | { ok: false; errors: Record<string, string>; values: { breaches: string[] } };

/** An open conversation whose first response took `tookMin` minutes against the inbox's 10; returns it and the answer's id. */
const lateAnswer = (tookMin = 22, status = "open") => {
  const id = `conv_follow_${++seq}`;
  const now = Date.now();
  sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, version, created_at, updated_at, last_activity_at)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
    )
    .run(id, channelId, inboxId, status, now, now, now);
  const eventId = 500_000 + seq;
  sqlite
    .prepare(
      `INSERT INTO report_replies (event_id, conversation_id, at, user_id, inbox_id, channel_id, wait_ms, is_first, first_response_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`,
    )
    .run(eventId, id, now - 60_000, adminId, inboxId, channelId, tookMin * 60_000, tookMin * 60_000);
  return { id, eventId: String(eventId) };
};

const state = (id: string) =>
  sqlite
    .prepare(
      `SELECT c.assignee_id, c.team_id, c.version,
         (SELECT count(*) FROM conversation_labels l WHERE l.conversation_id = c.id) AS labels,
         (SELECT group_concat(text, ' | ') FROM messages m WHERE m.conversation_id = c.id AND m.is_internal = 1 AND m.author = 'agent') AS comments
       FROM conversations c WHERE c.id = ?`,
    )
    .get(id) as { assignee_id: string | null; team_id: string | null; version: number; labels: number; comments: string | null };

const post = async (fields: Record<string, string | string[]>) => {
  const { context, cookie, csrf } = await signInAdmin(runtime);
  const body = new FormData();
  body.set("csrf", csrf);
  for (const [k, v] of Object.entries(fields)) for (const value of Array.isArray(v) ? v : [v]) body.append(k, value);
  const request = new Request(`https://parley.example.com/reports/breaches?range=7d&inbox=${inboxId}`, { method: "POST", headers: { Cookie: cookie }, body });
  return settleRoute<Answer | null>(action({ request, context, params: {} }), null);
};

beforeAll(async () => {
  app = await startTestApp("breach-follow-up");
  ({ runtime, sqlite } = app);
  ({ id: channelId, inbox_id: inboxId } = sqlite.prepare("SELECT id, inbox_id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as {
    id: string;
    inbox_id: string;
  });
  adminId = (sqlite.prepare("SELECT id FROM users WHERE email = 'admin@parley.local'").get() as { id: string }).id;
  sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify({ firstResponseMinutes: 10, nextReplyMinutes: null, businessHours: false }), inboxId);
  sqlite.prepare("INSERT INTO labels (id, name, color, created_at) VALUES ('label_followup', 'Follow-up', 'orange', 0)").run();
  sqlite.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_followup', 'Leads', 0)").run();
});
afterAll(() => app.dispose());

describe("POST /reports/breaches", () => {
  it("follows the ticked answers up: assigned, labelled, commented with each one's figure, and says so; a closed one is skipped by name", async () => {
    const a = lateAnswer(22);
    const b = lateAnswer(75);
    const closed = lateAnswer(30, "closed");
    const answer = await post({ breach: [a.eventId, b.eventId, closed.eventId], assign: `user:${adminId}`, labelId: "label_followup", comment: "on", note: "" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, notice: `Followed up 2 conversations; 1 skipped: closed (Visitor ${closed.id.slice(5, 11)})` });
    expect(state(a.id)).toMatchObject({ assignee_id: adminId, labels: 1, comments: expect.stringMatching(/^Missed the first-response target by 12 min on .+ — please follow up$/) });
    expect(state(b.id).comments).toMatch(/^Missed the first-response target by 1 h 5 min on /);
    expect(state(closed.id)).toEqual({ assignee_id: null, team_id: null, version: 1, labels: 0, comments: null });
  });

  it("takes every answer the page listed with “select all on this page”", async () => {
    const a = lateAnswer();
    const b = lateAnswer();
    const answer = await post({ all: "page", onPage: [a.eventId, b.eventId], assign: "team:team_followup" });
    expect(answer.body).toMatchObject({ ok: true, notice: "Followed up 2 conversations." });
    for (const { id } of [a, b]) expect(state(id).team_id).toBe("team_followup");
  });

  it("refuses bad posts with the status and the field, keeps what was posted, and changes nothing", async () => {
    const a = lateAnswer();
    const cases: Array<[Record<string, string | string[]>, number, string, string]> = [
      [{ comment: "on" }, 400, "breaches", "select at least one answer"],
      [{ breach: a.eventId, assign: "user:usr_ghost", comment: "on" }, 400, "assign", "no such user"],
      [{ breach: a.eventId, assign: "team:team_ghost" }, 400, "assign", "no such team"],
      [{ breach: a.eventId, assign: "robot:r2" }, 400, "assign", "assign to user:<id> or team:<id>"],
      [{ breach: a.eventId, labelId: "label_ghost", comment: "on" }, 400, "labelId", "no such label"],
      [{ breach: a.eventId }, 400, "form", "choose what to do: assign, add a label or leave a comment"],
      [{ breach: a.eventId, note: "call them" }, 400, "comment", "tick “Leave an internal comment” to post your note"],
      [{ breach: "999999999", comment: "on" }, 400, "breaches", "not an answer that missed its target now: reload the list"],
      [{ breach: "x", comment: "on" }, 400, "breaches", "an answer of the list (a whole number)"],
    ];
    for (const [fields, status, field, message] of cases) {
      const answer = await post(fields);
      const body = answer.body;
      expect({ fields, status: answer.status, message: body && !body.ok ? body.errors[field] : null }).toEqual({ fields, status, message });
    }
    const refused = await post({ breach: a.eventId, assign: "user:usr_ghost" });
    expect(refused.body).toMatchObject({ ok: false, values: { breaches: [a.eventId] } });
    expect(state(a.id)).toEqual({ assignee_id: null, team_id: null, version: 1, labels: 0, comments: null });
  });
});
