/**
 * The knowledge node end to end in the engine: a published flow, real help articles in a fresh
 * SQLite file (migration 25's table and search index), and visitors' messages through
 * handleVisitorMessage. Links are absolute under the app's public URL (AppConfig).
 */
import { Effect, type ManagedRuntime } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import type * as Db from "./database.js";
import * as Engine from "./engine.js";
import { openEngineRuntime, type EngineTestServices as Services } from "./engine-test-runtime.js";
import { knowledgeEvent } from "./engine-commands.js";

const PUBLIC_URL = "https://chat.example.com";

const knowledgeFlow: FlowDocument = {
  id: "help",
  name: "Help",
  kind: "bot",
  language: "en",
  startNodeId: "ask",
  nodes: [
    {
      id: "ask",
      kind: "question",
      position: { x: 0, y: 0 },
      data: { prompt: "What do you need help with?", answer: { type: "text" }, save: { variable: "question" }, typingDelayMs: 0 },
    },
    {
      id: "kb",
      kind: "knowledge",
      position: { x: 0, y: 200 },
      data: { limit: 2, message: "These may help:", notFoundMessage: "I found nothing on “{{question}}”.", saveTitleTo: "best" },
    },
    { id: "helped", kind: "end", position: { x: 0, y: 400 }, data: { message: "See “{{best}}” first." } },
    { id: "person", kind: "handoff", position: { x: 300, y: 400 }, data: { target: { type: "routing" } } },
  ],
  edges: [
    { id: "e1", source: "ask", sourcePort: "answered", target: "kb" },
    { id: "e2", source: "kb", sourcePort: "found", target: "helped" },
    { id: "e3", source: "kb", sourcePort: "not_found", target: "person" },
  ],
  variables: [],
  settings: {},
};

let dispose: () => Promise<void>;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
let db: Db.DatabaseShape;
let flowId: string;

const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect);

let seq = 0;
const article = (id: string, title: string, body: string, status: "draft" | "published") =>
  db.sqlite
    .prepare(
      `INSERT INTO knowledge_articles (id, title, body, status, created_at, updated_at, published_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, title, body, status, ++seq, seq, status === "published" ? seq : null);

/** Starts a conversation and sends the visitor's question; returns the reply of that turn. */
let opened: Awaited<ReturnType<typeof openEngineRuntime>>;
const askBot = async (question: string, clientMessageId = `c${++seq}`) => {
  const { engine, visitorId, conversationId } = await opened.startChat(flowId);
  const reply = await runtime.runPromise(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId, text: question }));
  return { conversationId, visitorId, reply };
};

beforeAll(async () => {
  opened = await openEngineRuntime("engine-knowledge", PUBLIC_URL);
  ({ runtime, db, dispose } = opened);
  article("kb_reset", "Reset your password", "Open **Settings → Security** and choose *Reset password*. A link arrives by email.", "published");
  article("kb_change", "Change your password", "To reset or change your password in the app, open your profile.", "published");
  article("kb_invoices", "Download invoices", "Every invoice is under Billing. Your password is never on an invoice.", "published");
  article("kb_sso", "Password rules for single sign-on", "Draft: how password rules apply with SSO.", "draft");
  flowId = "flow_help";
  await opened.publishFlow(flowId, knowledgeFlow);
});

afterAll(async () => {
  await dispose?.();
});

describe("the knowledge node in the engine", () => {
  it("answers a visitor's question with links to published articles under the public URL, in the same turn", async () => {
    const { conversationId, reply } = await askBot("How do I reset my password?");
    expect(reply.messages.map((m) => [m.author, m.text])).toEqual([
      ["visitor", "How do I reset my password?"],
      ["bot", "These may help:"],
      ["bot", "Reset your password"],
      ["bot", "Change your password"],
      ["bot", "See “Reset your password” first."],
    ]);
    expect(reply.messages.filter((m) => m.bubble?.type === "link").map((m) => m.bubble)).toEqual([
      { type: "link", url: `${PUBLIC_URL}/help/articles/kb_reset`, label: "Reset your password" },
      { type: "link", url: `${PUBLIC_URL}/help/articles/kb_change`, label: "Change your password" },
    ]);
    // The draft about passwords is never offered, nor a third, weaker match (the limit is 2).
    expect(JSON.stringify(reply.messages)).not.toContain("kb_sso");
    expect(JSON.stringify(reply.messages)).not.toContain("kb_invoices");
    expect(reply.awaiting).toBeNull();

    // The links are stored with the transcript, and the node's reach and exit are in the event log.
    const stored = db.sqlite
      .prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND author = 'bot' AND payload LIKE '%/help/articles/%'")
      .get(conversationId) as { n: number };
    expect(stored.n).toBe(2);
    const entered = db.sqlite
      .prepare("SELECT node_id, from_node_id, port FROM events WHERE conversation_id = ? AND type = 'node_entered' ORDER BY id")
      .all(conversationId);
    expect(entered).toEqual([
      { node_id: "ask", from_node_id: null, port: null },
      { node_id: "kb", from_node_id: "ask", port: "answered" },
      { node_id: "helped", from_node_id: "kb", port: "found" },
    ]);
  });

  it("follows not found when nothing matches: says so and hands the conversation to the team", async () => {
    const { conversationId, reply } = await askBot("flux capacitor");
    expect(reply.messages.map((m) => m.text)).toContain("I found nothing on “flux capacitor”.");
    expect(reply.messages.some((m) => m.bubble?.type === "link")).toBe(false);
    expect(reply.status).toBe("open");
    const exit = db.sqlite
      .prepare("SELECT port FROM events WHERE conversation_id = ? AND type = 'node_entered' AND from_node_id = 'kb'")
      .get(conversationId);
    expect(exit).toEqual({ port: "not_found" });
  });

  it("a question made only of filler words finds nothing rather than everything", async () => {
    const { reply } = await askBot("how do I do this?");
    expect(reply.messages.some((m) => m.bubble?.type === "link")).toBe(false);
    expect(reply.status).toBe("open");
  });

  it("a retried message returns the same answer and searches and stores nothing again", async () => {
    const { conversationId, visitorId, reply } = await askBot("reset password", "retry-me");
    const before = (db.sqlite.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?").get(conversationId) as { n: number }).n;
    const engine = await run(Engine.Engine);
    const again = await runtime.runPromise(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "retry-me", text: "reset password" }));
    expect(again.messages).toEqual(reply.messages);
    const after = (db.sqlite.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?").get(conversationId) as { n: number }).n;
    expect(after).toBe(before);
  });

  it("a search that fails finds nothing, follows not found and leaves a flow_error in the report", async () => {
    db.sqlite.exec("ALTER TABLE knowledge_articles RENAME TO knowledge_articles_away");
    try {
      const { conversationId, reply } = await askBot("reset password");
      expect(reply.messages.map((m) => m.text)).toContain("I found nothing on “reset password”.");
      expect(reply.status).toBe("open");
      const error = db.sqlite
        .prepare("SELECT node_id, data FROM events WHERE conversation_id = ? AND type = 'flow_error'")
        .get(conversationId) as { node_id: string; data: string };
      expect(error.node_id).toBe("kb");
      expect(JSON.parse(error.data).message).toMatch(/^the knowledge search failed: .*no such table/);
    } finally {
      db.sqlite.exec("ALTER TABLE knowledge_articles_away RENAME TO knowledge_articles");
    }
    // The next search works again.
    const { reply } = await askBot("reset password");
    expect(reply.messages.some((m) => m.bubble?.type === "link")).toBe(true);
  });

  it("knowledgeEvent links site-relative without a public URL and respects the limit", () => {
    const event = knowledgeEvent(db, { type: "search_knowledge", nodeId: "kb", query: "password", limit: 1 }, "");
    expect(event).toEqual({
      type: "knowledge_result",
      nodeId: "kb",
      articles: [{ id: "kb_reset", title: "Reset your password", url: "/help/articles/kb_reset", excerpt: expect.stringContaining("Reset password") }],
    });
    // Plain text, no Markdown syntax.
    expect(event.articles[0]!.excerpt).not.toContain("**");
  });
});
