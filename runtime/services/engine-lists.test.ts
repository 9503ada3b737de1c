/**
 * The "Add to list" node end to end in the engine: a published flow, real lists in a fresh
 * SQLite file (migration 27), visitors' conversations through startConversation and
 * handleVisitorMessage. A known contact joins in the turn's own write; a visitor who is not a
 * contact waits on the list and joins when the email they type makes them one.
 */
import { Effect, type ManagedRuntime } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import * as Chatflows from "./chatflows.js";
import type * as Db from "./database.js";
import { openEngineRuntime, type EngineTestServices as Services } from "./engine-test-runtime.js";

const listsFlow: FlowDocument = {
  id: "news",
  name: "News",
  kind: "bot",
  language: "en",
  startNodeId: "join",
  nodes: [
    { id: "join", kind: "add_to_list", position: { x: 0, y: 0 }, data: { listId: "list_news" } },
    {
      id: "ask",
      kind: "question",
      position: { x: 0, y: 200 },
      data: { prompt: "Your email?", answer: { type: "email" }, save: { contactProperty: "email" }, typingDelayMs: 0 },
    },
    { id: "bye", kind: "end", position: { x: 0, y: 400 }, data: { message: "Thanks!" } },
  ],
  edges: [
    { id: "e1", source: "join", sourcePort: "next", target: "ask" },
    { id: "e2", source: "ask", sourcePort: "answered", target: "bye" },
  ],
  variables: [],
  settings: {},
};

const subscribeFlow: FlowDocument = {
  id: "sub",
  name: "Subscribe",
  kind: "bot",
  language: "en",
  startNodeId: "sub",
  nodes: [
    { id: "sub", kind: "subscribe", position: { x: 0, y: 0 }, data: { consentText: "Send me the monthly news by email.", listId: "list_subs" } },
    { id: "bye", kind: "end", position: { x: 0, y: 200 }, data: { message: "Welcome aboard." } },
  ],
  edges: [{ id: "e1", source: "sub", sourcePort: "subscribed", target: "bye" }],
  variables: [],
  settings: {},
};

let dispose: () => Promise<void>;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
let db: Db.DatabaseShape;
const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect);

let opened: Awaited<ReturnType<typeof openEngineRuntime>>;
const start = (contactId: string | null = null) => opened.startChat("flow_news", { contactId });
const members = (listId = "list_news") =>
  db.sqlite.prepare("SELECT contact_id, source, conversation_id FROM contact_list_members WHERE list_id = ? ORDER BY added_at, contact_id").all(listId);
const waiting = (visitorId: string) => db.sqlite.prepare("SELECT list_id, conversation_id FROM contact_list_waiting WHERE visitor_id = ?").all(visitorId);

beforeAll(async () => {
  opened = await openEngineRuntime("engine-lists");
  ({ runtime, db, dispose } = opened);
  db.sqlite.exec(`
    INSERT INTO contact_lists (id, name, created_at) VALUES ('list_news', 'Newsletter', 0), ('list_subs', 'Subscribers', 0);
    INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES ('chan_sub', 'inbox_support', 'chat', 'Sub', '{}', 0);
    INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_known', 'known@example.com', 'Kim Known', 0, 0);
  `);
  await opened.publishFlow("flow_news", listsFlow);
  await opened.publishFlow("flow_sub", subscribeFlow, "chan_sub");
}, 60_000);

afterAll(async () => {
  await dispose?.();
});

describe("add to list in the engine", () => {
  it("refuses to publish a flow naming a list the workspace does not have", async () => {
    const broken = { ...listsFlow, nodes: listsFlow.nodes.map((n) => (n.id === "join" ? { ...n, data: { listId: "list_gone" } } : n)) };
    const failure = await run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        yield* flows.create({ id: "flow_broken", name: "Broken", kind: "bot", document: broken, channelId: "chan_web" });
        return yield* Effect.flip(flows.publish("flow_broken"));
      }),
    );
    expect(JSON.stringify(failure)).toMatch(/nodes\.join\.data\.listId.*contact list that does not exist/);
  });

  it("adds a known contact in the turn's own write, with the conversation and an event", async () => {
    const { conversationId } = await start("ct_known");
    expect(members()).toEqual([{ contact_id: "ct_known", source: "bot", conversation_id: conversationId }]);
    const event = db.sqlite.prepare("SELECT node_id, data FROM events WHERE type = 'contact_list_added' AND conversation_id = ?").get(conversationId) as {
      node_id: string;
      data: string;
    };
    expect(event.node_id).toBe("join");
    expect(JSON.parse(event.data)).toMatchObject({ listId: "list_news", contactId: "ct_known", source: "bot" });
  });

  it("keeps an unknown visitor waiting, and makes the contact their email names a member", async () => {
    const { engine, visitorId, conversationId } = await start();
    expect(waiting(visitorId)).toEqual([{ list_id: "list_news", conversation_id: conversationId }]);
    await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "m1", text: "new.person@example.com" }));
    const contact = db.sqlite.prepare("SELECT id FROM contacts WHERE email = 'new.person@example.com'").get() as { id: string };
    expect(members()).toContainEqual({ contact_id: contact.id, source: "bot", conversation_id: conversationId });
    expect(waiting(visitorId)).toEqual([]);
  });

  it("goes on with a flow error when the list was deleted after publishing", async () => {
    db.sqlite.exec("DELETE FROM contact_lists WHERE id = 'list_news'");
    const { conversationId } = await start("ct_known");
    const error = db.sqlite.prepare("SELECT data FROM events WHERE type = 'flow_error' AND conversation_id = ?").get(conversationId) as { data: string };
    expect(JSON.parse(error.data).message).toMatch(/does not exist/);
    const state = db.sqlite.prepare("SELECT state FROM conversations WHERE id = ?").get(conversationId) as { state: string };
    expect(JSON.parse(state.state)).toMatchObject({ nodeId: "ask" });
    expect(members()).toEqual([]);
  });
});

describe("email subscription in the engine", () => {
  it("asks for the email, then records the consent with its exact text, conversation and address, and joins the list", async () => {
    const { engine, visitorId, conversationId, view } = await opened.startChat("flow_sub", { channelId: "chan_sub" });
    // What the API says the bot waits for: the address first, then the consent's yes/no.
    expect(view.awaiting).toEqual({ nodeId: "sub", input: "email" });
    const asked = await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "s1", text: "Sue@Example.com" }));
    expect(asked.awaiting).toEqual({
      nodeId: "sub",
      input: "yes_no",
      choices: [
        { id: "yes", label: "Yes, please" },
        { id: "no", label: "No, thanks" },
      ],
    });
    const contact = db.sqlite.prepare("SELECT id FROM contacts WHERE email = 'sue@example.com'").get() as { id: string };
    expect(db.sqlite.prepare("SELECT COUNT(*) AS n FROM contact_email_consent WHERE contact_id = ?").get(contact.id)).toEqual({ n: 0 });
    await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "s2", text: "yes" }));
    const consent = db.sqlite.prepare("SELECT * FROM contact_email_consent WHERE contact_id = ?").get(contact.id) as Record<string, unknown>;
    expect(consent).toMatchObject({
      status: "subscribed",
      consent_text: "Send me the monthly news by email.",
      conversation_id: conversationId,
      email: "sue@example.com",
      unsubscribed_at: null,
    });
    expect(typeof consent.subscribed_at).toBe("number");
    expect(members("list_subs")).toEqual([{ contact_id: contact.id, source: "bot", conversation_id: conversationId }]);
    const event = db.sqlite.prepare("SELECT node_id, data FROM events WHERE type = 'email_consent_changed' AND conversation_id = ?").get(conversationId) as {
      node_id: string;
      data: string;
    };
    expect(event.node_id).toBe("sub");
    expect(JSON.parse(event.data)).toMatchObject({ contactId: contact.id, status: "subscribed", consentText: "Send me the monthly news by email." });
  });
});
