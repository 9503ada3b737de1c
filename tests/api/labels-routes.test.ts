/**
 * Settings → Labels (/settings/labels) and the thread's label intents (/inbox/:id add-label,
 * remove-label, set-labels), as their real route modules, posted as the seeded admin with a real
 * session cookie and CSRF token: each bad input answers its status and the field it is about,
 * and stores nothing. Real parts: the app runtime on a fresh SQLite file, the route modules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as threadAction } from "../../app/routes/inbox.$conversationId.js";
import { action as labelsAction, loader as labelsLoader } from "../../app/routes/settings.labels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, settleRoute, signInAdmin, type ThreadAnswer } from "../support/thread-post.js";

let app: TestApp;
let sqlite: Sqlite;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;
const conversationId = "conv_labels_route";

beforeAll(async () => {
  app = await startTestApp("labels-routes");
  sqlite = app.sqlite;
  signedIn = await signInAdmin(app.runtime);
  const channel = sqlite.prepare("SELECT id, inbox_id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string; inbox_id: string };
  sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, version, created_at, updated_at, last_activity_at)
       VALUES (?, ?, ?, 'open', 1, 0, 0, 0)`,
    )
    .run(conversationId, channel.id, channel.inbox_id);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

type SettingsAnswer = { status: number; body: { errors: Record<string, string>; saved?: boolean } };

const requests = () => routeRequests(signedIn);
const settings = (fields: Record<string, string>, options: { csrf?: boolean } = {}): Promise<SettingsAnswer> =>
  settleRoute(labelsAction({ request: requests().post("/settings/labels", fields, options), context: signedIn.context, params: {} }), { errors: {} });
/** A post to the thread; repeated fields as arrays. */
const thread = (fields: Record<string, string | ReadonlyArray<string>>): Promise<{ status: number; body: ThreadAnswer }> => {
  const body = new FormData();
  body.set("csrf", signedIn.csrf);
  for (const [k, v] of Object.entries(fields)) for (const one of typeof v === "string" ? [v] : v) body.append(k, one);
  const request = new Request(`https://parley.example.com/inbox/${conversationId}`, { method: "POST", headers: { Cookie: signedIn.cookie }, body });
  return settleRoute(threadAction({ request, context: signedIn.context, params: { conversationId } }), { ok: false });
};
const count = (sql: string, ...args: unknown[]) => (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${sql}`).get(...args) as { n: number }).n;
const idOf = (name: string) => (sqlite.prepare("SELECT id FROM labels WHERE name = ?").get(name) as { id: string }).id;
const onConversation = () =>
  (sqlite.prepare("SELECT l.name FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE conversation_id = ? ORDER BY l.name").all(conversationId) as Array<{ name: string }>).map(
    (r) => r.name,
  );

describe("/settings/labels", () => {
  it("adds, edits and deletes a label, and refuses bad input by field, storing nothing", async () => {
    expect(await settings({ intent: "create", name: "Invoices", color: "blue", description: "Money owed" })).toMatchObject({ status: 200, body: { saved: true } });
    const before = count("labels");
    const blank = await settings({ intent: "create", name: " ", color: "blue" });
    expect(blank).toMatchObject({ status: 400, body: { errors: { name: "enter a name for the label" } } });
    const colour = await settings({ intent: "create", name: "Bug", color: "magenta" });
    expect(colour.status).toBe(400);
    expect(colour.body.errors.color).toMatch(/pick a colour/);
    const taken = await settings({ intent: "create", name: "INVOICES", color: "red" });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual({ name: "A label named “INVOICES” already exists." });
    expect((await settings({ intent: "explode" })).status).toBe(400);
    expect((await settings({ intent: "create", name: "No token", color: "red" }, { csrf: false })).status).toBe(403);
    expect(count("labels")).toBe(before);

    const id = idOf("Invoices");
    expect((await settings({ intent: "update", id, name: "Invoices & credit notes", color: "teal", description: "" })).status).toBe(200);
    expect((await settings({ intent: "update", id: "label_nope", name: "X", color: "red" })).status).toBe(404);
    const loaded = (await labelsLoader({ request: requests().get("/settings/labels"), context: signedIn.context, params: {} })) as unknown as {
      labels: Array<{ name: string; color: string; description: string | null; openCount: number }>;
      palette: ReadonlyArray<string>;
    };
    expect(loaded.labels).toContainEqual(expect.objectContaining({ name: "Invoices & credit notes", color: "teal", description: null, openCount: 0 }));
    expect(loaded.palette).toContain("purple");
    expect((await settings({ intent: "delete", id: "label_nope" })).status).toBe(404);
    expect((await settings({ intent: "delete", id })).status).toBe(200);
    expect(count("labels")).toBe(before - 1);
  });
});

describe("/inbox/:id label intents", () => {
  it("put a label on and take it off, and refuse a missing or unknown one by field and status", async () => {
    await settings({ intent: "create", name: "Priority", color: "purple" });
    await settings({ intent: "create", name: "Refund", color: "green" });
    const [priority, refund] = [idOf("Priority"), idOf("Refund")];

    const none = await thread({ intent: "add-label" });
    expect(none).toMatchObject({ status: 400, body: { ok: false, fields: { labelId: "pick a label" } } });
    expect((await thread({ intent: "add-label", labelId: "label_nope" })).status).toBe(404);
    expect(count("conversation_labels")).toBe(0);

    expect(await thread({ intent: "add-label", labelId: priority })).toMatchObject({ status: 200, body: { ok: true, intent: "add-label" } });
    expect(await thread({ intent: "add-label", labelId: priority })).toMatchObject({ status: 200 });
    expect(onConversation()).toEqual(["Priority"]);
    expect(count("events WHERE type = 'label_added' AND conversation_id = ?", conversationId)).toBe(1);

    // Without JavaScript the menu posts every label it showed: ticked ones go on, the others come off.
    expect((await thread({ intent: "set-labels", shown: [priority, refund], labelId: [refund] })).status).toBe(200);
    expect(onConversation()).toEqual(["Refund"]);
    expect((await thread({ intent: "set-labels", shown: ["label_nope"] })).status).toBe(404);

    expect((await thread({ intent: "remove-label", labelId: refund })).status).toBe(200);
    expect(onConversation()).toEqual([]);
    expect(count("events WHERE type = 'label_removed' AND conversation_id = ?", conversationId)).toBe(2);
  });
});
