/**
 * The editor's server work against the whole app on a fresh seeded database: publishing only
 * the revision the person saw, and a preview that runs the draft and can only be driven by the
 * visitor that started it, on the flow it belongs to.
 */
import { Effect, Either } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { openAppForDatabase } from "../../../runtime/services/app-for-database.js";
import type { AppRuntime, AppServices } from "../../../runtime/services/app-layer.js";
import { Chatflows } from "../../runtime.server.js";
import { publishDraft, previewTurn, saveDraft, versionSpec } from "./editor.server.js";

let dir: string;
let runtime: AppRuntime;
const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(Effect.either(effect));

const document = (id: string, greeting: string): FlowDocument => ({
  id,
  name: "Preview bot",
  kind: "bot",
  language: "en",
  startNodeId: "hello",
  nodes: [
    { id: "hello", kind: "message", position: { x: 0, y: 0 }, data: { bubbles: [{ type: "text", text: greeting }], typingDelayMs: 0 } },
    { id: "ask", kind: "question", position: { x: 0, y: 150 }, data: { prompt: "Your name?", answer: { type: "text" }, save: { variable: "name" }, typingDelayMs: 0 } },
    { id: "bye", kind: "end", position: { x: 0, y: 300 }, data: { message: "Bye {{name}}" } },
  ],
  edges: [
    { id: "e1", source: "hello", sourcePort: "next", target: "ask" },
    { id: "e2", source: "ask", sourcePort: "answered", target: "bye" },
  ],
  variables: [],
  settings: {},
});

const create = (id: string) =>
  runtime.runPromise(
    Effect.flatMap(Chatflows, (flows) => flows.create({ id, name: "Preview bot", kind: "bot", document: document(id, "Hello from the draft") })),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-editor-server-"));
  ({ runtime } = await openAppForDatabase(join(dir, "app.sqlite"), { env: { ADMIN_PASSWORD: "editor-password", PARLEY_DEMO: "1" } }));
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("publishDraft", () => {
  it("publishes exactly the revision given, and refuses a stale one", async () => {
    const flow = await create("flow_publish");
    const saved = await run(saveDraft(flow.id, { baseRevision: flow.draftRevision, document: document(flow.id, "Second draft") }));
    expect(Either.isRight(saved)).toBe(true);
    const stale = await run(publishDraft(flow.id, flow.draftRevision, "user_marketer"));
    expect(Either.isLeft(stale) && stale.left._tag).toBe("Conflict");
    const published = await run(publishDraft(flow.id, flow.draftRevision + 1, "user_marketer"));
    expect(Either.isRight(published) && published.right).toMatchObject({ version: 1, unchanged: false });
    const again = await run(publishDraft(flow.id, flow.draftRevision + 1, "user_marketer"));
    expect(Either.isRight(again) && again.right).toMatchObject({ version: 1, unchanged: true });
    const history = Either.isRight(again) ? again.right.history : [];
    expect(history[0]).toMatchObject({ version: 1, live: true, publishedByName: "Mia Marketer" });
    const spec = await run(versionSpec(flow.id, history[0]!.id));
    expect(Either.isRight(spec) && spec.right.spec.nodes[0]!.data).toMatchObject({ bubbles: [{ text: "Second draft" }] });
    const elsewhere = await run(versionSpec("flow_lead_qualification", history[0]!.id));
    expect(Either.isLeft(elsewhere) && elsewhere.left._tag).toBe("NotFound");
  });
});

describe("previewTurn", () => {
  it("runs the saved draft, reports the interpreter state, and answers only its own visitor on its own flow", async () => {
    const flow = await create("flow_preview");
    const started = await run(previewTurn(flow.id, { intent: "start", pageUrl: "https://example.com/", device: "desktop", language: "en" }));
    if (Either.isLeft(started)) throw new Error(`preview did not start: ${JSON.stringify(started.left)}`);
    const { conversationId, visitorId } = started.right;
    expect(started.right.messages.map((m) => m.text)).toEqual(["Hello from the draft", "Your name?"]);
    expect(started.right.state).toMatchObject({ nodeId: "ask", phase: "awaiting_input" });

    const message = { intent: "message" as const, conversationId, visitorId, clientMessageId: "m1", text: "Ada" };
    const otherVisitor = await run(previewTurn(flow.id, { ...message, visitorId: "vis_someone_else" }));
    expect(Either.isLeft(otherVisitor) && otherVisitor.left._tag).toBe("NotFound");
    const otherFlow = await run(previewTurn("flow_lead_qualification", message));
    expect(Either.isLeft(otherFlow) && otherFlow.left._tag).toBe("NotFound");
    const neither = await run(previewTurn(flow.id, { ...message, text: undefined }));
    expect(Either.isLeft(neither) && neither.left._tag).toBe("InvalidInput");

    const replied = await run(previewTurn(flow.id, message));
    if (Either.isLeft(replied)) throw new Error(`preview did not answer: ${JSON.stringify(replied.left)}`);
    expect(replied.right.messages.map((m) => m.text)).toContain("Bye Ada");
    expect(replied.right.state).toMatchObject({ variables: { name: "Ada" }, phase: "ended", nodeId: null });
  });

  it("refuses to preview a draft with errors, naming them", async () => {
    const flow = await create("flow_broken");
    const broken = { ...document(flow.id, "Hi"), edges: [] };
    await run(saveDraft(flow.id, { baseRevision: flow.draftRevision, document: broken }));
    const started = await run(previewTurn(flow.id, { intent: "start", pageUrl: "https://example.com/", device: "desktop", language: "en" }));
    expect(Either.isLeft(started) && started.left._tag).toBe("InvalidInput");
  });
});
