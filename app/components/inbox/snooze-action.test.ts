/**
 * The thread route's "snooze" and "unsnooze" intents as the signed-in admin posts them, through
 * the real route action, session and CSRF check, on the app's real runtime and a fresh SQLite
 * file: a preset's instant, the date-time field read on the posted time zone (or, without one,
 * the workspace's), and every bad input refused with its status, field and message while
 * nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zonedTimeToInstant } from "../../../flows/availability.js";
import type { AppRuntime } from "../../../runtime/services/app-layer.js";
import type { Sqlite } from "../../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../../../tests/support/test-app.js";
import { postThreadForm } from "../../../tests/support/thread-post.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let seq = 0;

const conversation = (status = "open"): string => {
  const id = `conv_snooze_${++seq}`;
  const { inbox_id, id: channelId } = sqlite.prepare("SELECT id, inbox_id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as {
    id: string;
    inbox_id: string;
  };
  const now = Date.now();
  sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, version, created_at, updated_at, last_activity_at)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
    )
    .run(id, channelId, inbox_id, status, now, now, now);
  return id;
};
const row = (id: string) =>
  sqlite.prepare("SELECT version, snoozed_until FROM conversations WHERE id = ?").get(id) as { version: number; snoozed_until: number | null };
const systemLines = (id: string) => (sqlite.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?").get(id) as { n: number }).n;
const post = (id: string, fields: Record<string, string>, options?: { csrf?: boolean }) => postThreadForm(runtime, id, fields, [], options);

beforeAll(async () => {
  app = await startTestApp("snooze-action");
  ({ runtime, sqlite } = app);
});
afterAll(() => app.dispose());

describe("POST /inbox/:id intent=snooze | unsnooze", () => {
  it("snoozes until a preset's instant, then unsnoozes", async () => {
    const id = conversation();
    const until = Date.now() + 3_600_000;
    const answer = await post(id, { intent: "snooze", version: "1", until: String(until), timeZone: "Europe/Berlin" });
    expect(answer).toEqual({ status: 200, data: { ok: true, intent: "snooze" } });
    expect(row(id)).toEqual({ version: 2, snoozed_until: until });
    expect(await post(id, { intent: "unsnooze", version: "2" })).toEqual({ status: 200, data: { ok: true, intent: "unsnooze" } });
    expect(row(id)).toEqual({ version: 3, snoozed_until: null });
  });

  it("reads the date-time field on the posted zone, and on the workspace's without one", async () => {
    const year = new Date().getUTCFullYear() + 1;
    const berlin = conversation();
    await post(berlin, { intent: "snooze", version: "1", at: `${year}-01-15T09:30`, timeZone: "Europe/Berlin" });
    expect(row(berlin).snoozed_until).toBe(zonedTimeToInstant("Europe/Berlin", year, 1, 15, 9 * 60 + 30));
    // The workspace's zone is the reports' setting (UTC in a new workspace); an empty field is no zone.
    sqlite.prepare("INSERT INTO settings (key, value) VALUES ('timezone', 'America/New_York') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
    const workspace = conversation();
    await post(workspace, { intent: "snooze", version: "1", at: `${year}-01-15T09:30`, timeZone: "" });
    expect(row(workspace).snoozed_until).toBe(zonedTimeToInstant("America/New_York", year, 1, 15, 9 * 60 + 30));
  });

  it("refuses bad inputs with the status, field and message, and stores nothing", async () => {
    const id = conversation();
    const closed = conversation("closed");
    const now = Date.now();
    const cases: Array<[string, Record<string, string>, number, string, string]> = [
      [id, { intent: "snooze", version: "1" }, 400, "at", "at: pick a time to snooze until"],
      [id, { intent: "snooze", version: "1", at: "tomorrow morning", timeZone: "UTC" }, 400, "at", "at: enter a date and a time, like 2026-11-27T09:00"],
      [id, { intent: "snooze", version: "1", at: "2027-02-30T09:00", timeZone: "UTC" }, 400, "at", "at: enter a date and a time, like 2026-11-27T09:00"],
      [id, { intent: "snooze", version: "1", until: "soon" }, 400, "until", "until: expected a time in epoch milliseconds"],
      [id, { intent: "snooze", version: "1", until: String(now - 60_000), timeZone: "UTC" }, 400, "until", "until: the snooze must end in the future"],
      [id, { intent: "snooze", version: "1", until: String(now + 400 * 86_400_000), timeZone: "UTC" }, 400, "until", "until: a snooze ends at most a year from now"],
      [id, { intent: "snooze", version: "1", until: String(now + 3_600_000), timeZone: "Atlantis/Deep" }, 400, "timeZone", "timeZone: expected a time zone like Europe/Berlin"],
      [id, { intent: "snooze", version: "x", until: String(now + 3_600_000), timeZone: "UTC" }, 400, "version", "version: the conversation's version is a whole number from 1"],
      [id, { intent: "snooze", version: "7", until: String(now + 3_600_000), timeZone: "UTC" }, 409, "form", "Someone else changed this conversation first. It has been reloaded: check it and try again."],
      [closed, { intent: "snooze", version: "1", until: String(now + 3_600_000), timeZone: "UTC" }, 409, "form", "This conversation is closed; only an open or pending conversation can be snoozed."],
      ["conv_missing", { intent: "snooze", version: "1", until: String(now + 3_600_000), timeZone: "UTC" }, 404, "form", "conversation conv_missing was not found"],
    ];
    for (const [target, fields, status, field, message] of cases) {
      const answer = await post(target, fields);
      expect({ fields, status: answer.status, error: answer.data?.error, field: answer.data?.fields?.[field] !== undefined }).toEqual({
        fields,
        status,
        error: message,
        field: true,
      });
    }
    expect(row(id)).toEqual({ version: 1, snoozed_until: null });
    expect(row(closed).snoozed_until).toBeNull();
    expect(systemLines(id) + systemLines(closed)).toBe(0);
  });

  it("refuses a post without the CSRF token", async () => {
    const id = conversation();
    const answer = await post(id, { intent: "snooze", version: "1", until: String(Date.now() + 3_600_000) }, { csrf: false });
    expect(answer.status).toBe(403);
    expect(row(id).snoozed_until).toBeNull();
  });
});
