/**
 * The Chatflows methods the builder's flow list, version history and preview pane use:
 * overview, rename, duplicate, remove (delete or archive), reorder, versionHistory,
 * previewState, the pure change summary, and canvas notes in the draft (saved, never published).
 */
import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import type { FlowSpec } from "../../flows/flow-spec.js";
import * as Chatflows from "./chatflows.js";
import * as Db from "./database.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Db.Database | Chatflows.Chatflows, never>;
let db: Db.DatabaseShape;

const run = <A, E>(f: (flows: Chatflows.ChatflowsShape) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.flatMap(Chatflows.Chatflows, f));
const runEither = <A, E>(f: (flows: Chatflows.ChatflowsShape) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.either(Effect.flatMap(Chatflows.Chatflows, f)));

const say = (text: string) => ({ bubbles: [{ type: "text", text }] });

const leadDocument = (id: string, extra: Partial<FlowDocument> = {}): FlowDocument => ({
  id,
  name: "Lead bot",
  kind: "bot",
  language: "en",
  startNodeId: "hello",
  nodes: [
    { id: "hello", kind: "message", label: "Greeting", position: { x: 10, y: 20 }, data: say("Hi!") },
    { id: "bye", kind: "end", position: { x: 10, y: 220 }, data: {} },
  ],
  edges: [{ id: "e1", source: "hello", sourcePort: "next", target: "bye" }],
  variables: [],
  settings: { priority: 50 },
  ...extra,
});

let seq = 0;
const createFlow = (name = `Flow ${++seq}`, document?: FlowDocument) =>
  run((flows) => flows.create({ name, kind: "bot", channelId: "chan_web", ...(document ? { document } : {}) }));

const insertConversation = (chatflowId: string, preview: boolean) => {
  const id = `conv_${++seq}`;
  db.sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, chatflow_id, status, state, is_preview, created_at, updated_at, last_activity_at)
       VALUES (?, 'chan_web', 'inbox_main', ?, 'bot', ?, ?, 0, 0, 0)`,
    )
    .run(
      id,
      chatflowId,
      JSON.stringify({ phase: "awaiting_input", nodeId: "ask", variables: { name: "Ada" }, contact: { email: "ada@example.com" } }),
      preview ? 1 : 0,
    );
  db.sqlite.prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'bot', 'Hi!', 0)").run(id);
  return id;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-chatflows-builder-"));
  const layer = Chatflows.layer.pipe(Layer.provideMerge(Db.layer({ path: join(dir, "flows.sqlite") })));
  runtime = ManagedRuntime.make(layer);
  db = await runtime.runPromise(Db.Database);
  const now = Date.now();
  db.sqlite.prepare("INSERT INTO users (id, email, name, role, password_hash, display_name, created_at) VALUES ('user_mia', 'mia@example.com', 'Mia', 'marketer', 'x', 'Mia M.', ?)").run(now);
  db.sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_main', 'Main', ?)").run(now);
  db.sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_web', 'inbox_main', 'chat', 'Website chat', ?)").run(now);
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("overview", () => {
  it("lists each flow with its channel name, live version number and visitor conversations (previews not counted)", async () => {
    const flow = await createFlow("Overview bot", leadDocument("overview_bot"));
    await run((flows) => flows.publish(flow.id, "user_mia"));
    insertConversation(flow.id, false);
    insertConversation(flow.id, true);
    const rows = await run((flows) => flows.overview());
    const row = rows.find((r) => r.chatflow.id === flow.id)!;
    expect(row).toMatchObject({ channelName: "Website chat", publishedVersion: 1, conversations: 1 });
    const fresh = await createFlow();
    expect((await run((flows) => flows.overview())).find((r) => r.chatflow.id === fresh.id)).toMatchObject({
      publishedVersion: null,
      conversations: 0,
    });
  });
});

describe("rename", () => {
  it("renames the row and the draft, as a new draft revision", async () => {
    const flow = await createFlow("Before", leadDocument("rename_me"));
    const renamed = await run((flows) => flows.rename(flow.id, "  After  "));
    expect(renamed.name).toBe("After");
    const draft = await run((flows) => flows.getDraft(flow.id));
    expect(draft.revision).toBe(flow.draftRevision + 1);
    expect((draft.document as FlowDocument).name).toBe("After");
    // An editor still on the old revision is told, not overwritten.
    const stale = await runEither((flows) => flows.saveDraft(flow.id, leadDocument("rename_me"), flow.draftRevision));
    expect(Either.isLeft(stale) && stale.left._tag).toBe("Conflict");
  });

  it("refuses a blank or too long name with the field's path", async () => {
    const flow = await createFlow();
    for (const name of ["   ", "x".repeat(201)]) {
      const result = await runEither((flows) => flows.rename(flow.id, name));
      expect(Either.isLeft(result) && result.left._tag === "InvalidInput" && result.left.issues[0]!.path).toBe("name");
    }
    const missing = await runEither((flows) => flows.rename("flow_nope", "x"));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
  });
});

describe("duplicate", () => {
  it("copies the draft into a new, off, unpublished flow named 'Copy of …' with its own document id", async () => {
    const flow = await createFlow("Original", leadDocument("original"));
    await run((flows) => flows.publish(flow.id));
    await run((flows) => flows.setEnabled(flow.id, true));
    const copy = await run((flows) => flows.duplicate(flow.id, { createdBy: "user_mia" }));
    expect(copy).toMatchObject({ name: "Copy of Original", enabled: false, publishedVersionId: null, channelId: "chan_web", draftRevision: 1 });
    expect(copy.id).not.toBe(flow.id);
    const draft = (await run((flows) => flows.getDraft(copy.id))).document as FlowDocument;
    expect(draft.name).toBe("Copy of Original");
    expect(draft.id).not.toBe("original");
    expect(draft.nodes.map((n) => n.id)).toEqual(["hello", "bye"]);
    // The copy compiles and publishes on its own.
    const published = await run((flows) => flows.publish(copy.id));
    expect(published.version).toBe(1);
  });
});

describe("remove", () => {
  it("deletes a flow nobody talked to, with its versions and its preview conversations", async () => {
    const flow = await createFlow("Disposable", leadDocument("disposable"));
    await run((flows) => flows.publish(flow.id));
    const preview = insertConversation(flow.id, true);
    expect(await run((flows) => flows.remove(flow.id))).toEqual({ outcome: "deleted" });
    expect(db.sqlite.prepare("SELECT COUNT(*) AS n FROM chatflow_versions WHERE chatflow_id = ?").get(flow.id)).toEqual({ n: 0 });
    expect(db.sqlite.prepare("SELECT COUNT(*) AS n FROM conversations WHERE id = ?").get(preview)).toEqual({ n: 0 });
    const gone = await runEither((flows) => flows.get(flow.id));
    expect(Either.isLeft(gone) && gone.left._tag).toBe("NotFound");
  });

  it("archives a flow visitors had conversations with, keeping them", async () => {
    const flow = await createFlow("Busy", leadDocument("busy"));
    await run((flows) => flows.publish(flow.id));
    await run((flows) => flows.setEnabled(flow.id, true));
    const conversation = insertConversation(flow.id, false);
    expect(await run((flows) => flows.remove(flow.id))).toEqual({ outcome: "archived" });
    const row = await run((flows) => flows.get(flow.id));
    expect(row.archivedAt).not.toBeNull();
    expect(row.enabled).toBe(false);
    expect(db.sqlite.prepare("SELECT COUNT(*) AS n FROM conversations WHERE id = ?").get(conversation)).toEqual({ n: 1 });
    expect((await run((flows) => flows.list())).some((r) => r.id === flow.id)).toBe(false);
  });
});

describe("reorder", () => {
  it("sets priorities in the given order, writes them into changed drafts, and keeps them through publishing", async () => {
    const before = await run((flows) => flows.list());
    const ids = before.map((r) => r.id).reverse();
    const after = await run((flows) => flows.reorder(ids));
    expect(after.map((r) => r.id)).toEqual(ids);
    expect(after.map((r) => r.priority)).toEqual(ids.map((_, i) => (i + 1) * 10));
    const first = ids[0]!;
    const draft = await run((flows) => flows.getDraft(first));
    expect((draft.document as FlowDocument & { settings: { priority: number } }).settings.priority).toBe(10);
    await run((flows) => flows.publish(first));
    expect((await run((flows) => flows.get(first))).priority).toBe(10);
    // The same order again changes no draft: no new revisions.
    const revisions = (await run((flows) => flows.list())).map((r) => r.draftRevision);
    await run((flows) => flows.reorder(ids));
    expect((await run((flows) => flows.list())).map((r) => r.draftRevision)).toEqual(revisions);
  });

  it("refuses a list that is not exactly the current flows", async () => {
    const ids = (await run((flows) => flows.list())).map((r) => r.id);
    for (const wrong of [ids.slice(1), [...ids, "flow_unknown"], [ids[0]!, ...ids.slice(0, -1)]]) {
      const result = await runEither((flows) => flows.reorder(wrong));
      expect(Either.isLeft(result) && result.left._tag).toBe("Conflict");
    }
  });
});

describe("versionHistory", () => {
  it("lists versions newest first with who, when, which is live and what changed", async () => {
    const flow = await createFlow("History", leadDocument("history"));
    await run((flows) => flows.publish(flow.id, "user_mia"));
    const v2 = leadDocument("history", {
      nodes: [
        { id: "hello", kind: "message", label: "Greeting", position: { x: 0, y: 0 }, data: say("Hello again!") },
        { id: "ask", kind: "question", position: { x: 0, y: 100 }, data: { prompt: "Name?", answer: { type: "text" }, save: { variable: "name" } } },
        { id: "done", kind: "end", position: { x: 0, y: 200 }, data: {} },
      ],
      edges: [
        { id: "e1", source: "hello", sourcePort: "next", target: "ask" },
        { id: "e2", source: "ask", sourcePort: "answered", target: "done" },
      ],
      settings: { priority: 50, sessionTimeoutMinutes: 10 },
    });
    const saved = await run((flows) => flows.saveDraft(flow.id, v2, flow.draftRevision));
    expect(saved.revision).toBe(flow.draftRevision + 1);
    await run((flows) => flows.publish(flow.id));
    const history = await run((flows) => flows.versionHistory(flow.id));
    expect(history.map((h) => [h.version, h.live, h.publishedByName])).toEqual([
      [2, true, null],
      [1, false, "Mia M."],
    ]);
    expect(history[0]!.changes).toEqual({
      added: [
        { id: "ask", name: "Question ask" },
        { id: "done", name: "End done" },
      ],
      removed: [{ id: "bye", name: "End bye" }],
      changed: [{ id: "hello", name: 'Message "Greeting"' }],
      flow: ["settings"],
    });
    expect(history[1]!.changes.added.map((n) => n.id)).toEqual(["hello", "bye"]);
    expect(history[1]!.publishedAt).toBeLessThanOrEqual(history[0]!.publishedAt);
  });
});

describe("previewState", () => {
  it("reads variables, contact properties and the current node of a preview conversation of this flow only", async () => {
    const flow = await createFlow("Preview", leadDocument("preview"));
    const preview = insertConversation(flow.id, true);
    expect(await run((flows) => flows.previewState(flow.id, preview))).toMatchObject({
      conversationId: preview,
      status: "bot",
      phase: "awaiting_input",
      nodeId: "ask",
      variables: { name: "Ada" },
      contact: { email: "ada@example.com" },
      endReason: null,
    });
    const real = insertConversation(flow.id, false);
    const other = await createFlow();
    for (const [chatflowId, conversationId] of [
      [flow.id, real],
      [other.id, preview],
    ] as const) {
      const result = await runEither((flows) => flows.previewState(chatflowId, conversationId));
      expect(Either.isLeft(result) && result.left._tag).toBe("NotFound");
    }
  });
});

describe("summarizeChanges", () => {
  const spec = (nodes: FlowSpec["nodes"]): FlowSpec =>
    ({ formatVersion: 1, id: "s", name: "S", kind: "bot", language: "en", startNodeId: "a", nodes, variables: [], settings: {} }) as unknown as FlowSpec;
  const message = (id: string, text: string, next: Record<string, string> = {}) =>
    ({ id, kind: "message", data: { bubbles: [{ type: "text", text }], typingDelayMs: 600 }, next }) as FlowSpec["nodes"][number];

  it("counts an exit rewired as a change, and key order as none", () => {
    const before = spec([message("a", "Hi", { next: "b" }), message("b", "Bye")]);
    const rewired = spec([message("a", "Hi", { next: "a" }), message("b", "Bye")]);
    expect(Chatflows.summarizeChanges(before, rewired).changed.map((n) => n.id)).toEqual(["a"]);
    const reordered = spec([
      { next: { next: "b" }, data: { typingDelayMs: 600, bubbles: [{ text: "Hi", type: "text" }] }, kind: "message", id: "a" } as FlowSpec["nodes"][number],
      message("b", "Bye"),
    ]);
    expect(Chatflows.summarizeChanges(before, reordered)).toEqual({ added: [], removed: [], changed: [], flow: [] });
  });

  it("lists every node as added when nothing was published before", () => {
    expect(Chatflows.summarizeChanges(null, spec([message("a", "Hi")])).added).toEqual([{ id: "a", name: "Message a" }]);
  });
});

describe("canvas notes in the draft", () => {
  const note = { id: "note_1", text: "Greets first, then ends.", color: "pink" as const, position: { x: 300, y: 20 }, size: { width: 240, height: 140 } };

  it("are saved with the draft, never published: a version with or without them is the same", async () => {
    const flow = await createFlow("Noted bot", leadDocument("noted_bot", { notes: [note] }));
    expect((await run((flows) => flows.getDraft(flow.id))).document).toMatchObject({ notes: [note] });
    const first = await run((flows) => flows.publish(flow.id, "user_mia"));
    const version = await run((flows) => flows.getVersion(first.versionId));
    expect(JSON.stringify(version.spec)).not.toContain("note_1");
    // Notes edited or removed: the spec is the same, so publishing makes no new version.
    await run((flows) => flows.saveDraft(flow.id, leadDocument("noted_bot"), flow.draftRevision));
    const again = await run((flows) => flows.publish(flow.id, "user_mia"));
    expect(again).toMatchObject({ unchanged: true, version: first.version, contentHash: first.contentHash });
  });

  it("refuses a draft with a bad note, with its path, and keeps the saved one", async () => {
    const flow = await createFlow("Bad note bot", leadDocument("bad_note_bot", { notes: [note] }));
    const bad = { ...leadDocument("bad_note_bot"), notes: [note, { ...note, id: "note_2", text: "x".repeat(2_001) }, { ...note, id: "hello" }] };
    const result = await runEither((flows) => flows.saveDraft(flow.id, bad, flow.draftRevision));
    expect(Either.isLeft(result) && result.left._tag === "InvalidInput" && result.left.issues.map((i) => i.path)).toEqual(["notes[1].text"]);
    const clash = { ...leadDocument("bad_note_bot"), notes: [note, { ...note, id: "hello" }] };
    const clashed = await runEither((flows) => flows.saveDraft(flow.id, clash, flow.draftRevision));
    expect(Either.isLeft(clashed) && clashed.left._tag === "InvalidInput" && clashed.left.issues.map((i) => i.path)).toEqual(["notes[1].id"]);
    const draft = await run((flows) => flows.getDraft(flow.id));
    expect(draft.revision).toBe(flow.draftRevision);
    expect(draft.document).toMatchObject({ notes: [note] });
  });
});
