/**
 * Macros through the app's real routes, session and CSRF check on the app's real runtime and a
 * fresh SQLite file: Settings → Macros' form (rows posted in order, an error on its row), and
 * the thread's `run-macro` intent on an email conversation — its reply leaves through the outbox
 * before the close, the label goes on — and every bad run refused with its status, changing nothing.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Channels } from "../../../runtime/services/channels.js";
import { Deliveries } from "../../../runtime/services/deliveries.js";
import { Labels } from "../../../runtime/services/labels.js";
import { OutsideConversations } from "../../../runtime/services/outside-conversations.js";
import { settleRoute, postThreadForm, signInAdmin } from "../../../tests/support/thread-post.js";
import { startTestApp, type TestApp } from "../../../tests/support/test-app.js";
import { action as settingsAction } from "../../routes/settings.macros.js";

let app: TestApp;
let channelId: string;
let labelId: string;
const sent: string[] = [];

const newConversation = async (text: string) => {
  const outside = await app.runtime.runPromise(OutsideConversations);
  const { visitorId } = await app.runtime.runPromise(outside.visitorFor({ channelId, externalId: `${text.replace(/\W/g, "")}@customer.test` }));
  return (await app.runtime.runPromise(outside.open({ channelId, visitorId, contactId: null, text, via: "email" }))).conversationId;
};
const conversation = (id: string) =>
  app.sqlite.prepare("SELECT status, version FROM conversations WHERE id = ?").get(id) as { status: string; version: number };
const labelsOf = (id: string) => app.sqlite.prepare("SELECT label_id FROM conversation_labels WHERE conversation_id = ?").all(id);

const postSettings = async (fields: ReadonlyArray<[string, string]>) => {
  const { context, cookie, csrf } = await signInAdmin(app.runtime);
  const body = new URLSearchParams([["csrf", csrf], ...fields]);
  const request = new Request("https://parley.example.com/settings/macros", {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  return settleRoute(settingsAction({ request, context, params: {} }), null as never) as Promise<{
    status: number;
    body: { saved: boolean; errors: Record<string, string>; rowErrors: Record<number, string>; rows: ReadonlyArray<{ action: string; comment: string }> | null };
  }>;
};

beforeAll(async () => {
  app = await startTestApp("macro-action", { PUBLIC_URL: "https://parley.example.com" });
  const inboxId = (app.sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await app.runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  const deliveries = await app.runtime.runPromise(Deliveries);
  deliveries.register("email", (m) => Effect.sync(() => void sent.push(m.text)).pipe(Effect.as({})));
  const admin = app.sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string; role: string };
  labelId = (await app.runtime.runPromise(Effect.flatMap(Labels, (l) => l.create(admin, { name: `Refunds`, color: "green" })))).id;
});

afterAll(() => app.dispose());

describe("Settings → Macros' form", () => {
  it("stores the rows in their order, blank rows left out", async () => {
    const answer = await postSettings([
      ["intent", "create"],
      ["name", "Refund and close"],
      ["text", "Your refund is on its way."],
      ["visibility", "shared"],
      ["action", `add-label:${labelId}`],
      ["comment", ""],
      ["action", ""],
      ["comment", ""],
      ["action", "comment"],
      ["comment", "Refund sent"],
      ["action", "set-status:closed"],
      ["comment", ""],
    ]);
    expect(answer).toMatchObject({ status: 200, body: { saved: true } });
    const stored = app.sqlite.prepare("SELECT reply_text, actions, owner_id FROM macros WHERE name = 'Refund and close'").get() as { reply_text: string; actions: string; owner_id: string | null };
    expect(stored.owner_id).toBeNull();
    expect(JSON.parse(stored.actions)).toEqual([
      { type: "add-label", labelId },
      { type: "comment", text: "Refund sent" },
      { type: "set-status", status: "closed" },
    ]);
  });

  it("puts an action's error on its row (after a blank one) and gives the rows back; stores nothing", async () => {
    const before = app.sqlite.prepare("SELECT COUNT(*) AS n FROM macros").get();
    const answer = await postSettings([
      ["intent", "create"],
      ["name", "Broken"],
      ["visibility", "shared"],
      ["action", ""],
      ["comment", ""],
      ["action", "add-label:label_nope"],
      ["comment", ""],
      ["action", "unassign"],
      ["comment", ""],
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body.rowErrors).toEqual({ 1: "no such label" });
    expect(answer.body.rows).toEqual([
      { action: "", comment: "" },
      { action: "add-label:label_nope", comment: "" },
      { action: "unassign", comment: "" },
    ]);
    const unknownKind = await postSettings([["intent", "create"], ["name", "Broken"], ["visibility", "shared"], ["action", "explode:now"], ["comment", ""]]);
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body.rowErrors[0]).toMatch(/actual "explode"/);
    expect((await postSettings([["intent", "create"], ["name", ""], ["visibility", "shared"]])).body.errors.name).toBe("enter a name");
    expect((await postSettings([["intent", "rename"]])).status).toBe(400);
    expect(app.sqlite.prepare("SELECT COUNT(*) AS n FROM macros").get()).toEqual(before);
  });
});

describe("POST /inbox/:id intent=run-macro", () => {
  const macroId = () => (app.sqlite.prepare("SELECT id FROM macros WHERE name = 'Refund and close'").get() as { id: string }).id;

  it("sends the reply through the outbox before it closes, and labels and comments", async () => {
    const id = await newConversation("Where is my refund");
    const answer = await postThreadForm(app.runtime, id, { intent: "run-macro", macroId: macroId(), version: String(conversation(id).version), clientMessageId: "run-1", timeZone: "Europe/Berlin" }, []);
    expect(answer).toMatchObject({ status: 200, data: { ok: true, intent: "run-macro", message: "Ran “Refund and close”: 4 steps done." } });
    expect(conversation(id).status).toBe("closed");
    expect(labelsOf(id)).toEqual([{ label_id: labelId }]);
    const messages = app.sqlite.prepare("SELECT id, text, is_internal FROM messages WHERE conversation_id = ? AND author = 'agent' ORDER BY id").all(id) as Array<{ id: number; text: string; is_internal: number }>;
    expect(messages.map((m) => [m.text, m.is_internal])).toEqual([["Your refund is on its way.", 0], ["Refund sent", 1]]);
    // The reply was stored before the close, and waits in the outbox like the composer's.
    const closedAt = (app.sqlite.prepare("SELECT closed_at FROM conversations WHERE id = ?").get(id) as { closed_at: number }).closed_at;
    const replyAt = (app.sqlite.prepare("SELECT created_at FROM messages WHERE id = ?").get(messages[0]!.id) as { created_at: number }).created_at;
    expect(replyAt).toBeLessThanOrEqual(closedAt);
    expect(app.sqlite.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE message_id = ?").get(messages[0]!.id)).toEqual({ n: 1 });
    await app.runtime.runPromise(Effect.flatMap(Deliveries, (d) => d.runDue()));
    expect(sent).toContain("Your refund is on its way.");
  });

  it("refuses a bad run with its status and changes nothing", async () => {
    const id = await newConversation("Another refund");
    const version = String(conversation(id).version);
    const post = (fields: Record<string, string>, csrf = true, on = id) => postThreadForm(app.runtime, on, { intent: "run-macro", ...fields }, [], { csrf });
    const missing = await post({ version });
    expect(missing.status).toBe(400);
    expect(missing.data?.fields?.macroId).toBe("pick a macro");
    expect((await post({ macroId: macroId(), version: "abc" })).data?.fields?.version).toMatch(/whole number/);
    expect((await post({ macroId: "macro_nope", version })).status).toBe(404);
    expect((await post({ macroId: macroId(), version }, true, "conv_nope")).status).toBe(404);
    expect((await post({ macroId: macroId(), version }, false)).status).toBe(403);
    const stale = await post({ macroId: macroId(), version: String(Number(version) + 1) });
    expect(stale).toMatchObject({ status: 409, data: { ok: false, conflict: true } });
    expect(conversation(id)).toEqual({ status: "open", version: Number(version) });
    expect(labelsOf(id)).toEqual([]);
    expect(app.sqlite.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND author = 'agent'").get(id)).toEqual({ n: 0 });
  });
});
