import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import { Chatflows, hashSpec, layer as chatflowsLayer } from "./chatflows.js";
import * as Db from "./database.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Chatflows | Db.Database, never>;
let db: Db.DatabaseShape;

const run = <A, E>(f: (flows: Chatflows["Type"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(Chatflows, f));
const runEither = <A, E>(f: (flows: Chatflows["Type"]) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.either(Effect.flatMap(Chatflows, f)));

const doc = (id: string, text: string, settings: Record<string, unknown> = {}): FlowDocument => ({
  id,
  name: id,
  kind: "bot",
  language: "en",
  startNodeId: "hello",
  nodes: [
    { id: "hello", kind: "message", position: { x: 0, y: 0 }, data: { bubbles: [{ type: "text", text }] } },
    { id: "bye", kind: "end", position: { x: 0, y: 100 }, data: {} },
  ],
  edges: [{ id: "e", source: "hello", sourcePort: "next", target: "bye" }],
  variables: [],
  settings,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-chatflows-"));
  runtime = ManagedRuntime.make(chatflowsLayer.pipe(Layer.provideMerge(Db.layer({ path: join(dir, "c.sqlite") }))));
  db = await runtime.runPromise(Db.Database);
  db.sqlite.exec(`
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox', 'Support', 0);
    INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan', 'inbox', 'chat', 'Web', 0), ('other', 'inbox', 'chat', 'Other', 0);
    INSERT INTO teams (id, name, created_at) VALUES ('team_a', 'A', 0);
  `);
});

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("drafts", () => {
  it("saves a draft only on the current revision; a stale one is a Conflict naming the current revision", async () => {
    const row = await run((f) => f.create({ name: "Drafty", kind: "bot", document: doc("drafty", "v1"), channelId: "chan" }));
    expect(row.draftRevision).toBe(1);
    const saved = await run((f) => f.saveDraft(row.id, doc("drafty", "v2"), 1));
    expect(saved.revision).toBe(2);
    expect(saved.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const stale = await runEither((f) => f.saveDraft(row.id, doc("drafty", "lost update"), 1));
    expect(Either.isLeft(stale) && stale.left._tag === "Conflict" && stale.left.current).toEqual({ revision: 2 });
    const draft = await run((f) => f.getDraft(row.id));
    expect(draft.revision).toBe(2);
    expect(JSON.stringify(draft.document)).toContain("v2");
  });

  it("refuses a document that is not a FlowDocument with every path, and saves a broken but well-formed one with its diagnostics", async () => {
    const row = await run((f) => f.create({ name: "Broken", kind: "bot", document: doc("broken", "x") }));
    const invalid = await runEither((f) => f.saveDraft(row.id, { id: "broken", nodes: "nope" }, 1));
    expect(Either.isLeft(invalid) && invalid.left._tag).toBe("InvalidInput");
    if (Either.isLeft(invalid) && invalid.left._tag === "InvalidInput") {
      expect(invalid.left.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["nodes"]));
    }
    // An edge to a step that does not exist: saved all the same (a draft may be half-done), with an error.
    const dangling = { ...doc("broken", "x"), edges: [{ id: "e", source: "hello", sourcePort: "next", target: "nowhere" }] };
    const withError = await run((f) => f.saveDraft(row.id, dangling, 1));
    expect(withError.revision).toBe(2);
    expect(withError.diagnostics.some((d) => d.severity === "error")).toBe(true);
    // …and publishing it fails with the compiler's words.
    const published = await runEither((f) => f.publish(row.id));
    expect(Either.isLeft(published) && published.left._tag).toBe("InvalidInput");
    expect(db.sqlite.prepare("SELECT count(*) AS n FROM chatflow_versions WHERE chatflow_id = ?").get(row.id)).toEqual({ n: 0 });
  });

  it("answers NotFound for unknown chatflows and channels", async () => {
    const tags: Array<string> = [];
    const tagOf = (result: Either.Either<unknown, { readonly _tag: string }>) => (Either.isLeft(result) ? result.left._tag : "ok");
    tags.push(tagOf(await runEither((f) => f.get("flow_nope"))));
    tags.push(tagOf(await runEither((f) => f.publish("flow_nope"))));
    tags.push(tagOf(await runEither((f) => f.saveDraft("flow_nope", doc("x", "x"), 1))));
    tags.push(tagOf(await runEither((f) => f.create({ name: "x", kind: "bot", channelId: "chan_nope" }))));
    expect(tags).toEqual(["NotFound", "NotFound", "NotFound", "NotFound"]);
  });
});

describe("publishing", () => {
  it("publishes only the draft revision asked for: a stale one is a Conflict and publishes nothing", async () => {
    const row = await run((f) => f.create({ name: "Rev", kind: "bot", document: doc("rev", "hello") }));
    await run((f) => f.saveDraft(row.id, doc("rev", "hello twice"), 1));
    const stale = await runEither((f) => f.publishRevision(row.id, 1));
    expect(Either.isLeft(stale) && stale.left).toMatchObject({ _tag: "Conflict", message: expect.stringMatching(/the draft is at revision 2, not 1/) });
    expect(await run((f) => f.listVersions(row.id))).toEqual([]);
    const published = await run((f) => f.publishRevision(row.id, 2));
    expect(published).toMatchObject({ version: 1, unchanged: false });
    expect((await run((f) => f.get(row.id))).publishedVersionId).toBe(published.versionId);
  });

  it("stores an immutable version with the sha256 of the canonical spec; an unchanged draft adds no version", async () => {
    const row = await run((f) => f.create({ name: "Pub", kind: "bot", document: doc("pub", "hello", { priority: 7 }), channelId: "chan" }));
    const first = await run((f) => f.publish(row.id, undefined));
    expect(first.version).toBe(1);
    const version = await run((f) => f.getVersion(first.versionId));
    expect(version.contentHash).toBe(first.contentHash);
    expect(hashSpec(version.spec)).toBe(first.contentHash);
    expect(first.contentHash).toMatch(/^[0-9a-f]{64}$/);
    // Parsed once: the same object comes back from the cache.
    expect(await run((f) => f.getVersion(first.versionId))).toBe(version);

    expect(first.unchanged).toBe(false);
    const again = await run((f) => f.publish(row.id));
    expect(again).toEqual({ ...first, unchanged: true });

    await run((f) => f.saveDraft(row.id, doc("pub", "hello again", { priority: 7 }), 1));
    const second = await run((f) => f.publish(row.id));
    expect(second.version).toBe(2);
    expect(second.contentHash).not.toBe(first.contentHash);
    expect((await run((f) => f.get(row.id))).publishedVersionId).toBe(second.versionId);
    expect((await run((f) => f.get(row.id))).priority).toBe(7);
    expect((await run((f) => f.listVersions(row.id))).map((v) => v.version)).toEqual([2, 1]);
    // The store refuses to rewrite a published version.
    expect(() => db.sqlite.prepare("UPDATE chatflow_versions SET spec = '{}' WHERE id = ?").run(first.versionId)).toThrow(/immutable/);
  });

  it("offers only enabled, published, unarchived flows of a channel, by priority", async () => {
    const make = async (name: string, priority: number, channelId: string, publish: boolean, enabled: boolean) => {
      const row = await run((f) => f.create({ name, kind: "bot", document: doc(name, name, { priority }), channelId }));
      if (publish) await run((f) => f.publish(row.id));
      await run((f) => f.setEnabled(row.id, enabled));
      return row.id;
    };
    const low = await make("live_low", 1, "chan", true, true);
    const high = await make("live_high", 50, "chan", true, true);
    await make("off", 0, "chan", true, false);
    await make("unpublished", 0, "chan", false, true);
    await make("elsewhere", 0, "other", true, true);
    const archived = await make("archived", 0, "chan", true, true);
    await run((f) => f.archive(archived));
    const live = await run((f) => f.liveForChannel("chan"));
    expect(live.map((l) => l.chatflow.id)).toEqual([low, high]);
    expect(live[0]!.version.spec.id).toBe("live_low");
    expect((await run((f) => f.list())).some((c) => c.id === archived)).toBe(false);
  });

  it("checks references against the workspace: teams, users and the declared contact properties", async () => {
    db.sqlite.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('contact_properties', ?)").run(JSON.stringify(["plan"]));
    const context = await run((f) => f.compileContext());
    expect(context.teams).toEqual([{ id: "team_a", name: "A" }]);
    expect(context.contactProperties).toContain("plan");
  });
});
