/**
 * Chatflows: drafts (the canvas's FlowDocument, revisioned), publishing (compile → an immutable
 * spec with its content hash in `chatflow_versions`), and the published specs the engine runs,
 * parsed once per process and kept in memory by version id — never parsed per message.
 */
import { createHash } from "node:crypto";
import { Context, Effect, Either, Layer } from "effect";
import { canonicalJson } from "../../flows/canonical-json.js";
import { compile, decodeFlowDocument, decodeFlowSpec, type CompileContext } from "../../flows/compile.js";
import type { DecodeIssue } from "../../flows/decode.js";
import { hasErrors, type Diagnostic } from "../../flows/diagnostics.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import type { ChatflowKind, FlowSpec } from "../../flows/flow-spec.js";
import { Database, type DatabaseShape, type Sqlite } from "./database.js";
import { Conflict, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";

export interface ChatflowRow {
  readonly id: string;
  readonly name: string;
  readonly kind: ChatflowKind;
  readonly channelId: string | null;
  readonly enabled: boolean;
  /** Lower wins when several chatflows target a page (follows the published spec's settings). */
  readonly priority: number;
  readonly draftRevision: number;
  readonly publishedVersionId: string | null;
  readonly archivedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ChatflowVersion {
  readonly id: string;
  readonly chatflowId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly spec: FlowSpec;
}

export interface VersionSummary {
  readonly id: string;
  readonly version: number;
  readonly contentHash: string;
  readonly publishedBy: string | null;
  readonly publishedAt: number;
}

export interface CompiledDraft {
  readonly spec: FlowSpec;
  readonly contentHash: string;
  readonly diagnostics: ReadonlyArray<Diagnostic>;
}

export interface ChatflowsShape {
  /** Creates a chatflow with `document` (or a small starter flow) as its first draft. */
  readonly create: (input: {
    readonly name: string;
    readonly kind: ChatflowKind;
    readonly document?: FlowDocument;
    readonly channelId?: string;
    readonly createdBy?: string;
    /** A fixed id (seeded demo data); a random one otherwise. */
    readonly id?: string;
  }) => Effect.Effect<ChatflowRow, InvalidInput | NotFound>;
  readonly get: (id: string) => Effect.Effect<ChatflowRow, NotFound>;
  /** Chatflows not archived, by priority then age. */
  readonly list: () => Effect.Effect<ReadonlyArray<ChatflowRow>>;
  /** The saved draft document (as saved; it may not compile) and its revision. */
  readonly getDraft: (id: string) => Effect.Effect<{ readonly document: unknown; readonly revision: number }, NotFound>;
  /** Saves a draft when `baseRevision` is current (else Conflict carrying the current revision). */
  readonly saveDraft: (
    id: string,
    document: unknown,
    baseRevision: number,
  ) => Effect.Effect<{ readonly revision: number; readonly diagnostics: ReadonlyArray<Diagnostic> }, NotFound | Conflict | InvalidInput>;
  /** Compiles the current draft without publishing it (preview); errors → InvalidInput. */
  readonly compileDraft: (id: string) => Effect.Effect<CompiledDraft, NotFound | InvalidInput>;
  /** Compiles and publishes the draft as a new immutable version (the current one when unchanged). */
  readonly publish: (
    id: string,
    userId?: string,
  ) => Effect.Effect<{ readonly versionId: string; readonly version: number; readonly contentHash: string }, NotFound | InvalidInput>;
  /** A published version, parsed once per process and cached by id. */
  readonly getVersion: (versionId: string) => Effect.Effect<ChatflowVersion, NotFound>;
  /** Every published version of a chatflow, newest first (without specs). */
  readonly listVersions: (id: string) => Effect.Effect<ReadonlyArray<VersionSummary>, NotFound>;
  /** Enabled, published, not archived chatflows of a channel, by priority, with their live spec. */
  readonly liveForChannel: (
    channelId: string,
  ) => Effect.Effect<ReadonlyArray<{ readonly chatflow: ChatflowRow; readonly version: ChatflowVersion }>>;
  /** Teams, users and contact properties the compiler checks references against. */
  readonly compileContext: () => Effect.Effect<CompileContext>;
  readonly setEnabled: (id: string, enabled: boolean) => Effect.Effect<ChatflowRow, NotFound>;
  readonly setChannel: (id: string, channelId: string | null) => Effect.Effect<ChatflowRow, NotFound>;
  /** Hides a chatflow from lists and the widget (its versions and conversations stay). */
  readonly archive: (id: string) => Effect.Effect<ChatflowRow, NotFound>;
}

export class Chatflows extends Context.Tag("Chatflows")<Chatflows, ChatflowsShape>() {}

/** sha256 (hex) of the spec's canonical JSON: equal specs, equal hash, whatever the key order. Pure. */
export const hashSpec = (spec: FlowSpec): string => createHash("sha256").update(canonicalJson(spec)).digest("hex");

/** Diagnostics with severity error as API issues (`nodes.<id>.<path>` + message). Pure. */
export const diagnosticsToIssues = (diagnostics: ReadonlyArray<Diagnostic>): ReadonlyArray<DecodeIssue> =>
  diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => ({
      path: d.nodeId !== undefined ? `nodes.${d.nodeId}${d.path ? `.${d.path}` : ""}` : (d.path ?? ""),
      message: d.message,
    }));

/** A starter draft so a new chatflow opens on something that runs. Pure. */
export const starterDocument = (id: string, name: string, kind: ChatflowKind): FlowDocument => {
  const documentId = id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "flow";
  if (kind === "live_chat") {
    return {
      id: documentId,
      name,
      kind,
      language: "en",
      startNodeId: "welcome",
      nodes: [
        {
          id: "welcome",
          kind: "message",
          position: { x: 0, y: 0 },
          data: { bubbles: [{ type: "text", text: "Hi! Ask us anything — a person answers here." }] },
        },
        { id: "to_team", kind: "handoff", position: { x: 0, y: 200 }, data: { target: { type: "routing" } } },
      ],
      edges: [{ id: "welcome:next->to_team", source: "welcome", sourcePort: "next", target: "to_team" }],
      variables: [],
      settings: {},
    };
  }
  return {
    id: documentId,
    name,
    kind,
    language: "en",
    startNodeId: "welcome",
    nodes: [
      {
        id: "welcome",
        kind: "message",
        position: { x: 0, y: 0 },
        data: { bubbles: [{ type: "text", text: "Hi there! How can we help?" }] },
      },
      { id: "done", kind: "end", position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [{ id: "welcome:next->done", source: "welcome", sourcePort: "next", target: "done" }],
    variables: [],
    settings: {},
  };
};

interface RawChatflow {
  id: string;
  name: string;
  kind: ChatflowKind;
  channel_id: string | null;
  enabled: number;
  priority: number;
  draft_revision: number;
  published_version_id: string | null;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS =
  "id, name, kind, channel_id, enabled, priority, draft_revision, published_version_id, archived_at, created_at, updated_at";

const toRow = (r: RawChatflow): ChatflowRow => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  channelId: r.channel_id,
  enabled: r.enabled === 1,
  priority: r.priority,
  draftRevision: r.draft_revision,
  publishedVersionId: r.published_version_id,
  archivedAt: r.archived_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The `priority` of a document's (loosely typed) settings, when it is a valid one. */
const priorityOf = (settings: unknown, fallback: number): number => {
  if (settings !== null && typeof settings === "object") {
    const p = (settings as { priority?: unknown }).priority;
    if (typeof p === "number" && Number.isInteger(p) && p >= 0 && p <= 10_000) return p;
  }
  return fallback;
};

/** Contact properties a workspace defines: the `contact_properties` setting (a JSON list of names). */
export const CONTACT_PROPERTIES_SETTING = "contact_properties";

const MAX_CACHED_VERSIONS = 2_000;

/** The Chatflows service over an open database (exported for tests and tools). */
export const makeChatflows = (db: DatabaseShape): ChatflowsShape => {
  const versions = new Map<string, ChatflowVersion>();

  const readRow = (id: string): RawChatflow | undefined =>
    db.prepare(`SELECT ${COLUMNS} FROM chatflows WHERE id = ?`).get(id) as RawChatflow | undefined;

  const mustRow = (id: string) =>
    Effect.suspend(() => {
      const row = readRow(id);
      return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "chatflow", id }));
    });

  const write = <T>(fn: (sqlite: Sqlite) => T): Effect.Effect<T> => db.writeEffect(fn).pipe(Effect.orDie);

  const channelExists = (channelId: string): boolean =>
    db.prepare("SELECT 1 FROM channels WHERE id = ?").get(channelId) !== undefined;

  const compileContextNow = (): CompileContext => {
    const teams = db.prepare("SELECT id, name FROM teams ORDER BY name").all() as Array<{ id: string; name: string }>;
    const users = db.prepare("SELECT id, name FROM users WHERE disabled_at IS NULL ORDER BY name").all() as Array<{
      id: string;
      name: string;
    }>;
    const properties = new Set<string>();
    const setting = db.prepare("SELECT value FROM settings WHERE key = ?").get(CONTACT_PROPERTIES_SETTING) as
      | { value: string }
      | undefined;
    if (setting) {
      try {
        const parsed: unknown = JSON.parse(setting.value);
        if (Array.isArray(parsed)) for (const p of parsed) if (typeof p === "string") properties.add(p);
      } catch {
        // A hand-edited, broken setting must not stop every compile; the properties stay unknown.
      }
    }
    // Properties already recorded on recent contacts count as known too (bounded scan).
    const recent = db
      .prepare(
        "SELECT DISTINCT j.key AS key FROM (SELECT properties FROM contacts ORDER BY updated_at DESC LIMIT 1000) c, json_each(c.properties) j",
      )
      .all() as Array<{ key: string }>;
    for (const r of recent) properties.add(r.key);
    return { teams, users, contactProperties: [...properties].sort() };
  };

  const compileDocument = (
    raw: unknown,
  ): Either.Either<{ spec: FlowSpec | undefined; diagnostics: ReadonlyArray<Diagnostic>; document: FlowDocument }, InvalidInput> => {
    const decoded = decodeFlowDocument(raw);
    if (Either.isLeft(decoded)) return Either.left(new InvalidInput({ issues: decoded.left }));
    const result = compile(decoded.right, compileContextNow());
    return Either.right({ spec: result.spec, diagnostics: result.diagnostics, document: decoded.right });
  };

  const readDraft = (row: RawChatflow): unknown => {
    const draft = db.prepare("SELECT draft FROM chatflows WHERE id = ?").get(row.id) as { draft: string };
    return JSON.parse(draft.draft) as unknown;
  };

  const compileDraftNow = (id: string) =>
    Effect.gen(function* () {
      const row = yield* mustRow(id);
      const compiled = yield* compileDocument(readDraft(row));
      if (compiled.spec === undefined || hasErrors(compiled.diagnostics)) {
        return yield* Effect.fail(new InvalidInput({ issues: diagnosticsToIssues(compiled.diagnostics) }));
      }
      return { row, spec: compiled.spec, contentHash: hashSpec(compiled.spec), diagnostics: compiled.diagnostics };
    });

  const loadVersion = (versionId: string): ChatflowVersion | undefined => {
    const cached = versions.get(versionId);
    if (cached) return cached;
    const raw = db
      .prepare("SELECT id, chatflow_id, version, content_hash, spec FROM chatflow_versions WHERE id = ?")
      .get(versionId) as { id: string; chatflow_id: string; version: number; content_hash: string; spec: string } | undefined;
    if (!raw) return undefined;
    const decoded = decodeFlowSpec(JSON.parse(raw.spec));
    if (Either.isLeft(decoded)) {
      // A stored version was written by `publish` from a decoded spec; failing to read it back is a bug.
      throw new Error(
        `chatflow version ${versionId} does not decode: ${decoded.left.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      );
    }
    const version: ChatflowVersion = {
      id: raw.id,
      chatflowId: raw.chatflow_id,
      version: raw.version,
      contentHash: raw.content_hash,
      spec: decoded.right,
    };
    if (versions.size >= MAX_CACHED_VERSIONS) versions.delete(versions.keys().next().value as string);
    versions.set(versionId, version);
    return version;
  };

  return {
    create: Effect.fn("Chatflows.create")(function* (input) {
      if (input.channelId !== undefined && !channelExists(input.channelId)) {
        return yield* Effect.fail(new NotFound({ entity: "channel", id: input.channelId }));
      }
      const id = input.id ?? newId("flow");
      const document: unknown = input.document ?? starterDocument(id, input.name, input.kind);
      const decoded = decodeFlowDocument(document);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const now = Date.now();
      const priority = priorityOf(decoded.right.settings, 100);
      yield* write((s) =>
        s
          .prepare(
            `INSERT INTO chatflows (id, name, kind, channel_id, enabled, priority, draft, draft_revision, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?)`,
          )
          .run(id, input.name, input.kind, input.channelId ?? null, priority, JSON.stringify(document), input.createdBy ?? null, now, now),
      );
      return toRow(readRow(id)!);
    }),

    get: Effect.fn("Chatflows.get")(function* (id: string) {
      return toRow(yield* mustRow(id));
    }),

    list: Effect.fn("Chatflows.list")(function* () {
      const rows = db
        .prepare(`SELECT ${COLUMNS} FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id`)
        .all() as RawChatflow[];
      return rows.map(toRow);
    }),

    getDraft: Effect.fn("Chatflows.getDraft")(function* (id: string) {
      const row = yield* mustRow(id);
      return { document: readDraft(row), revision: row.draft_revision };
    }),

    saveDraft: Effect.fn("Chatflows.saveDraft")(function* (id: string, document: unknown, baseRevision: number) {
      const row = yield* mustRow(id);
      const compiled = yield* compileDocument(document);
      if (row.draft_revision !== baseRevision) {
        return yield* Effect.fail(
          new Conflict({
            message: `the draft changed since revision ${baseRevision} (now ${row.draft_revision}); reload it`,
            current: { revision: row.draft_revision },
          }),
        );
      }
      const now = Date.now();
      const text = JSON.stringify(document);
      const saved = yield* write((s) => {
        // The revision check repeats inside the write: another save may have committed since.
        const result = s
          .prepare(
            "UPDATE chatflows SET draft = ?, name = ?, kind = ?, draft_revision = draft_revision + 1, updated_at = ? WHERE id = ? AND draft_revision = ?",
          )
          .run(text, compiled.document.name, compiled.document.kind, now, id, baseRevision);
        if (result.changes === 0) {
          return { ok: false as const, current: (s.prepare("SELECT draft_revision AS r FROM chatflows WHERE id = ?").get(id) as { r: number }).r };
        }
        return { ok: true as const, revision: baseRevision + 1 };
      });
      if (!saved.ok) {
        return yield* Effect.fail(
          new Conflict({
            message: `the draft changed since revision ${baseRevision} (now ${saved.current}); reload it`,
            current: { revision: saved.current },
          }),
        );
      }
      return { revision: saved.revision, diagnostics: compiled.diagnostics };
    }),

    compileDraft: Effect.fn("Chatflows.compileDraft")(function* (id: string) {
      const { spec, contentHash, diagnostics } = yield* compileDraftNow(id);
      return { spec, contentHash, diagnostics };
    }),

    publish: Effect.fn("Chatflows.publish")(function* (id: string, userId?: string) {
      const { spec, contentHash } = yield* compileDraftNow(id);
      const specText = JSON.stringify(spec);
      const now = Date.now();
      const summary = JSON.stringify({ name: spec.name, kind: spec.kind, nodes: spec.nodes.length });
      const priority = spec.settings.priority;
      return yield* write((s) => {
        const latest = s
          .prepare("SELECT id, version, content_hash FROM chatflow_versions WHERE chatflow_id = ? ORDER BY version DESC LIMIT 1")
          .get(id) as { id: string; version: number; content_hash: string } | undefined;
        if (latest && latest.content_hash === contentHash) {
          // Publishing an unchanged draft adds no version: the live one already is this spec.
          s.prepare("UPDATE chatflows SET published_version_id = ?, priority = ?, updated_at = ? WHERE id = ?").run(latest.id, priority, now, id);
          return { versionId: latest.id, version: latest.version, contentHash };
        }
        const versionId = newId("ver");
        const version = (latest?.version ?? 0) + 1;
        s.prepare(
          `INSERT INTO chatflow_versions (id, chatflow_id, version, spec, content_hash, summary, published_by, published_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(versionId, id, version, specText, contentHash, summary, userId ?? null, now);
        s.prepare("UPDATE chatflows SET published_version_id = ?, priority = ?, updated_at = ? WHERE id = ?").run(versionId, priority, now, id);
        return { versionId, version, contentHash };
      });
    }),

    getVersion: Effect.fn("Chatflows.getVersion")(function* (versionId: string) {
      const version = loadVersion(versionId);
      if (!version) return yield* Effect.fail(new NotFound({ entity: "chatflow version", id: versionId }));
      return version;
    }),

    listVersions: Effect.fn("Chatflows.listVersions")(function* (id: string) {
      yield* mustRow(id);
      const rows = db
        .prepare(
          "SELECT id, version, content_hash, published_by, published_at FROM chatflow_versions WHERE chatflow_id = ? ORDER BY version DESC",
        )
        .all(id) as Array<{ id: string; version: number; content_hash: string; published_by: string | null; published_at: number }>;
      return rows.map((r) => ({
        id: r.id,
        version: r.version,
        contentHash: r.content_hash,
        publishedBy: r.published_by,
        publishedAt: r.published_at,
      }));
    }),

    liveForChannel: Effect.fn("Chatflows.liveForChannel")(function* (channelId: string) {
      const rows = db
        .prepare(
          `SELECT ${COLUMNS} FROM chatflows
           WHERE channel_id = ? AND enabled = 1 AND archived_at IS NULL AND published_version_id IS NOT NULL
           ORDER BY priority, created_at, id`,
        )
        .all(channelId) as RawChatflow[];
      const live: Array<{ chatflow: ChatflowRow; version: ChatflowVersion }> = [];
      for (const row of rows) {
        const version = loadVersion(row.published_version_id!);
        if (version) live.push({ chatflow: toRow(row), version });
      }
      return live;
    }),

    compileContext: Effect.fn("Chatflows.compileContext")(function* () {
      return compileContextNow();
    }),

    setEnabled: Effect.fn("Chatflows.setEnabled")(function* (id: string, enabled: boolean) {
      yield* mustRow(id);
      yield* write((s) =>
        s.prepare("UPDATE chatflows SET enabled = ?, updated_at = ? WHERE id = ?").run(enabled ? 1 : 0, Date.now(), id),
      );
      return toRow(readRow(id)!);
    }),

    setChannel: Effect.fn("Chatflows.setChannel")(function* (id: string, channelId: string | null) {
      yield* mustRow(id);
      if (channelId !== null && !channelExists(channelId)) {
        return yield* Effect.fail(new NotFound({ entity: "channel", id: channelId }));
      }
      yield* write((s) => s.prepare("UPDATE chatflows SET channel_id = ?, updated_at = ? WHERE id = ?").run(channelId, Date.now(), id));
      return toRow(readRow(id)!);
    }),

    archive: Effect.fn("Chatflows.archive")(function* (id: string) {
      yield* mustRow(id);
      const now = Date.now();
      yield* write((s) =>
        s.prepare("UPDATE chatflows SET archived_at = COALESCE(archived_at, ?), enabled = 0, updated_at = ? WHERE id = ?").run(now, now, id),
      );
      return toRow(readRow(id)!);
    }),
  };
};

export const layer: Layer.Layer<Chatflows, never, Database> = Layer.effect(Chatflows, Effect.map(Database, makeChatflows));
