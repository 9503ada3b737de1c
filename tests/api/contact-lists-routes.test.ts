/**
 * The lists page (/lists) and the contact page's list intents, as their real route modules,
 * posted as the seeded admin with a real session cookie and CSRF token: each bad input answers
 * its status and the field it is about, and stores nothing.
 * Real parts: the app runtime on a fresh SQLite file, the route modules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as contactAction, loader as contactLoader } from "../../app/routes/contacts.$contactId.js";
import { loader as contactsLoader } from "../../app/routes/contacts._index.js";
import { action as listsAction, loader as listsLoader } from "../../app/routes/lists.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, settleRoute, signInAdmin } from "../support/thread-post.js";


let app: TestApp;
let sqlite: Sqlite;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;

beforeAll(async () => {
  app = await startTestApp("contact-lists-routes");
  sqlite = app.sqlite;
  signedIn = await signInAdmin(app.runtime);
  sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_route', 'route@example.com', 'Rita Route', 0, 0)").run();
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

type Answer = { status: number; body: { errors: Record<string, string>; saved?: boolean; ok?: boolean } };

const post = (path: string, fields: Record<string, string>, options: { csrf?: boolean } = {}) => routeRequests(signedIn).post(path, fields, options);
const get = (path: string) => routeRequests(signedIn).get(path);
const settle = (promise: Promise<unknown>): Promise<Answer> => settleRoute<Answer["body"]>(promise, { errors: {} } as Answer["body"]);
const lists = (fields: Record<string, string>, options: { csrf?: boolean } = {}) =>
  settle(listsAction({ request: post("/lists", fields, options), context: signedIn.context, params: {} }));
const onContact = (fields: Record<string, string>) =>
  settle(contactAction({ request: post("/contacts/ct_route", fields), context: signedIn.context, params: { contactId: "ct_route" } }));
const count = (table: string) => (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("/lists", () => {
  it("creates, renames and deletes a list, and refuses bad names by field, storing nothing", async () => {
    expect((await lists({ intent: "create", name: "Newsletter" })).status).toBe(201);
    const id = (sqlite.prepare("SELECT id FROM contact_lists WHERE name = 'Newsletter'").get() as { id: string }).id;
    const before = count("contact_lists");
    const blank = await lists({ intent: "create", name: "   " });
    expect(blank.status).toBe(400);
    expect(blank.body.errors.name).toBe("enter a name for the list");
    const long = await lists({ intent: "create", name: "x".repeat(101) });
    expect(long.status).toBe(400);
    expect(long.body.errors.name).toMatch(/at most 100/);
    const taken = await lists({ intent: "create", name: "newsletter" });
    expect(taken.status).toBe(400);
    expect(taken.body.errors.name).toMatch(/already exists/);
    expect((await lists({ intent: "create" })).status).toBe(400);
    expect((await lists({ intent: "explode", name: "X" })).status).toBe(400);
    expect((await lists({ intent: "create", name: "No token" }, { csrf: false })).status).toBe(403);
    expect(count("contact_lists")).toBe(before);

    expect((await lists({ intent: "rename", id, name: "Monthly news" })).status).toBe(200);
    expect((await lists({ intent: "rename", id: "list_nope", name: "X" })).status).toBe(404);
    const loaded = (await listsLoader({ request: get("/lists"), context: signedIn.context, params: {} })) as unknown as { lists: Array<{ name: string; memberCount: number }> };
    expect(loaded.lists).toEqual([expect.objectContaining({ name: "Monthly news", memberCount: 0 })]);

    expect((await lists({ intent: "delete", id: "list_nope" })).status).toBe(404);
    expect((await lists({ intent: "delete", id })).status).toBe(200);
    expect(count("contact_lists")).toBe(before - 1);
  });
});

describe("/contacts/:id lists", () => {
  it("adds the contact to a list and takes them off, refusing a missing or unknown list under listId", async () => {
    await lists({ intent: "create", name: "Beta" });
    const id = (sqlite.prepare("SELECT id FROM contact_lists WHERE name = 'Beta'").get() as { id: string }).id;
    const none = await onContact({ intent: "list-add" });
    expect(none.status).toBe(400);
    expect(none.body.errors.listId).toBe("pick a list");
    const unknown = await onContact({ intent: "list-add", listId: "list_nope" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.listId).toMatch(/does not exist/);
    expect(count("contact_list_members")).toBe(0);

    expect((await onContact({ intent: "list-add", listId: id })).status).toBe(200);
    // The page's loader answers with headers (its one-time notice), so its values are under `data`.
    const page = ((await contactLoader({ request: get("/contacts/ct_route"), context: signedIn.context, params: { contactId: "ct_route" } })) as unknown as {
      data: { memberships: Array<{ name: string; source: string }>; consent: unknown };
    }).data;
    expect(page.memberships).toEqual([expect.objectContaining({ name: "Beta", source: "agent" })]);
    expect(page.consent).toBeNull();
    const filtered = ((await contactsLoader({ request: get(`/contacts?list=${id}`), context: signedIn.context, params: {} })) as unknown as {
      data: { list: { contacts: Array<{ id: string }> } };
    }).data;
    expect(filtered.list.contacts.map((c) => c.id)).toEqual(["ct_route"]);

    expect((await onContact({ intent: "list-remove", listId: id })).status).toBe(200);
    expect(count("contact_list_members")).toBe(0);
  });
});
