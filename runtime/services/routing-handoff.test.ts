/**
 * Routing through the whole app layer: a bot's handoff is routed in the engine's own write, the
 * assignment is published after the turn's events, and the queue drains when an agent returns.
 */
import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import { openAppForDatabase } from "./app-for-database.js";
import type { AppRuntime } from "./app-layer.js";
import { Chatflows } from "./chatflows.js";
import { Database, type DatabaseShape } from "./database.js";
import { Engine } from "./engine.js";
import { LiveEvents, type LiveEvent } from "./live-events.js";
import { SEED_IDS } from "./seed.js";
import { Workspace } from "./workspace.js";

let dir: string;
let runtime: AppRuntime;
let db: DatabaseShape;
const published: LiveEvent[] = [];

const flow = (id: string, target: unknown, ask = false): FlowDocument => {
  const nodes = [
    ...(ask ? [{ id: "ask", kind: "question", position: { x: 0, y: 0 }, data: { prompt: "Your question?", answer: { type: "text" }, save: {} } }] : []),
    { id: "handoff", kind: "handoff", position: { x: 0, y: 100 }, data: { target, message: "Passing you on." } },
  ];
  return {
    id,
    name: id,
    kind: "bot",
    language: "en",
    startNodeId: nodes[0]!.id,
    nodes,
    edges: ask ? [{ id: "e1", source: "ask", sourcePort: "answered", target: "handoff" }] : [],
    variables: [],
    settings: {},
  } as unknown as FlowDocument;
};

const publishFlow = (document: FlowDocument) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      const id = `flow_${document.id}`;
      yield* flows.create({ id, name: document.name, kind: document.kind, document, channelId: SEED_IDS.channel });
      yield* flows.publish(id);
      yield* flows.setEnabled(id, true);
      return id;
    }),
  );

let visitors = 0;
const start = async (chatflowId: string) => {
  const visitorId = `vis_${++visitors}`;
  db.sqlite
    .prepare("INSERT INTO visitors (id, channel_id, first_seen_at, last_seen_at) VALUES (?, ?, 0, 0)")
    .run(visitorId, SEED_IDS.channel);
  const view = await runtime.runPromise(
    Effect.flatMap(Engine, (e) => e.startConversation({ visitorId, channelId: SEED_IDS.channel, chatflowId, pageUrl: "https://example.com/" })),
  );
  return { visitorId, conversationId: view.conversation.id, status: view.conversation.status };
};

const conversation = (id: string) =>
  db.sqlite.prepare("SELECT status, assignee_id, team_id, queued_at, version FROM conversations WHERE id = ?").get(id) as {
    status: string;
    assignee_id: string | null;
    team_id: string | null;
    queued_at: number | null;
    version: number;
  };

const setAvailability = (userId: string, availability: "available" | "away") =>
  runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setAvailability(userId, availability)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-handoff-"));
  ({ runtime } = await openAppForDatabase(join(dir, "app.sqlite"), { env: { ADMIN_PASSWORD: "handoff-password", PARLEY_DEMO: "1" } }));
  db = await runtime.runPromise(Database);
  await runtime.runPromise(Effect.flatMap(LiveEvents, (live) => Effect.sync(() => live.subscribeAll((e) => published.push(e)))));
  await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: { mode: "round_robin" } })));
}, 60_000);

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("a handoff routed by the engine", () => {
  it("assigns round-robin among the Support inbox's members, in the turn's write, and publishes it last", async () => {
    const flowId = await publishFlow(flow("to_routing", { type: "routing" }));
    const first = await start(flowId);
    expect(first.status).toBe("open");
    // Admin and Alex Agent are the seeded members; "Admin" sorts first.
    expect(conversation(first.conversationId)).toMatchObject({ status: "open", assignee_id: SEED_IDS.admin, queued_at: null });
    const second = await start(flowId);
    expect(conversation(second.conversationId).assignee_id).toBe(SEED_IDS.agent);

    const events = db.sqlite
      .prepare("SELECT type, user_id FROM events WHERE conversation_id = ? AND type IN ('handoff', 'assigned', 'status_changed') ORDER BY id")
      .all(first.conversationId);
    expect(events).toEqual([
      { type: "handoff", user_id: null },
      { type: "status_changed", user_id: null },
      { type: "assigned", user_id: SEED_IDS.admin },
    ]);
    const kinds = published.filter((e) => e.conversationId === first.conversationId).map((e) => e.kind);
    expect(kinds.at(-1)).toBe("assignment");
    expect(kinds.indexOf("status")).toBeLessThan(kinds.lastIndexOf("assignment"));
  });

  it("routes a handoff that follows a visitor's answer", async () => {
    const flowId = await publishFlow(flow("ask_then_routing", { type: "routing" }, true));
    const { visitorId, conversationId, status } = await start(flowId);
    expect(status).toBe("bot");
    const answer = await runtime.runPromise(
      Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "c1", text: "Help" })),
    );
    expect(answer.status).toBe("open");
    expect(conversation(conversationId).assignee_id).not.toBeNull();
  });

  it("routes a team target among the team, and queues when nobody is available until someone is", async () => {
    const flowId = await publishFlow(flow("to_team", { type: "team", teamId: SEED_IDS.team }));
    await setAvailability(SEED_IDS.admin, "away");
    await setAvailability(SEED_IDS.agent, "away");
    const waiting = await start(flowId);
    expect(conversation(waiting.conversationId)).toMatchObject({ status: "open", assignee_id: null, team_id: SEED_IDS.team });
    expect(conversation(waiting.conversationId).queued_at).not.toBeNull();

    await setAvailability(SEED_IDS.agent, "available");
    expect(conversation(waiting.conversationId)).toMatchObject({ assignee_id: SEED_IDS.agent, queued_at: null });
    await setAvailability(SEED_IDS.admin, "available");
  });

  it("gives a user target to that user", async () => {
    const flowId = await publishFlow(flow("to_user", { type: "user", userId: SEED_IDS.agent }));
    const { conversationId } = await start(flowId);
    expect(conversation(conversationId).assignee_id).toBe(SEED_IDS.agent);
  });
});
