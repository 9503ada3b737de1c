/**
 * The contacts pages' real route modules (/contacts, /contacts/:id), the inbox thread's
 * set-owner intent and the routing settings' "Contact's owner first", posted as the seeded admin with a real session cookie and CSRF token: each
 * bad input answers its status and the field it is about, and stores nothing.
 * Real parts: the app runtime on a fresh SQLite file, the route modules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as contactAction, loader as contactLoader } from "../../app/routes/contacts.$contactId.js";
import { action as listAction, loader as listLoader } from "../../app/routes/contacts._index.js";
import { action as routingAction } from "../../app/routes/settings.routing.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { postThreadForm, routeRequests, settleRoute, signInAdmin } from "../support/thread-post.js";


let app: TestApp;
let sqlite: Sqlite;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;

beforeAll(async () => {
  app = await startTestApp("contacts-routes");
  sqlite = app.sqlite;
  signedIn = await signInAdmin(app.runtime);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

type Answer = { status: number; body: { ok: boolean; errors: Record<string, string>; created?: { id: string } | null; intent?: string | null } };

const post = (path: string, fields: Record<string, string>, options: { csrf?: boolean } = {}) => routeRequests(signedIn).post(path, fields, options);
const get = (path: string) => routeRequests(signedIn).get(path);
const settle = (promise: Promise<unknown>): Promise<Answer> => settleRoute<Answer["body"]>(promise, { ok: false, errors: {} } as Answer["body"]);

const create = (fields: Record<string, string>, options: { csrf?: boolean } = {}) =>
  settle(listAction({ request: post("/contacts", fields, options), context: signedIn.context, params: {} }));
const edit = (contactId: string, fields: Record<string, string>) =>
  settle(contactAction({ request: post(`/contacts/${contactId}`, fields), context: signedIn.context, params: { contactId } }));
const count = () => (sqlite.prepare("SELECT COUNT(*) AS n FROM contacts").get() as { n: number }).n;
const stored = (id: string) => sqlite.prepare("SELECT email, name, phone, owner_id FROM contacts WHERE id = ?").get(id);

describe("POST /contacts (New contact)", () => {
  it("creates the contact, owned by its creator, with the phone normalised", async () => {
    const answer = await create({ name: "Ida Route", email: "Ida@Route.example", phone: "+49 30 1234567" });
    expect(answer.status).toBe(201);
    const id = answer.body.created!.id;
    expect(stored(id)).toEqual({ email: "ida@route.example", name: "Ida Route", phone: "+49301234567", owner_id: SEED_IDS.admin });
  });

  it("refuses bad fields (400, by field), a taken email (409, under email) and a post without its CSRF token (403), storing nothing", async () => {
    const before = count();
    const bad = await create({ email: "not an email", phone: "030 1234" });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(["email", "phone"]);
    expect(bad.body.errors.phone).toMatch(/country code/);
    const empty = await create({ name: "  " });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.form ?? Object.values(empty.body.errors)[0]).toMatch(/email, a name or a phone/);
    const taken = await create({ name: "Other Ida", email: "IDA@route.example" });
    expect(taken.status).toBe(409);
    expect(taken.body.errors.email).toMatch(/already has the email ida@route.example/);
    // There is no conversation here to link that contact to: the page does not suggest it.
    expect(taken.body.errors.email).not.toMatch(/link/i);
    expect((await create({ name: "No token" }, { csrf: false })).status).toBe(403);
    expect(count()).toBe(before);
  });
});

describe("GET /contacts and /contacts/:id", () => {
  it("answers 400 for a bad filter and 404 for an unknown contact", async () => {
    expect((await settle(listLoader({ request: get("/contacts?cursor=nonsense"), context: signedIn.context, params: {} }))).status).toBe(400);
    const listed = await listLoader({ request: get("/contacts?search=ida"), context: signedIn.context, params: {} });
    expect(listed.data.list.contacts.map((c) => c.name)).toEqual(["Ida Route"]);
    const missing = await settle(contactLoader({ request: get("/contacts/ct_nope"), context: signedIn.context, params: { contactId: "ct_nope" } }));
    expect(missing.status).toBe(404);
  });
});

describe("POST /contacts/:id", () => {
  const contact = async (email: string) => (await create({ name: email.split("@")[0]!, email })).body.created!.id;

  it("edits the contact, refusing a taken email (409 under email) and a bad property (400) without changing anything", async () => {
    const id = await contact("jon@route.example");
    await contact("kim@route.example");
    const saved = await edit(id, { intent: "update", name: "Jon Route", email: "jon@route.example", phone: "+1 415 555 2671" });
    expect(saved).toMatchObject({ status: 200, body: { ok: true, intent: "update" } });
    expect(stored(id)).toMatchObject({ name: "Jon Route", phone: "+14155552671" });
    const taken = await edit(id, { intent: "update", name: "Renamed", email: "kim@route.example" });
    expect(taken.status).toBe(409);
    expect(taken.body.errors.email).toMatch(/kim@route.example/);
    const badProperty = await edit(id, { intent: "update", newPropertyName: "Bad Key", newPropertyValue: "x" });
    expect(badProperty.status).toBe(400);
    expect(badProperty.body.errors.properties).toMatch(/lower-case letters/);
    const noValue = await edit(id, { intent: "update", newPropertyName: "plan" });
    expect(noValue).toMatchObject({ status: 400, body: { errors: { newPropertyName: "enter a value for the new property" } } });
    expect(stored(id)).toEqual({ email: "jon@route.example", name: "Jon Route", phone: "+14155552671", owner_id: SEED_IDS.admin });
  });

  it("changes the owner, refusing an unknown user, a missing field and an unknown intent, and 404s an unknown contact", async () => {
    const id = await contact("lou@route.example");
    expect((await edit(id, { intent: "owner", ownerId: SEED_IDS.agent })).status).toBe(200);
    expect(stored(id)).toMatchObject({ owner_id: SEED_IDS.agent });
    const nobody = await edit(id, { intent: "owner", ownerId: "user_nobody" });
    expect(nobody).toMatchObject({ status: 400, body: { errors: { ownerId: "no such user" } } });
    const marketer = await edit(id, { intent: "owner", ownerId: SEED_IDS.marketer });
    expect(marketer.status).toBe(400);
    expect(marketer.body.errors.ownerId).toMatch(/agent or an admin/);
    expect((await edit(id, { intent: "owner" })).body.errors.ownerId).toBe("pick an owner, or none");
    expect((await edit(id, { intent: "delete" })).status).toBe(400);
    expect(stored(id)).toMatchObject({ owner_id: SEED_IDS.agent });
    expect((await edit(id, { intent: "owner", ownerId: "" })).status).toBe(200);
    expect(stored(id)).toMatchObject({ owner_id: null });
    expect((await edit("ct_nope", { intent: "owner", ownerId: SEED_IDS.agent })).status).toBe(404);
  });
});

describe("the thread's set-owner intent", () => {
  it("sets the owner of the conversation's contact, and refuses when the conversation has none", async () => {
    const now = Date.now();
    sqlite
      .prepare(
        `INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at)
         VALUES ('conv_owner_route', ?, ?, 'open', ?, ?, ?)`,
      )
      .run(SEED_IDS.channel, SEED_IDS.inbox, now, now, now);
    const none = await postThreadForm(app.runtime, "conv_owner_route", { intent: "set-owner", ownerId: SEED_IDS.agent }, []);
    expect(none.status).toBe(400);
    expect(none.data?.fields).toHaveProperty("contact");
    const created = await postThreadForm(app.runtime, "conv_owner_route", { intent: "create-contact", name: "Moe Thread" }, []);
    expect(created.status).toBe(200);
    const contactId = (sqlite.prepare("SELECT contact_id FROM conversations WHERE id = 'conv_owner_route'").get() as { contact_id: string }).contact_id;
    // The agent who created it owns it.
    expect(stored(contactId)).toMatchObject({ owner_id: SEED_IDS.admin });
    const bad = await postThreadForm(app.runtime, "conv_owner_route", { intent: "set-owner", ownerId: "user_nobody" }, []);
    expect(bad).toMatchObject({ status: 400, data: { fields: { ownerId: "no such user" } } });
    const missing = await postThreadForm(app.runtime, "conv_owner_route", { intent: "set-owner" }, []);
    expect(missing).toMatchObject({ status: 400, data: { fields: { ownerId: "pick an owner, or none" } } });
    const ok = await postThreadForm(app.runtime, "conv_owner_route", { intent: "set-owner", ownerId: SEED_IDS.agent }, []);
    expect(ok).toMatchObject({ status: 200, data: { ok: true, message: "Alex Agent owns this contact now." } });
    expect(stored(contactId)).toMatchObject({ owner_id: SEED_IDS.agent });
    // In a conversation, a taken email (409, under email) points to linking that contact instead.
    const taken = await postThreadForm(app.runtime, "conv_owner_route", { intent: "update-contact", email: "ida@route.example" }, []);
    expect(taken).toMatchObject({ status: 409, data: { fields: { email: expect.stringMatching(/already has the email ida@route\.example\. Link that contact to this conversation instead\./) } } });
    expect(stored(contactId)).toMatchObject({ email: null });
  });
});

describe("POST /settings/routing with Contact's owner first", () => {
  const save = (fields: Record<string, string>) =>
    settle(routingAction({ request: post("/settings/routing", { inboxId: SEED_IDS.inbox, ...fields }), context: signedIn.context, params: {} }));
  const stored = () => JSON.parse((sqlite.prepare("SELECT routing FROM inboxes WHERE id = ?").get(SEED_IDS.inbox) as { routing: string }).routing);

  it("stores the option when ticked and drops it when not; a bad cap is refused with nothing stored", async () => {
    expect((await save({ mode: "round_robin", contactOwnerFirst: "on" })).status).toBe(200);
    expect(stored()).toEqual({ mode: "round_robin", contactOwnerFirst: true });
    const bad = await save({ mode: "round_robin", maxOpenPerAgent: "0", contactOwnerFirst: "on" });
    expect(bad.status).toBe(400);
    expect(stored()).toEqual({ mode: "round_robin", contactOwnerFirst: true });
    expect((await save({ mode: "manual" })).status).toBe(200);
    expect(stored()).toEqual({ mode: "manual" });
  });
});
