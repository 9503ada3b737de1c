import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import * as Chatflows from "./chatflows.js";
import { CodeSandboxLive } from "./code-sandbox.js";
import * as Db from "./database.js";
import * as Engine from "./engine.js";
import * as LiveEvents from "./live-events.js";
import { makeWebhookClientLayer } from "./webhook-client.js";

// ---------------------------------------------------------------------------------------------
// Fixtures: a workspace in a fresh SQLite file, flows written as canvas documents.

type NodeSpec = readonly [id: string, kind: string, data: unknown, next?: Record<string, string>];

const doc = (id: string, nodes: ReadonlyArray<NodeSpec>, extra: Partial<FlowDocument> = {}): FlowDocument => ({
  id,
  name: id,
  kind: "bot",
  language: "en",
  startNodeId: nodes[0]![0],
  nodes: nodes.map(([nodeId, kind, data], i) => ({
    id: nodeId,
    kind: kind as FlowDocument["nodes"][number]["kind"],
    position: { x: 0, y: i * 100 },
    data,
  })),
  edges: nodes.flatMap(([source, , , next]) =>
    Object.entries(next ?? {}).map(([port, target]) => ({ id: `${source}:${port}->${target}`, source, sourcePort: port, target })),
  ),
  variables: [],
  settings: {},
  ...extra,
});

const say = (text: string) => ({ bubbles: [{ type: "text", text }], typingDelayMs: 0 });
const ask = (prompt: string, answer: unknown, save: unknown = {}) => ({ prompt, answer, save, typingDelayMs: 0 });

const leadFlow = doc("lead", [
  ["hello", "message", say("Hi <b>there</b>"), { next: "name" }],
  ["name", "question", ask("Your name?", { type: "text" }, { variable: "name" }), { answered: "email" }],
  ["email", "question", ask("Email, {{name}}?", { type: "email" }, { variable: "email", contactProperty: "email" }), { answered: "size" }],
  [
    "size",
    "question",
    ask(
      "Company size?",
      { type: "choice", choices: [{ id: "small", label: "1-10" }, { id: "big", label: "11+" }] },
      { variable: "size", contactProperty: "company_size" },
    ),
    { answered: "route" },
  ],
  [
    "route",
    "branch",
    { rules: [{ id: "big", conditions: [{ subject: { type: "variable", name: "size" }, operator: "equals", value: "11+" }] }] },
    { "rule:big": "meet", else: "handoff" },
  ],
  ["meet", "meeting", { userId: "user_agent", message: "Pick a time, {{name}}" }, { next: "done" }],
  ["done", "end", { message: "Bye!" }],
  ["handoff", "handoff", { target: { type: "team", teamId: "team_support" }, message: "Passing you on." }],
]);

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Db.Database | Chatflows.Chatflows | LiveEvents.LiveEvents | Engine.Engine, never>;
let db: Db.DatabaseShape;
let server: Server;
let webhookBase: string;
const webhookCalls: string[] = [];
const slow = { inFlight: 0, maxInFlight: 0 };

const run = <A, E>(effect: Effect.Effect<A, E, Db.Database | Chatflows.Chatflows | LiveEvents.LiveEvents | Engine.Engine>) =>
  runtime.runPromise(effect);
const runEither = <A, E>(effect: Effect.Effect<A, E, Db.Database | Chatflows.Chatflows | LiveEvents.LiveEvents | Engine.Engine>) =>
  runtime.runPromise(Effect.either(effect));

const engine = () => run(Engine.Engine);
const count = (sql: string, ...args: unknown[]) => (db.sqlite.prepare(sql).get(...args) as { n: number }).n;

let visitorSeq = 0;
const newVisitor = () => {
  const id = `visitor_${++visitorSeq}`;
  db.sqlite
    .prepare("INSERT INTO visitors (id, channel_id, device, language, first_seen_at, last_seen_at) VALUES (?, 'chan_web', 'desktop', 'en', 0, 0)")
    .run(id);
  return id;
};

const publishFlow = async (document: FlowDocument, id = `flow_${document.id}`) => {
  await run(
    Effect.gen(function* () {
      const flows = yield* Chatflows.Chatflows;
      yield* flows.create({ id, name: document.name, kind: document.kind, document, channelId: "chan_web" });
      yield* flows.publish(id);
      yield* flows.setEnabled(id, true);
    }),
  );
  return id;
};

const startOn = async (chatflowId: string, visitorId = newVisitor(), pageUrl = "https://example.com/") => {
  const e = await engine();
  const view = await runtime.runPromise(e.startConversation({ visitorId, channelId: "chan_web", chatflowId, pageUrl }));
  return { visitorId, view, conversationId: view.conversation.id };
};

let clientSeq = 0;
const send = async (conversationId: string, visitorId: string, message: { text?: string; choiceIds?: string[] }, clientMessageId = `c${++clientSeq}`) => {
  const e = await engine();
  return runtime.runPromise(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId, ...message }));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-engine-"));
  server = createServer((req, res) => {
    webhookCalls.push(req.url ?? "");
    const postcode = decodeURIComponent((req.url ?? "").split("/").pop() ?? "");
    if (postcode === "00000") {
      res.writeHead(500, { "content-type": "application/json" }).end('{"error":"no"}');
      return;
    }
    const delay = postcode === "slow" ? 150 : 0;
    if (postcode === "slow") slow.maxInFlight = Math.max(slow.maxInFlight, ++slow.inFlight);
    setTimeout(() => {
      if (postcode === "slow") slow.inFlight--;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ city: `City ${postcode}`, zone: "A", fee: 450 }));
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  webhookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const base = Layer.mergeAll(Db.layer({ path: join(dir, "engine.sqlite") }), LiveEvents.layer);
  const chatflows = Chatflows.layer.pipe(Layer.provideMerge(base));
  const engineLayer = Engine.layer.pipe(
    Layer.provide(
      Engine.actionsLayer.pipe(Layer.provide(Layer.mergeAll(makeWebhookClientLayer({ allowPrivateNetworks: true }), CodeSandboxLive))),
    ),
    Layer.provideMerge(chatflows),
  );
  runtime = ManagedRuntime.make(engineLayer);
  db = await run(Db.Database);
  const s = db.sqlite;
  s.exec(`
    INSERT INTO users (id, email, name, role, password_hash, meeting_link, created_at) VALUES
      ('user_admin', 'admin@x.test', 'Admin', 'admin', 'x', NULL, 0),
      ('user_agent', 'agent@x.test', 'Alex Agent', 'agent', 'x', 'https://cal.example.com/alex', 0);
    INSERT INTO teams (id, name, created_at) VALUES ('team_support', 'Support', 0);
    INSERT INTO team_members (team_id, user_id) VALUES ('team_support', 'user_agent');
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_support', 'Support', 0), ('inbox_sales', 'Sales', 0);
    INSERT INTO inbox_members (inbox_id, user_id) VALUES ('inbox_support', 'user_agent');
    INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES ('chan_web', 'inbox_support', 'chat', 'Web', '{}', 0);
    INSERT INTO settings (key, value) VALUES ('contact_properties', '["company_size"]');
  `);
});

afterAll(async () => {
  await runtime?.dispose();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe("a conversation through a published flow", () => {
  it("stores every turn, answers with the bot's messages and what it awaits", async () => {
    const flowId = await publishFlow(leadFlow);
    const { visitorId, view, conversationId } = await startOn(flowId);
    expect(view.conversation.status).toBe("bot");
    // Visitor-facing text is stored and returned as text, never as HTML.
    expect(view.messages.map((m) => m.text)).toEqual(["Hi <b>there</b>", "Your name?"]);
    expect(view.awaiting).toMatchObject({ nodeId: "name", input: "text" });

    const r1 = await send(conversationId, visitorId, { text: "Ann <script>alert(1)</script>" });
    expect(r1.messages.map((m) => [m.author, m.text])).toEqual([
      ["visitor", "Ann <script>alert(1)</script>"],
      ["bot", "Email, Ann <script>alert(1)</script>?"],
    ]);
    const r2 = await send(conversationId, visitorId, { text: "Ann@Example.com" });
    expect(r2.awaiting).toMatchObject({ nodeId: "size", input: "choice" });
    // The quick replies ride on the last bot message.
    expect(r2.messages.at(-1)?.choices?.map((c) => c.label)).toEqual(["1-10", "11+"]);

    // The email became a contact, linked to the conversation.
    const contact = db.sqlite
      .prepare("SELECT c.email, c.properties FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.id = ?")
      .get(conversationId) as { email: string; properties: string };
    expect(contact.email).toBe("ann@example.com");

    const r3 = await send(conversationId, visitorId, { choiceIds: ["big"] });
    expect(r3.messages[0]).toMatchObject({ author: "visitor", text: "11+" });
    const meeting = r3.messages.find((m) => m.bubble?.type === "link");
    expect(meeting?.bubble).toEqual({ type: "link", url: "https://cal.example.com/alex", label: "Book a meeting with Alex Agent" });
    expect(r3.messages.at(-1)?.text).toBe("Bye!");
    expect(r3.status).toBe("bot");
    expect(r3.awaiting).toBeNull();
    const props = JSON.parse(
      (db.sqlite.prepare("SELECT c.properties AS p FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.id = ?").get(conversationId) as { p: string }).p,
    );
    expect(props.company_size).toBe("11+");

    const events = (db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(conversationId) as Array<{ type: string }>).map(
      (e) => e.type,
    );
    expect(events[0]).toBe("conversation_created");
    expect(events).toContain("flow_started");
    expect(events.filter((t) => t === "answered")).toHaveLength(3);
    expect(events).toContain("completed");
    expect(events).toContain("contact_linked");
    // Every visitor, agent and system message has its message_created event (bot messages are the flow's own events).
    expect(events.filter((t) => t === "message_created")).toHaveLength(
      count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author <> 'bot'", conversationId),
    );
    // Every event row carries the conversation's dimensions.
    expect(
      count(
        "SELECT count(*) AS n FROM events WHERE conversation_id = ? AND (chatflow_id IS NULL OR chatflow_version_id IS NULL OR inbox_id IS NULL OR channel_id IS NULL)",
        conversationId,
      ),
    ).toBe(0);
  });

  it("a retry with the same client message id returns the same reply and stores nothing twice", async () => {
    const flowId = await publishFlow(doc("retry", [
      ["hello", "message", say("Hello"), { next: "name" }],
      ["name", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "bye" }],
      ["bye", "end", { message: "Thanks {{name}}" }],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const before = {
      messages: count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", conversationId),
      events: count("SELECT count(*) AS n FROM events WHERE conversation_id = ?", conversationId),
    };
    const first = await send(conversationId, visitorId, { text: "Bo" }, "same-id");
    const afterFirst = {
      messages: count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", conversationId),
      events: count("SELECT count(*) AS n FROM events WHERE conversation_id = ?", conversationId),
      state: (db.sqlite.prepare("SELECT state FROM conversations WHERE id = ?").get(conversationId) as { state: string }).state,
    };
    expect(afterFirst.messages).toBeGreaterThan(before.messages);
    const second = await send(conversationId, visitorId, { text: "Bo" }, "same-id");
    expect(second).toEqual(first);
    // Another message under the same id (a client bug) is refused, not answered with the first
    // one's reply: that would lose it without a word. A choice under a text's id too.
    for (const other of [{ text: "something else" }, { choiceIds: ["x"] }]) {
      const refused = await runtime.runPromise(
        Effect.either(Effect.flatMap(Engine.Engine, (e) => e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "same-id", ...other }))),
      );
      expect(Either.isLeft(refused) && refused.left._tag).toBe("Conflict");
    }
    expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", conversationId)).toBe(afterFirst.messages);
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ?", conversationId)).toBe(afterFirst.events);
    expect((db.sqlite.prepare("SELECT state FROM conversations WHERE id = ?").get(conversationId) as { state: string }).state).toBe(afterFirst.state);
  });

  it("stores a visitor message in one transaction: a failure inside the write leaves nothing of it", async () => {
    const flowId = await publishFlow(doc("atomic", [
      ["name", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "bye" }],
      ["bye", "end", { message: "Thanks {{name}}" }],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const snapshot = () => ({
      messages: count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", conversationId),
      events: count("SELECT count(*) AS n FROM events WHERE conversation_id = ?", conversationId),
      row: db.sqlite.prepare("SELECT state, version, last_activity_at FROM conversations WHERE id = ?").get(conversationId),
    });
    const before = snapshot();
    // The last statement of the turn's write (the `completed` event) fails: everything before it must roll back.
    db.sqlite.exec(
      "CREATE TEMP TRIGGER fail_completed BEFORE INSERT ON events WHEN NEW.type = 'completed' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
    );
    try {
      const e = await engine();
      const exit = await runtime.runPromiseExit(
        e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "atomic-1", text: "Cy" }),
      );
      expect(exit._tag).toBe("Failure");
      expect(snapshot()).toEqual(before);
    } finally {
      db.sqlite.exec("DROP TRIGGER fail_completed");
    }
    // The client's retry then goes through, exactly once.
    const retry = await send(conversationId, visitorId, { text: "Cy" }, "atomic-1");
    expect(retry.messages.map((m) => m.text)).toEqual(["Cy", "Thanks Cy"]);
    expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND client_message_id = 'atomic-1'", conversationId)).toBe(1);
  });

  it("keeps a conversation on its pinned version after a re-publish", async () => {
    const v1 = doc("pinned", [
      ["q", "question", ask("Version one?", { type: "text" }, { variable: "a" }), { answered: "bye" }],
      ["bye", "end", { message: "Bye from v1" }],
    ]);
    const flowId = await publishFlow(v1);
    const { visitorId, conversationId } = await startOn(flowId);
    const pinned = (db.sqlite.prepare("SELECT chatflow_version_id AS v FROM conversations WHERE id = ?").get(conversationId) as { v: string }).v;

    const v2 = doc("pinned", [
      ["q", "question", ask("Version two?", { type: "text" }, { variable: "a" }), { answered: "bye" }],
      ["bye", "end", { message: "Bye from v2" }],
    ]);
    const published = await run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        const { revision } = yield* flows.getDraft(flowId);
        yield* flows.saveDraft(flowId, v2, revision);
        return yield* flows.publish(flowId);
      }),
    );
    expect(published.version).toBe(2);
    expect(published.versionId).not.toBe(pinned);

    const reply = await send(conversationId, visitorId, { text: "x" });
    expect(reply.messages.at(-1)?.text).toBe("Bye from v1");
    const fresh = await startOn(flowId);
    expect(fresh.view.messages.map((m) => m.text)).toEqual(["Version two?"]);
  });
});

describe("handoff and people", () => {
  it("moves a handed-off conversation to `open` in the channel's inbox, and the bot never speaks again", async () => {
    const flowId = await publishFlow(leadFlow, "flow_lead_handoff");
    const { visitorId, conversationId } = await startOn(flowId);
    await send(conversationId, visitorId, { text: "Dee" });
    await send(conversationId, visitorId, { text: "dee@example.com" });
    // Move the conversation's inbox away to see the handoff put it in the channel's.
    db.sqlite.prepare("UPDATE conversations SET inbox_id = 'inbox_sales' WHERE id = ?").run(conversationId);
    const live: LiveEvents.LiveEvent[] = [];
    const hub = await run(LiveEvents.LiveEvents);
    const off = hub.subscribeConversation(conversationId, (e) => live.push(e), { includeInternal: true });
    const reply = await send(conversationId, visitorId, { choiceIds: ["small"] });
    off();
    expect(reply.status).toBe("open");
    expect(reply.awaiting).toBeNull();
    expect(reply.messages.map((m) => m.text)).toEqual(["1-10", "Passing you on."]);

    const row = db.sqlite
      .prepare("SELECT status, inbox_id, team_id, assignee_id, handed_off_at, waiting_since FROM conversations WHERE id = ?")
      .get(conversationId) as Record<string, unknown>;
    expect(row).toMatchObject({ status: "open", inbox_id: "inbox_support", team_id: "team_support", assignee_id: null });
    expect(row.handed_off_at).toEqual(expect.any(Number));
    expect(row.waiting_since).toBe(row.handed_off_at);
    const system = db.sqlite
      .prepare("SELECT text, payload, is_internal FROM messages WHERE conversation_id = ? AND author = 'system'")
      .get(conversationId) as { text: string; payload: string; is_internal: number };
    expect(system.is_internal).toBe(1);
    expect(JSON.parse(system.payload).handoff).toMatchObject({ name: "Dee", "contact.email": "dee@example.com", "contact.company_size": "1-10" });
    const types = (db.sqlite.prepare("SELECT type, team_id FROM events WHERE conversation_id = ? ORDER BY id").all(conversationId) as Array<{
      type: string;
      team_id: string | null;
    }>);
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(["handed_off", "handoff", "status_changed", "assigned"]));
    expect(types.find((t) => t.type === "handoff")?.team_id).toBe("team_support");
    expect(live.map((e) => e.kind)).toEqual(expect.arrayContaining(["message", "status", "assignment"]));

    // Later messages are stored and published for the team; the bot stays silent.
    const botBefore = count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author = 'bot'", conversationId);
    db.sqlite.prepare("UPDATE conversations SET waiting_since = NULL WHERE id = ?").run(conversationId);
    const later = await send(conversationId, visitorId, { text: "hello? anyone?" });
    expect(later.messages.map((m) => m.author)).toEqual(["visitor"]);
    expect(later.status).toBe("open");
    expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author = 'bot'", conversationId)).toBe(botBefore);
    expect((db.sqlite.prepare("SELECT waiting_since FROM conversations WHERE id = ?").get(conversationId) as { waiting_since: number }).waiting_since).toEqual(
      expect.any(Number),
    );
  });

  it("sends a visitor's message after the bot finished to the inbox, without a bot reply", async () => {
    const flowId = await publishFlow(doc("finish", [["bye", "end", { message: "That's all." }]]));
    const { visitorId, view, conversationId } = await startOn(flowId);
    expect(view.messages.map((m) => m.text)).toEqual(["That's all."]);
    expect(view.conversation.status).toBe("bot");
    const reply = await send(conversationId, visitorId, { text: "wait, one more thing" });
    expect(reply.status).toBe("open");
    expect(reply.messages.map((m) => m.author)).toEqual(["visitor"]);
    const row = db.sqlite.prepare("SELECT status, waiting_since FROM conversations WHERE id = ?").get(conversationId) as {
      status: string;
      waiting_since: number | null;
    };
    expect(row.status).toBe("open");
    expect(row.waiting_since).toEqual(expect.any(Number));
  });

  it("a visitor's message in a pending conversation opens it again, waiting for the team", async () => {
    const flowId = await publishFlow(doc("pending", [["bye", "end", { message: "That's all." }]]));
    const { visitorId, conversationId } = await startOn(flowId);
    await send(conversationId, visitorId, { text: "one question" });
    db.sqlite.prepare("UPDATE conversations SET status = 'pending', waiting_since = NULL, version = version + 1 WHERE id = ?").run(conversationId);
    const reply = await send(conversationId, visitorId, { text: "any news?" });
    expect(reply.status).toBe("open");
    const row = db.sqlite.prepare("SELECT status, waiting_since FROM conversations WHERE id = ?").get(conversationId) as { status: string; waiting_since: number | null };
    expect(row).toEqual({ status: "open", waiting_since: expect.any(Number) });
    const changes = db.sqlite
      .prepare("SELECT data FROM events WHERE conversation_id = ? AND type = 'status_changed' ORDER BY id")
      .all(conversationId)
      .map((r) => JSON.parse((r as { data: string }).data));
    expect(changes.at(-1)).toEqual({ from: "pending", to: "open" });
  });

  it("the agent who answers an unassigned conversation gets it; a comment or an assigned one stays as it was", async () => {
    const flowId = await publishFlow(doc("unassigned", [["bye", "end", { message: "That's all." }]]));
    const { visitorId, conversationId } = await startOn(flowId);
    await send(conversationId, visitorId, { text: "still there?" });
    const e = await engine();
    const assignee = () => (db.sqlite.prepare("SELECT assignee_id FROM conversations WHERE id = ?").get(conversationId) as { assignee_id: string | null }).assignee_id;
    await runtime.runPromise(e.replyAsAgent({ conversationId, userId: "user_agent", text: "checking", clientMessageId: "c1", internal: true }));
    expect(assignee()).toBeNull();
    const live: LiveEvents.LiveEvent[] = [];
    const off = (await run(LiveEvents.LiveEvents)).subscribeConversation(conversationId, (event) => live.push(event), { includeInternal: true });
    await runtime.runPromise(e.replyAsAgent({ conversationId, userId: "user_agent", text: "Yes, Alex here", clientMessageId: "r1" }));
    off();
    expect(assignee()).toBe("user_agent");
    // The live event says who took it, so the inbox does not tell that agent "assigned to you" (live-logic's noticeFor).
    const assignment = live.find((event) => event.kind === "assignment");
    expect(assignment?.data).toMatchObject({ assigneeId: "user_agent", by: "user_agent" });
    const assigned = db.sqlite.prepare("SELECT user_id FROM events WHERE conversation_id = ? AND type = 'assigned'").all(conversationId);
    expect(assigned).toEqual([{ user_id: "user_agent" }]);
    // Someone else replying later does not take it away.
    await runtime.runPromise(e.replyAsAgent({ conversationId, userId: "user_admin", text: "Adding a note for you", clientMessageId: "r2" }));
    expect(assignee()).toBe("user_agent");
  });

  it("an agent's reply takes over a bot conversation; comments stay internal", async () => {
    const flowId = await publishFlow(leadFlow, "flow_lead_takeover");
    const { visitorId, conversationId } = await startOn(flowId);
    const e = await engine();
    const comment = await runtime.runPromise(
      e.replyAsAgent({ conversationId, userId: "user_agent", text: "looks like a lead", clientMessageId: "n1", internal: true }),
    );
    expect(comment.author).toBe("agent");
    // A comment does not take over.
    expect((db.sqlite.prepare("SELECT status FROM conversations WHERE id = ?").get(conversationId) as { status: string }).status).toBe("bot");

    const reply = await runtime.runPromise(e.replyAsAgent({ conversationId, userId: "user_agent", text: "Hi, Alex here", clientMessageId: "r1" }));
    const again = await runtime.runPromise(e.replyAsAgent({ conversationId, userId: "user_agent", text: "Hi, Alex here", clientMessageId: "r1" }));
    expect(again).toEqual(reply);
    const row = db.sqlite.prepare("SELECT status, assignee_id, waiting_since, state FROM conversations WHERE id = ?").get(conversationId) as {
      status: string;
      assignee_id: string;
      waiting_since: number | null;
      state: string;
    };
    expect(row).toMatchObject({ status: "open", assignee_id: "user_agent", waiting_since: null });
    expect(JSON.parse(row.state)).toMatchObject({ phase: "handed_off", endReason: "agent_took_over" });
    const types = (db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ?").all(conversationId) as Array<{ type: string }>).map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(["agent_took_over", "status_changed", "assigned", "message_created"]));

    // The visitor never sees the comment; the bot answers no more.
    const visible = await runtime.runPromise(e.listMessages({ conversationId, visitorId }));
    expect(visible.map((m) => m.text)).not.toContain("looks like a lead");
    expect(visible.map((m) => m.text)).toContain("Hi, Alex here");
    const answer = await send(conversationId, visitorId, { text: "Ann" });
    expect(answer.messages.map((m) => m.author)).toEqual(["visitor"]);
    const after = await runtime.runPromise(e.listMessages({ conversationId, visitorId, after: reply.id }));
    expect(after.map((m) => m.text)).toEqual(["Ann"]);

    const tooLong = await runEither(e.replyAsAgent({ conversationId, userId: "user_agent", text: "x".repeat(4001), clientMessageId: "r2" }));
    expect(Either.isLeft(tooLong) && tooLong.left._tag).toBe("InvalidInput");
    expect(Either.isLeft(tooLong) && tooLong.left._tag === "InvalidInput" && tooLong.left.issues).toEqual([{ path: "text", message: "a message is at most 4,000 characters" }]);
  });

  it("creates a ticket in the same write and feeds ticket_created back", async () => {
    const flowId = await publishFlow(doc("ticket", [
      ["bug", "question", ask("What broke?", { type: "text" }, { variable: "bug" }), { answered: "file" }],
      ["file", "ticket", { subject: "Bug: {{bug}}", priority: "high", message: "Filed it." }, { next: "bye" }],
      ["bye", "end", { closeConversation: true }],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const reply = await send(conversationId, visitorId, { text: "the button" });
    expect(reply.messages.map((m) => m.text)).toEqual(["the button", "Filed it."]);
    expect(reply.status).toBe("closed");
    const ticket = db.sqlite.prepare("SELECT subject, priority, inbox_id FROM tickets WHERE conversation_id = ?").get(conversationId);
    expect(ticket).toEqual({ subject: "Bug: the button", priority: "high", inbox_id: "inbox_support" });
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ? AND type = 'ticket_created'", conversationId)).toBe(1);
    // A closed conversation refuses more messages; the widget starts a new one.
    const e = await engine();
    const refused = await runEither(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "z", text: "hi" }));
    expect(Either.isLeft(refused) && refused.left._tag).toBe("Conflict");
  });
});

describe("actions and time", () => {
  it("runs a webhook and a code step outside the transaction and feeds their results back", async () => {
    const flowId = await publishFlow(doc("delivery", [
      ["pc", "question", ask("Postcode?", { type: "text" }, { variable: "postcode" }), { answered: "lookup" }],
      [
        "lookup",
        "webhook",
        { method: "GET", url: `${webhookBase}/zones/{{postcode}}`, timeoutMs: 2000, responseMappings: [{ path: "$.city", variable: "city" }, { path: "$.fee", variable: "fee" }] },
        { ok: "compute", error: "sorry" },
      ],
      [
        "compute",
        "code",
        { source: "return { fee_text: (Number(inputs.fee) / 100).toFixed(2) + ' EUR' };", inputs: ["fee"], outputs: ["fee_text"] },
        { ok: "tell", error: "sorry" },
      ],
      ["tell", "message", say("{{city}}: {{fee_text}}"), { next: "bye" }],
      ["bye", "end", {}],
      ["sorry", "message", say("Lookup failed for {{postcode}}"), { next: "bye" }],
    ], { variables: [{ name: "city", type: "string" }, { name: "fee", type: "string" }, { name: "fee_text", type: "string" }] }));
    const ok = await startOn(flowId);
    const reply = await send(ok.conversationId, ok.visitorId, { text: "10115" });
    expect(reply.messages.map((m) => m.text)).toEqual(["10115", "City 10115: 4.50 EUR"]);
    expect(webhookCalls).toContain("/zones/10115");

    const failing = await startOn(flowId);
    const sorry = await send(failing.conversationId, failing.visitorId, { text: "00000" });
    expect(sorry.messages.map((m) => m.text)).toEqual(["00000", "Lookup failed for 00000"]);
  });

  it("records an idle bot conversation past its session timeout as abandoned and closes it", async () => {
    const flowId = await publishFlow(
      doc("timeout", [
        ["q", "question", ask("Still there?", { type: "text" }, { variable: "a" }), { answered: "bye" }],
        ["bye", "end", {}],
      ], { settings: { sessionTimeoutMinutes: 5 } }),
    );
    const idle = await startOn(flowId);
    const finished = await startOn(flowId);
    await send(finished.conversationId, finished.visitorId, { text: "yes" });
    const e = await engine();
    const at = (db.sqlite.prepare("SELECT last_activity_at AS t FROM conversations WHERE id = ?").get(idle.conversationId) as { t: number }).t;

    expect(await runtime.runPromise(e.expireIdleConversations(at + 4 * 60_000))).toBe(0);
    const expired = await runtime.runPromise(e.expireIdleConversations(at + 6 * 60_000));
    expect(expired).toBeGreaterThanOrEqual(1);
    const row = db.sqlite.prepare("SELECT status, closed_at FROM conversations WHERE id = ?").get(idle.conversationId) as { status: string; closed_at: number };
    expect(row).toEqual({ status: "closed", closed_at: at + 6 * 60_000 });
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ? AND type = 'abandoned'", idle.conversationId)).toBe(1);
    // A finished conversation is not abandoned.
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ? AND type = 'abandoned'", finished.conversationId)).toBe(0);
    expect((db.sqlite.prepare("SELECT status FROM conversations WHERE id = ?").get(finished.conversationId) as { status: string }).status).toBe("bot");
    // Sweeping again finds nothing more for it.
    await runtime.runPromise(e.expireIdleConversations(at + 7 * 60_000));
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ? AND type = 'abandoned'", idle.conversationId)).toBe(1);
    const late = await runEither(e.handleVisitorMessage({ conversationId: idle.conversationId, visitorId: idle.visitorId, clientMessageId: "late", text: "back" }));
    expect(Either.isLeft(late) && late.left._tag).toBe("Conflict");
  });
});

describe("rules of access and input", () => {
  it("refuses other visitors, unknown ids, bad input, and unpublished or disabled flows", async () => {
    const flowId = await publishFlow(doc("access", [
      ["q", "question", ask("Hm?", { type: "text" }, { variable: "a" }), { answered: "bye" }],
      ["bye", "end", {}],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const e = await engine();
    const tag = async (effect: Effect.Effect<unknown, { _tag: string }, never>) => {
      const result = await runEither(effect);
      return Either.isLeft(result) ? result.left._tag : "ok";
    };
    expect(await tag(e.handleVisitorMessage({ conversationId, visitorId: newVisitor(), clientMessageId: "a", text: "hi" }))).toBe("Forbidden");
    expect(await tag(e.getConversation({ conversationId, visitorId: newVisitor() }))).toBe("Forbidden");
    expect(await tag(e.handleVisitorMessage({ conversationId: "conv_nope", visitorId, clientMessageId: "a", text: "hi" }))).toBe("NotFound");
    expect(await tag(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "a", text: "x".repeat(4001) }))).toBe("InvalidInput");
    expect(await tag(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "a", text: "   " }))).toBe("InvalidInput");
    expect(await tag(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "", text: "hi" }))).toBe("InvalidInput");
    expect(await tag(e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "a", text: "hi", choiceIds: ["x"] }))).toBe("InvalidInput");
    expect(await tag(e.listMessages({ conversationId, visitorId, after: "abc" }))).toBe("InvalidInput");
    expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author = 'visitor'", conversationId)).toBe(0);

    await run(Effect.flatMap(Chatflows.Chatflows, (f) => f.setEnabled(flowId, false)));
    expect(await tag(e.startConversation({ visitorId, channelId: "chan_web", chatflowId: flowId, pageUrl: "https://example.com/" }))).toBe("NotFound");
    expect(await tag(e.startConversation({ visitorId, channelId: "chan_nope", chatflowId: flowId, pageUrl: "https://example.com/" }))).toBe("NotFound");
  });

  it("previews the current draft without publishing it", async () => {
    const flowId = await publishFlow(doc("preview", [["bye", "end", { message: "published" }]]));
    await run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        const { revision } = yield* flows.getDraft(flowId);
        yield* flows.saveDraft(flowId, doc("preview", [["bye", "end", { message: "draft" }]]), revision);
      }),
    );
    const e = await engine();
    const view = await runtime.runPromise(
      e.startConversation({ visitorId: newVisitor(), channelId: "chan_web", chatflowId: flowId, pageUrl: "https://example.com/", preview: true }),
    );
    expect(view.messages.map((m) => m.text)).toEqual(["draft"]);
    const row = db.sqlite.prepare("SELECT is_preview, chatflow_version_id FROM conversations WHERE id = ?").get(view.conversation.id);
    expect(row).toEqual({ is_preview: 1, chatflow_version_id: null });
    expect(count("SELECT count(*) AS n FROM chatflow_versions WHERE chatflow_id = ?", flowId)).toBe(1);
    expect(count("SELECT count(*) AS n FROM events WHERE conversation_id = ? AND is_preview = 1", view.conversation.id)).toBeGreaterThan(0);

    // A draft that does not compile cannot be previewed.
    await run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        const { revision } = yield* flows.getDraft(flowId);
        yield* flows.saveDraft(flowId, doc("preview", [["m", "message", { bubbles: [] }]]), revision);
      }),
    );
    const broken = await runEither(
      e.startConversation({ visitorId: newVisitor(), channelId: "chan_web", chatflowId: flowId, pageUrl: "https://example.com/", preview: true }),
    );
    expect(Either.isLeft(broken) && broken.left._tag).toBe("InvalidInput");
  });
});

describe("conversation ids", () => {
  it("sort by creation time, never repeat, and stay URL-safe", () => {
    const earlier = Engine.newConversationId(Date.UTC(2026, 0, 1));
    const later = Array.from({ length: 1000 }, () => Engine.newConversationId(Date.UTC(2026, 0, 1, 0, 0, 0, 1)));
    expect(later.every((id) => id > earlier)).toBe(true);
    expect(new Set(later).size).toBe(1000);
    for (const id of [earlier, ...later]) expect(id).toMatch(/^conv_[0-9a-f]{12}[A-Za-z0-9_-]{16}$/);
  });
});

describe("concurrency", () => {
  it("stores 50 concurrent messages to 50 conversations exactly once, in shared commits", async () => {
    const flowId = await publishFlow(doc("many", [
      ["q", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "bye" }],
      ["bye", "end", { message: "Thanks {{name}}" }],
    ]));
    const conversations = await Promise.all(Array.from({ length: 50 }, () => startOn(flowId)));
    const commitsBefore = db.stats().commits;
    const replies = await Promise.all(conversations.map((c, i) => send(c.conversationId, c.visitorId, { text: `n${i}` }, `many-${i}`)));
    const commits = db.stats().commits - commitsBefore;
    replies.forEach((r, i) => expect(r.messages.map((m) => m.text)).toEqual([`n${i}`, `Thanks n${i}`]));
    for (const [i, c] of conversations.entries()) {
      expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND client_message_id = ?", c.conversationId, `many-${i}`)).toBe(1);
      expect(count("SELECT count(*) AS n FROM messages WHERE conversation_id = ?", c.conversationId)).toBe(3);
    }
    expect(commits).toBeLessThan(50);
  });

  it("serialises two concurrent messages to the same conversation", async () => {
    // Every answer goes through a slow webhook: without the lock both turns would read the same state.
    const flowId = await publishFlow(doc("serial", [
      ["q1", "question", ask("First?", { type: "text" }, { variable: "a" }), { answered: "w1" }],
      ["w1", "webhook", { method: "GET", url: `${webhookBase}/slow/slow`, timeoutMs: 2000 }, { ok: "q2", error: "q2" }],
      ["q2", "question", ask("Second?", { type: "text" }, { variable: "b" }), { answered: "w2" }],
      ["w2", "webhook", { method: "GET", url: `${webhookBase}/slow/slow`, timeoutMs: 2000 }, { ok: "bye", error: "bye" }],
      ["bye", "end", { message: "Got {{a}} and {{b}}" }],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const callsBefore = webhookCalls.length;
    const [one, two] = await Promise.all([
      send(conversationId, visitorId, { text: "A" }, "s1"),
      send(conversationId, visitorId, { text: "B" }, "s2"),
    ]);
    expect(one.messages.map((m) => m.text)).toEqual(["A", "Second?"]);
    expect(two.messages.map((m) => m.text)).toEqual(["B", "Got A and B"]);
    const transcript = (db.sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? ORDER BY id").all(conversationId) as Array<{
      author: string;
      text: string;
    }>).map((m) => `${m.author}:${m.text}`);
    expect(transcript).toEqual(["bot:First?", "visitor:A", "bot:Second?", "visitor:B", "bot:Got A and B"]);
    // One turn at a time: the second waited for the first, so the webhooks never overlapped and
    // no turn had to be redone.
    expect(slow.maxInFlight).toBe(1);
    expect(webhookCalls.length - callsBefore).toBe(2);
  });

  it("publishes live events only after the write committed", async () => {
    const flowId = await publishFlow(doc("live", [
      ["q", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "bye" }],
      ["bye", "end", { message: "Hi {{name}}" }],
    ]));
    const { visitorId, conversationId } = await startOn(flowId);
    const hub = await run(LiveEvents.LiveEvents);
    const seen: Array<{ inTransaction: boolean; stored: boolean }> = [];
    const off = hub.subscribeConversation(conversationId, (event) => {
      if (event.kind !== "message") return;
      seen.push({
        inTransaction: db.sqlite.inTransaction,
        stored: count("SELECT count(*) AS n FROM messages WHERE id = ?", Number(event.id)) === 1,
      });
    });
    await send(conversationId, visitorId, { text: "Eve" });
    off();
    expect(seen).toEqual([
      { inTransaction: false, stored: true },
      { inTransaction: false, stored: true },
    ]);
  });
});

describe("what the visitor has seen", () => {
  const stored = (conversationId: string) =>
    db.sqlite.prepare("SELECT last_seen_message_id AS through, seen_at AS at FROM visitor_reads WHERE conversation_id = ?").get(conversationId) as
      | { through: number; at: number }
      | undefined;

  it("stores the newest mark, never moves it back, and tells agents (not the visitor) after the commit", async () => {
    const flowId = await publishFlow(doc("seen", [
      ["q", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "bye" }],
      ["bye", "end", { message: "Hi {{name}}" }],
    ]));
    const { visitorId, view, conversationId } = await startOn(flowId);
    const answered = await send(conversationId, visitorId, { text: "Eve" });
    const first = view.messages[0]!.id;
    const last = answered.messages[answered.messages.length - 1]!.id;
    const hub = await run(LiveEvents.LiveEvents);
    const agents: Array<{ event: unknown; inTransaction: boolean; stored: number | undefined }> = [];
    const visitor: unknown[] = [];
    const offAgents = hub.subscribeConversation(
      conversationId,
      (event) => agents.push({ event, inTransaction: db.sqlite.inTransaction, stored: stored(conversationId)?.through }),
      { includeInternal: true },
    );
    const offVisitor = hub.subscribeConversation(conversationId, (event) => visitor.push(event));
    const e = await engine();

    const before = Date.now();
    const marked = await run(e.markSeen({ conversationId, visitorId, through: first }));
    expect(marked.through).toBe(Number(first));
    expect(marked.at).toBeGreaterThanOrEqual(before);
    expect(stored(conversationId)).toEqual(marked);
    expect(agents).toEqual([
      {
        event: { conversationId, inboxId: "inbox_support", kind: "conversation", internal: true, data: { change: "seen", through: first, at: marked.at } },
        inTransaction: false,
        stored: Number(first),
      },
    ]);

    const newest = await run(e.markSeen({ conversationId, visitorId, through: last }));
    expect(newest.through).toBe(Number(last));
    expect(agents).toHaveLength(2);

    // An older or repeated mark is a no-op: the stored mark answers, nothing is published.
    expect(await run(e.markSeen({ conversationId, visitorId, through: first }))).toEqual(newest);
    expect(await run(e.markSeen({ conversationId, visitorId, through: last }))).toEqual(newest);
    expect(stored(conversationId)).toEqual(newest);
    expect(agents).toHaveLength(2);
    expect(visitor).toEqual([]);
    offAgents();
    offVisitor();
  });

  it("never moves back when marks race: the highest one stays", async () => {
    const flowId = await publishFlow(doc("seen_race", [["q", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "q" }]]));
    const { visitorId, view, conversationId } = await startOn(flowId);
    const ids = [view.messages[0]!.id];
    for (const text of ["a", "b", "c"]) for (const m of (await send(conversationId, visitorId, { text })).messages) ids.push(m.id);
    const e = await engine();
    // All at once, the newest first: each commits in whatever order the writer takes them.
    await Promise.all([...ids].reverse().map((through) => run(e.markSeen({ conversationId, visitorId, through }))));
    expect(stored(conversationId)?.through).toBe(Number(ids[ids.length - 1]));
  });

  it("refuses another visitor, an unknown conversation, and an id that is no message of the visitor's in it", async () => {
    const flowId = await publishFlow(doc("seen_access", [["q", "question", ask("Name?", { type: "text" }, { variable: "name" }), { answered: "q" }]]));
    const { visitorId, view, conversationId } = await startOn(flowId);
    const other = await startOn(flowId);
    const comment = await run(
      Effect.flatMap(Engine.Engine, (e) => e.replyAsAgent({ conversationId, userId: "user_agent", text: "note", clientMessageId: "seen-note", internal: true })),
    );
    const e = await engine();
    const failure = async (through: string, who = visitorId, id = conversationId) => {
      const result = await runEither(e.markSeen({ conversationId: id, visitorId: who, through }));
      return Either.isLeft(result) ? result.left : undefined;
    };
    const mine = view.messages[0]!.id;
    expect((await failure(mine, newVisitor()))?._tag).toBe("Forbidden");
    expect((await failure(mine, visitorId, "conv_nope"))?._tag).toBe("NotFound");
    for (const through of [other.view.messages[0]!.id, comment.id, "999999999", "abc", "", "1234567890123456"]) {
      const error = await failure(through);
      expect(error, through).toMatchObject({ _tag: "InvalidInput", issues: [{ path: "through", message: expect.any(String) }] });
    }
    expect(stored(conversationId)).toBeUndefined();
  });
});
