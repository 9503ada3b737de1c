/**
 * A handoff step's labels end to end in the engine: a published flow, real labels in a fresh
 * SQLite file (migration 28), a visitor's conversation through startConversation and
 * handleVisitorMessage. The conversation gets the labels in the handoff turn's own write, added
 * by the bot (added_by NULL); an ordinary bot turn writes nothing for labels; a label deleted
 * after publishing is a flow_error and the handoff goes on; publishing refuses an unknown label.
 */
import { Effect, type ManagedRuntime } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import * as Chatflows from "./chatflows.js";
import type * as Db from "./database.js";
import { openEngineRuntime, type EngineTestServices as Services } from "./engine-test-runtime.js";

const flow = (labels: ReadonlyArray<string>): FlowDocument => ({
  id: "lead",
  name: "Lead",
  kind: "bot",
  language: "en",
  startNodeId: "ask",
  nodes: [
    {
      id: "ask",
      kind: "question",
      position: { x: 0, y: 0 },
      data: { prompt: "Your name?", answer: { type: "text" }, save: { contactProperty: "name" }, typingDelayMs: 0 },
    },
    { id: "human", kind: "handoff", position: { x: 0, y: 200 }, data: { target: { type: "routing" }, labels } },
  ],
  edges: [{ id: "e1", source: "ask", sourcePort: "answered", target: "human" }],
  variables: [],
  settings: {},
});

let dispose: () => Promise<void>;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
let db: Db.DatabaseShape;
let start: () => ReturnType<Awaited<ReturnType<typeof openEngineRuntime>>["startChat"]>;
const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect);

const labelsOn = (conversationId: string) =>
  db.sqlite.prepare("SELECT label_id, added_by FROM conversation_labels WHERE conversation_id = ? ORDER BY label_id").all(conversationId);
const eventsOf = (conversationId: string, type: string) =>
  (db.sqlite.prepare("SELECT user_id, data FROM events WHERE type = ? AND conversation_id = ? ORDER BY id").all(type, conversationId) as Array<{
    user_id: string | null;
    data: string;
  }>).map((e) => ({ userId: e.user_id, ...JSON.parse(e.data) }));

beforeAll(async () => {
  const opened = await openEngineRuntime("engine-labels");
  ({ runtime, db, dispose } = opened);
  start = () => opened.startChat("flow_lead");
  db.sqlite.exec(`INSERT INTO labels (id, name, color, created_at) VALUES ('label_lead', 'Sales lead', 'yellow', 0), ('label_vip', 'VIP', 'purple', 0);`);
  await opened.publishFlow("flow_lead", flow(["label_lead", "label_vip"]));
}, 60_000);

afterAll(async () => {
  await dispose?.();
});

describe("handoff labels in the engine", () => {
  it("refuses to publish a flow naming a label the workspace does not have", async () => {
    const failure = await run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        yield* flows.create({ id: "flow_broken", name: "Broken", kind: "bot", document: flow(["label_lead", "label_gone"]), channelId: "chan_web" });
        return yield* Effect.flip(flows.publish("flow_broken"));
      }),
    );
    expect(JSON.stringify(failure)).toMatch(/nodes\.human\.data\.labels\[1\].*adds a label that does not exist/);
  });

  it("adds nothing on an ordinary bot turn, and the step's labels for the bot in the handoff's turn", async () => {
    const { engine, visitorId, conversationId } = await start();
    // The bot asked; nothing about labels was read or written.
    expect(labelsOn(conversationId)).toEqual([]);
    expect(eventsOf(conversationId, "label_added")).toEqual([]);
    await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "m1", text: "Lee" }));
    expect(labelsOn(conversationId)).toEqual([
      { label_id: "label_lead", added_by: null },
      { label_id: "label_vip", added_by: null },
    ]);
    expect(eventsOf(conversationId, "label_added")).toEqual([
      { userId: null, labelId: "label_lead", name: "Sales lead", by: "bot" },
      { userId: null, labelId: "label_vip", name: "VIP", by: "bot" },
    ]);
    const status = db.sqlite.prepare("SELECT status FROM conversations WHERE id = ?").get(conversationId) as { status: string };
    expect(status.status).toBe("open");
  });

  it("hands off with a flow error when a label was deleted after publishing", async () => {
    db.sqlite.exec("DELETE FROM labels WHERE id = 'label_vip'");
    const { engine, visitorId, conversationId } = await start();
    await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "m1", text: "Lou" }));
    expect(labelsOn(conversationId)).toEqual([{ label_id: "label_lead", added_by: null }]);
    expect(eventsOf(conversationId, "flow_error")).toEqual([{ userId: null, message: "label label_vip does not exist (any more)" }]);
    const status = db.sqlite.prepare("SELECT status FROM conversations WHERE id = ?").get(conversationId) as { status: string };
    expect(status.status).toBe("open");
  });
});
