/**
 * Chatflows: drafts (the canvas's FlowDocument, revisioned), publishing (compile → an immutable
 * spec with its content hash in `chatflow_versions`), and the published specs the engine runs,
 * parsed once per process and kept in memory by version id — never parsed per message.
 */
import { createHash } from "node:crypto";
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { canonicalJson } from "../../flows/canonical-json.js";
import { compile, decodeFlowDocument, decodeFlowSpec, KIND_NAMES, type CompileContext } from "../../flows/compile.js";
import type { DecodeIssue } from "../../flows/decode.js";
import { hasErrors, type Diagnostic } from "../../flows/diagnostics.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import type { Availability, ChatflowKind, FlowSpec, SpecNode } from "../../flows/flow-spec.js";
import { teamAvailability, type TeamHours } from "../../flows/team-hours.js";
import { orderChange } from "../../flows/flow-order.js";
import * as wallClock from "./clock.js";
import { knownContactProperties } from "./contacts.js";
import { auditActor, recordAudit } from "./audit-log.js";
import { readBusinessHours } from "./business-hours.js";
import { decodeTeamHours } from "./team-hours.js";
import { Database, type DatabaseShape, type Sqlite } from "./database.js";
import { Conflict, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { decodeCursor, decodeInput, encodeCursor, ListLimit } from "./inbox-access.js";

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
  ) => Effect.Effect<PublishedVersion, NotFound | InvalidInput>;
  /**
   * `publish`, of the draft at exactly `revision` (what the person saw): Conflict when the
   * draft moved on, checked before the compile and again inside the write.
   */
  readonly publishRevision: (
    id: string,
    revision: number,
    userId?: string,
  ) => Effect.Effect<PublishedVersion, NotFound | InvalidInput | Conflict>;
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
  /**
   * Every team's hours as a chatflow that follows the team reads them (decision 048): what the
   * builder's Availability tab shows and the flow list's "Away now" line reads. One read of the
   * teams and one of the workspace's calendar.
   */
  readonly teamCalendars: () => Effect.Effect<ReadonlyArray<TeamCalendar>>;
  readonly setEnabled: (id: string, enabled: boolean) => Effect.Effect<ChatflowRow, NotFound>;
  readonly setChannel: (id: string, channelId: string | null) => Effect.Effect<ChatflowRow, NotFound>;
  /** Hides a chatflow from lists and the widget (its versions and conversations stay). */
  readonly archive: (id: string) => Effect.Effect<ChatflowRow, NotFound>;

  // ---- the builder's flow list, versions and preview ----

  /** Every chatflow not archived, by priority, with its live version number, channel name and conversation counts. */
  readonly overview: () => Effect.Effect<ReadonlyArray<ChatflowOverview>>;
  /**
   * One page of the flow list, in its order (priority, then age), keyset-paginated: `limit`
   * (1–200, 50 by default) and the `cursor` the previous page gave; InvalidInput names either.
   */
  readonly page: (input: { readonly limit?: string; readonly cursor?: string }) => Effect.Effect<ChatflowPage, InvalidInput>;
  /** Renames a chatflow: the row and its draft's `name`, as a new draft revision (an open editor then sees a conflict). */
  readonly rename: (id: string, name: string) => Effect.Effect<ChatflowRow, NotFound | InvalidInput>;
  /** A new chatflow (off, unpublished, same channel) whose draft is a copy of this one's. */
  readonly duplicate: (
    id: string,
    input?: { readonly name?: string; readonly createdBy?: string },
  ) => Effect.Effect<ChatflowRow, NotFound | InvalidInput>;
  /**
   * Deletes a chatflow and its versions — or, when visitors had conversations with it, archives
   * it instead so their history stays. Preview conversations are deleted with the flow.
   */
  readonly remove: (id: string) => Effect.Effect<{ readonly outcome: "deleted" | "archived" }, NotFound>;
  /**
   * Sets the priority order of every chatflow in the list (first wins on a page): the rows at
   * once, and each changed draft's `settings.priority` so the next publish keeps it. `ids` must
   * be exactly the chatflows `list` returns, else Conflict (someone changed the list). A change
   * of order is one audit line in the same write: the flow that moved and its places (`moved`,
   * the flow the caller moved, says which when two neighbours swapped), or the new order.
   */
  readonly reorder: (ids: ReadonlyArray<string>, moved?: string) => Effect.Effect<ReadonlyArray<ChatflowRow>, Conflict>;
  /** Published versions, newest first: who published each, when, and what changed since the one before. */
  readonly versionHistory: (id: string) => Effect.Effect<ReadonlyArray<VersionHistoryEntry>, NotFound>;
  /** Where a preview conversation of this chatflow stands (from the interpreter's state); NotFound for any other conversation. */
  readonly previewState: (chatflowId: string, conversationId: string) => Effect.Effect<PreviewState, NotFound>;
}

/** A team's hours as the chatflows that follow it read them. */
export interface TeamCalendar {
  readonly teamId: string;
  readonly name: string;
  /** Where the team's hours come from: none of its own, the workspace's, or its own. */
  readonly source: TeamHours["source"];
  /** The team's calendar as a business-hours availability; null when its hours never close it. */
  readonly schedule: Availability | null;
}

/** One row of the builder's flow list. */
export interface ChatflowOverview {
  readonly chatflow: ChatflowRow;
  /** The number of the live (published) version, null while never published. */
  readonly publishedVersion: number | null;
  readonly channelName: string | null;
  /** Conversations with visitors (previews not counted). */
  readonly conversations: number;
}

/** What a publish made live; `unchanged` when the draft was the latest version already (no new version). */
export interface PublishedVersion {
  readonly versionId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly unchanged: boolean;
}

/** A page of the flow list; `nextCursor` is null on the last page. */
export interface ChatflowPage {
  readonly flows: ReadonlyArray<Omit<ChatflowOverview, "conversations">>;
  readonly nextCursor: string | null;
}

/** A node as a change summary names it. */
export interface NodeChange {
  readonly id: string;
  /** `Question "Ask for email"`, or `Question ask_email` when it has no label. */
  readonly name: string;
}

/** What changed between two published specs. */
export interface ChangeSummary {
  readonly added: ReadonlyArray<NodeChange>;
  readonly removed: ReadonlyArray<NodeChange>;
  /** Nodes whose kind, label, data or exits changed. */
  readonly changed: ReadonlyArray<NodeChange>;
  /** Flow-wide parts that changed: "name", "kind", "language", "start", "variables", "settings". */
  readonly flow: ReadonlyArray<string>;
}

export interface VersionHistoryEntry extends VersionSummary {
  readonly publishedByName: string | null;
  /** True for the version visitors get now. */
  readonly live: boolean;
  /** Against the version before it; the first version lists every node as added. */
  readonly changes: ChangeSummary;
}

/** A preview conversation as the builder's preview pane shows it. */
export interface PreviewState {
  readonly conversationId: string;
  readonly visitorId: string | null;
  readonly status: "bot" | "open" | "pending" | "closed";
  readonly phase: string | null;
  /** The node the conversation waits at (null once it ended or was handed off). */
  readonly nodeId: string | null;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly contact: Readonly<Record<string, string>>;
  readonly endReason: string | null;
  readonly error: string | null;
}

export class Chatflows extends Context.Tag("Chatflows")<Chatflows, ChatflowsShape>() {}

/** sha256 (hex) of the spec's canonical JSON: equal specs, equal hash, whatever the key order. Pure. */
export const hashSpec = (spec: FlowSpec): string => createHash("sha256").update(canonicalJson(spec)).digest("hex");

/** Where a diagnostic points, as an API path: `nodes.<id>.<path>` on a node, the flow's own path otherwise. Pure. */
export const diagnosticPath = (d: Diagnostic): string =>
  d.nodeId !== undefined ? `nodes.${d.nodeId}${d.path ? `.${d.path}` : ""}` : (d.path ?? "");

/** Diagnostics with severity error as API issues (`nodes.<id>.<path>` + message). Pure. */
export const diagnosticsToIssues = (diagnostics: ReadonlyArray<Diagnostic>): ReadonlyArray<DecodeIssue> =>
  diagnostics.filter((d) => d.severity === "error").map((d) => ({ path: diagnosticPath(d), message: d.message }));

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


const nodeChange = (node: SpecNode): NodeChange => ({
  id: node.id,
  name: node.label ? `${KIND_NAMES[node.kind]} "${node.label}"` : `${KIND_NAMES[node.kind]} ${node.id}`,
});

/** What changed from `before` (null: nothing was published) to `after`, node by node. Pure. */
export const summarizeChanges = (before: FlowSpec | null, after: FlowSpec): ChangeSummary => {
  const previous = new Map((before?.nodes ?? []).map((n) => [n.id, n] as const));
  const current = new Set(after.nodes.map((n) => n.id));
  const added: NodeChange[] = [];
  const changed: NodeChange[] = [];
  for (const node of after.nodes) {
    const old = previous.get(node.id);
    if (!old) added.push(nodeChange(node));
    else if (canonicalJson({ ...old, id: undefined }) !== canonicalJson({ ...node, id: undefined })) changed.push(nodeChange(node));
  }
  const removed = (before?.nodes ?? []).filter((n) => !current.has(n.id)).map(nodeChange);
  const flow: string[] = [];
  if (before) {
    if (before.name !== after.name) flow.push("name");
    if (before.kind !== after.kind) flow.push("kind");
    if (before.language !== after.language) flow.push("language");
    if (before.startNodeId !== after.startNodeId) flow.push("start");
    if (canonicalJson(before.variables) !== canonicalJson(after.variables)) flow.push("variables");
    if (canonicalJson(before.settings) !== canonicalJson(after.settings)) flow.push("settings");
  }
  return { added, removed, changed, flow };
};

/** A chatflow name as people type it: trimmed, 1–200 characters. Pure. */
export const checkChatflowName = (name: unknown): Either.Either<string, InvalidInput> => {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed.length === 0) return Either.left(new InvalidInput({ issues: [{ path: "name", message: "a name is required" }] }));
  if (trimmed.length > 200) {
    return Either.left(new InvalidInput({ issues: [{ path: "name", message: "a name is at most 200 characters" }] }));
  }
  return Either.right(trimmed);
};

/** `document` (a draft as saved: any JSON) with `patch` applied when it is an object; as is otherwise. Pure. */
const patchDraft = (document: unknown, patch: Record<string, unknown>): unknown =>
  document !== null && typeof document === "object" && !Array.isArray(document) ? { ...(document as object), ...patch } : document;

/** Most flow names an order's audit line lists (the first ones, which win); `more` counts the rest. */
const AUDIT_ORDER_NAMES = 50;

/** A new order as its audit line keeps it: the flows' names as they are now, first wins. Pure. */
const auditOrder = (names: ReadonlyArray<string>): Record<string, unknown> =>
  names.length > AUDIT_ORDER_NAMES ? { order: names.slice(0, AUDIT_ORDER_NAMES), more: names.length - AUDIT_ORDER_NAMES } : { order: names };

/** Priorities handed out by `reorder`: 10, 20, 30 … (room to slot one in by hand), within the schema's 0–10,000. Pure. */
export const priorityForPosition = (index: number, count: number): number =>
  count * 10 <= 10_000 ? (index + 1) * 10 : Math.min(index + 1, 10_000);

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

/** The flow list's rows (not archived) with their live version number and channel name; callers add the order. */
const LISTED_SELECT = `SELECT ${COLUMNS.split(", ").map((c) => `c.${c}`).join(", ")}, v.version AS published_version, ch.name AS channel_name
  FROM chatflows c
  LEFT JOIN chatflow_versions v ON v.id = c.published_version_id
  LEFT JOIN channels ch ON ch.id = c.channel_id
  WHERE c.archived_at IS NULL`;
type ListedRow = RawChatflow & { published_version: number | null; channel_name: string | null };

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

/** Contact properties a workspace defines: the `contact_properties` setting (a JSON list of names). Its home is the Contacts service. */
export { CONTACT_PROPERTIES_SETTING } from "./contacts.js";

/** The flow list's page query, as it comes from a query string. */
const PageInput = S.Struct({ limit: S.optional(ListLimit), cursor: S.optional(S.String) });

const MAX_CACHED_VERSIONS = 2_000;
/** Versions `versionHistory` lists (the newest). */
const MAX_HISTORY = 100;

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
    const lists = db.prepare("SELECT id, name FROM contact_lists ORDER BY name COLLATE NOCASE, id").all() as Array<{ id: string; name: string }>;
    const labels = db.prepare("SELECT id, name FROM labels ORDER BY name COLLATE NOCASE, id").all() as Array<{ id: string; name: string }>;
    return { teams, users, contactProperties: knownContactProperties(db.prepare), lists, labels };
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

  /** Compiles the draft and writes it as the live version; `{ stale }` when the draft is no longer at `expectedRevision`. */
  const publishNow = (id: string, userId: string | undefined, expectedRevision: number | undefined) =>
    Effect.gen(function* () {
      const { spec, contentHash } = yield* compileDraftNow(id);
      const specText = JSON.stringify(spec);
      const now = wallClock.now();
      const summary = JSON.stringify({ name: spec.name, kind: spec.kind, nodes: spec.nodes.length });
      const priority = spec.settings.priority;
      const audit = yield* auditActor;
      const published = (s: Sqlite, version: number, versionId: string, unchanged: boolean) =>
        recordAudit(s, now, audit, { action: "flow.published", target: { type: "flow", id, label: spec.name }, data: { version, versionId, contentHash, unchanged } });
      return yield* write((s) => {
        // The revision check repeats inside the write: a save may have committed since it was read.
        const revision = (s.prepare("SELECT draft_revision AS r FROM chatflows WHERE id = ?").get(id) as { r: number }).r;
        if (expectedRevision !== undefined && revision !== expectedRevision) return { stale: revision } as const;
        const latest = s
          .prepare("SELECT id, version, content_hash FROM chatflow_versions WHERE chatflow_id = ? ORDER BY version DESC LIMIT 1")
          .get(id) as { id: string; version: number; content_hash: string } | undefined;
        if (latest && latest.content_hash === contentHash) {
          // Publishing an unchanged draft adds no version: the live one already is this spec.
          s.prepare("UPDATE chatflows SET published_version_id = ?, priority = ?, updated_at = ? WHERE id = ?").run(latest.id, priority, now, id);
          published(s, latest.version, latest.id, true);
          return { versionId: latest.id, version: latest.version, contentHash, unchanged: true };
        }
        const versionId = newId("ver");
        const version = (latest?.version ?? 0) + 1;
        s.prepare(
          `INSERT INTO chatflow_versions (id, chatflow_id, version, spec, content_hash, summary, published_by, published_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(versionId, id, version, specText, contentHash, summary, userId ?? null, now);
        s.prepare("UPDATE chatflows SET published_version_id = ?, priority = ?, updated_at = ? WHERE id = ?").run(versionId, priority, now, id);
        published(s, version, versionId, false);
        return { versionId, version, contentHash, unchanged: false };
      });
    });

  return {
    create: Effect.fn("Chatflows.create")(function* (input) {
      if (input.channelId !== undefined && !channelExists(input.channelId)) {
        return yield* Effect.fail(new NotFound({ entity: "channel", id: input.channelId }));
      }
      const id = input.id ?? newId("flow");
      const document: unknown = input.document ?? starterDocument(id, input.name, input.kind);
      const decoded = decodeFlowDocument(document);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const now = wallClock.now();
      const priority = priorityOf(decoded.right.settings, 100);
      const audit = yield* auditActor;
      yield* write((s) => {
        s.prepare(
          `INSERT INTO chatflows (id, name, kind, channel_id, enabled, priority, draft, draft_revision, created_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?)`,
        ).run(id, input.name, input.kind, input.channelId ?? null, priority, JSON.stringify(document), input.createdBy ?? null, now, now);
        recordAudit(s, now, audit, { action: "flow.created", target: { type: "flow", id, label: input.name }, data: { kind: input.kind } });
      });
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
      const now = wallClock.now();
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
      const published = yield* publishNow(id, userId, undefined);
      // Without an expected revision nothing can be stale.
      if (published.stale !== undefined) return yield* Effect.die(new Error("publish without a revision found a stale one"));
      return published;
    }),

    publishRevision: Effect.fn("Chatflows.publishRevision")(function* (id: string, revision: number, userId?: string) {
      const stale = (current: number) =>
        new Conflict({
          message: `the draft is at revision ${current}, not ${revision}: it was changed elsewhere; reload before publishing`,
          current: { revision: current },
        });
      // A stale revision is a conflict before anything else: what the person saw is not what would be published.
      const row = yield* mustRow(id);
      if (row.draft_revision !== revision) return yield* Effect.fail(stale(row.draft_revision));
      const published = yield* publishNow(id, userId, revision);
      if (published.stale !== undefined) return yield* Effect.fail(stale(published.stale));
      return published;
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

    teamCalendars: Effect.fn("Chatflows.teamCalendars")(function* () {
      const rows = db.prepare("SELECT id, name, hours FROM teams ORDER BY name COLLATE NOCASE, id").all() as Array<{ id: string; name: string; hours: string | null }>;
      const workspace = readBusinessHours(db.prepare);
      return rows.map((row): TeamCalendar => {
        const hours = decodeTeamHours(row.hours);
        return { teamId: row.id, name: row.name, source: hours.source, schedule: teamAvailability(hours, workspace) };
      });
    }),

    setEnabled: Effect.fn("Chatflows.setEnabled")(function* (id: string, enabled: boolean) {
      const row = yield* mustRow(id);
      const audit = yield* auditActor;
      yield* write((s) => {
        const now = wallClock.now();
        const changed = s.prepare("UPDATE chatflows SET enabled = ?, updated_at = ? WHERE id = ? AND enabled <> ?").run(enabled ? 1 : 0, now, id, enabled ? 1 : 0).changes;
        if (changed > 0) recordAudit(s, now, audit, { action: enabled ? "flow.enabled" : "flow.disabled", target: { type: "flow", id, label: row.name } });
      });
      return toRow(readRow(id)!);
    }),

    setChannel: Effect.fn("Chatflows.setChannel")(function* (id: string, channelId: string | null) {
      const row = yield* mustRow(id);
      if (channelId !== null && !channelExists(channelId)) {
        return yield* Effect.fail(new NotFound({ entity: "channel", id: channelId }));
      }
      const audit = yield* auditActor;
      yield* write((s) => {
        const now = wallClock.now();
        s.prepare("UPDATE chatflows SET channel_id = ?, updated_at = ? WHERE id = ?").run(channelId, now, id);
        if (row.channel_id !== channelId) {
          recordAudit(s, now, audit, { action: "flow.channel_changed", target: { type: "flow", id, label: row.name }, data: { from: row.channel_id, to: channelId } });
        }
      });
      return toRow(readRow(id)!);
    }),

    archive: Effect.fn("Chatflows.archive")(function* (id: string) {
      const row = yield* mustRow(id);
      const now = wallClock.now();
      const audit = yield* auditActor;
      yield* write((s) => {
        s.prepare("UPDATE chatflows SET archived_at = COALESCE(archived_at, ?), enabled = 0, updated_at = ? WHERE id = ?").run(now, now, id);
        if (row.archived_at === null) recordAudit(s, now, audit, { action: "flow.archived", target: { type: "flow", id, label: row.name } });
      });
      return toRow(readRow(id)!);
    }),

    overview: Effect.fn("Chatflows.overview")(function* () {
      const rows = db.prepare(`${LISTED_SELECT} ORDER BY c.priority, c.created_at, c.id`).all() as ListedRow[];
      // One grouped scan rather than a count per flow: conversations has no index on chatflow_id.
      const counts = new Map(
        (
          db
            .prepare(
              "SELECT chatflow_id AS id, COUNT(*) AS n FROM conversations WHERE is_preview = 0 AND chatflow_id IS NOT NULL GROUP BY chatflow_id",
            )
            .all() as Array<{ id: string; n: number }>
        ).map((r) => [r.id, r.n] as const),
      );
      return rows.map((r) => ({
        chatflow: toRow(r),
        publishedVersion: r.published_version,
        channelName: r.channel_name,
        conversations: counts.get(r.id) ?? 0,
      }));
    }),

    page: Effect.fn("Chatflows.page")(function* (input: { readonly limit?: string; readonly cursor?: string }) {
      const filter = yield* decodeInput(PageInput, input);
      const limit = filter.limit ?? 50;
      let after: [number, number, string] | undefined;
      if (filter.cursor !== undefined && filter.cursor !== "") {
        // The list's order has two keys before the id: the cursor's key holds both, `priority:createdAt`.
        const cursor = decodeCursor(filter.cursor);
        const keys = typeof cursor?.key === "string" ? /^(\d+):(\d+)$/.exec(cursor.key) : null;
        if (!cursor || !keys) return yield* Effect.fail(new InvalidInput({ issues: [{ path: "cursor", message: "this cursor is not one the list gave out" }] }));
        after = [Number(keys[1]), Number(keys[2]), cursor.id];
      }
      const rows = db
        .prepare(`${LISTED_SELECT} ${after ? "AND (c.priority, c.created_at, c.id) > (?, ?, ?)" : ""} ORDER BY c.priority, c.created_at, c.id LIMIT ?`)
        .all(...(after ?? []), limit + 1) as ListedRow[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        flows: page.map((r) => ({ chatflow: toRow(r), publishedVersion: r.published_version, channelName: r.channel_name })),
        nextCursor: rows.length > limit && last ? encodeCursor(`${last.priority}:${last.created_at}`, last.id) : null,
      };
    }),

    rename: Effect.fn("Chatflows.rename")(function* (id: string, name: string) {
      const checked = checkChatflowName(name);
      if (Either.isLeft(checked)) return yield* Effect.fail(checked.left);
      const row = yield* mustRow(id);
      const draft = JSON.stringify(patchDraft(readDraft(row), { name: checked.right }));
      const audit = yield* auditActor;
      yield* write((s) => {
        const now = wallClock.now();
        s.prepare("UPDATE chatflows SET name = ?, draft = ?, draft_revision = draft_revision + 1, updated_at = ? WHERE id = ?").run(checked.right, draft, now, id);
        if (row.name !== checked.right) recordAudit(s, now, audit, { action: "flow.renamed", target: { type: "flow", id, label: checked.right }, data: { from: row.name } });
      });
      return toRow(readRow(id)!);
    }),

    duplicate: Effect.fn("Chatflows.duplicate")(function* (id: string, input?: { readonly name?: string; readonly createdBy?: string }) {
      const row = yield* mustRow(id);
      const checked = checkChatflowName(input?.name ?? `Copy of ${row.name}`.slice(0, 200));
      if (Either.isLeft(checked)) return yield* Effect.fail(checked.left);
      const copyId = newId("flow");
      const documentId = copyId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
      const draft = JSON.stringify(patchDraft(readDraft(row), { id: documentId, name: checked.right }));
      const now = wallClock.now();
      const audit = yield* auditActor;
      yield* write((s) => {
        s.prepare(
          `INSERT INTO chatflows (id, name, kind, channel_id, enabled, priority, draft, draft_revision, created_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?)`,
        ).run(copyId, checked.right, row.kind, row.channel_id, row.priority, draft, input?.createdBy ?? null, now, now);
        recordAudit(s, now, audit, { action: "flow.created", target: { type: "flow", id: copyId, label: checked.right }, data: { kind: row.kind, copyOf: id } });
      });
      return toRow(readRow(copyId)!);
    }),

    remove: Effect.fn("Chatflows.remove")(function* (id: string) {
      const row = yield* mustRow(id);
      const now = wallClock.now();
      const audit = yield* auditActor;
      const target = { type: "flow", id, label: row.name };
      const outcome = yield* write((s): "deleted" | "archived" => {
        const visitors = s.prepare("SELECT 1 FROM conversations WHERE chatflow_id = ? AND is_preview = 0 LIMIT 1").get(id);
        if (visitors === undefined) {
          try {
            // Nested: a savepoint inside the group transaction, so a refusal below undoes only this.
            s.transaction(() => {
              const previews = "SELECT id FROM conversations WHERE chatflow_id = ? AND is_preview = 1";
              s.prepare(`DELETE FROM messages WHERE conversation_id IN (${previews})`).run(id);
              s.prepare(`DELETE FROM tickets WHERE conversation_id IN (${previews})`).run(id);
              s.prepare("DELETE FROM conversations WHERE chatflow_id = ? AND is_preview = 1").run(id);
              s.prepare("DELETE FROM chatflow_versions WHERE chatflow_id = ?").run(id);
              s.prepare("DELETE FROM chatflows WHERE id = ?").run(id);
              recordAudit(s, now, audit, { action: "flow.deleted", target });
            })();
            return "deleted";
          } catch (error) {
            // Something added later still points at the flow or its previews: keep it, archived.
            if (!(error instanceof Error && /FOREIGN KEY/i.test(error.message))) throw error;
          }
        }
        s.prepare("UPDATE chatflows SET archived_at = COALESCE(archived_at, ?), enabled = 0, updated_at = ? WHERE id = ?").run(now, now, id);
        // Asked to delete, kept archived (conversations point at it): the line says both.
        recordAudit(s, now, audit, { action: "flow.deleted", target, data: { kept: "archived", reason: "conversations started on it" } });
        return "archived";
      });
      if (outcome === "deleted") {
        for (const [key, version] of versions) if (version.chatflowId === id) versions.delete(key);
      }
      return { outcome };
    }),

    reorder: Effect.fn("Chatflows.reorder")(function* (ids: ReadonlyArray<string>, moved?: string) {
      const audit = yield* auditActor;
      const done = yield* write((s) => {
        // In the list's order, so the audit line's places are the ones the list showed.
        const rows = s.prepare("SELECT id, name, priority, draft FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id").all() as Array<{
          id: string;
          name: string;
          priority: number;
          draft: string;
        }>;
        const byId = new Map(rows.map((r) => [r.id, r] as const));
        if (ids.length !== rows.length || new Set(ids).size !== ids.length || ids.some((id) => !byId.has(id))) return false;
        const now = wallClock.now();
        const change = orderChange(rows.map((r) => r.id), ids, moved);
        if (change.kind === "moved") {
          recordAudit(s, now, audit, {
            action: "flow.reordered",
            target: { type: "flow", id: change.id, label: byId.get(change.id)!.name },
            data: { fromPlace: change.from, toPlace: change.to },
          });
        } else if (change.kind === "reordered") {
          recordAudit(s, now, audit, { action: "flow.reordered", data: auditOrder(ids.map((id) => byId.get(id)!.name)) });
        }
        ids.forEach((id, i) => {
          const row = byId.get(id)!;
          const priority = priorityForPosition(i, ids.length);
          const draft: unknown = JSON.parse(row.draft);
          const draftIsObject = draft !== null && typeof draft === "object" && !Array.isArray(draft);
          const settings = draftIsObject ? (draft as { settings?: unknown }).settings : undefined;
          const settingsIsObject = settings !== null && typeof settings === "object" && !Array.isArray(settings);
          const draftPriority = settingsIsObject ? (settings as { priority?: unknown }).priority : undefined;
          // A new draft revision only where the draft's priority really changes (an open editor on it then sees a conflict).
          if (!draftIsObject || draftPriority === priority) {
            if (row.priority !== priority) s.prepare("UPDATE chatflows SET priority = ?, updated_at = ? WHERE id = ?").run(priority, now, id);
            return;
          }
          const nextSettings = settingsIsObject ? { ...(settings as object), priority } : { priority };
          s.prepare("UPDATE chatflows SET priority = ?, draft = ?, draft_revision = draft_revision + 1, updated_at = ? WHERE id = ?").run(
            priority,
            JSON.stringify(patchDraft(draft, { settings: nextSettings })),
            now,
            id,
          );
        });
        return true;
      });
      if (!done) {
        return yield* Effect.fail(new Conflict({ message: "the list of chatflows changed since it was loaded; reload it and try again" }));
      }
      const rows = db
        .prepare(`SELECT ${COLUMNS} FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id`)
        .all() as RawChatflow[];
      return rows.map(toRow);
    }),

    versionHistory: Effect.fn("Chatflows.versionHistory")(function* (id: string) {
      const row = yield* mustRow(id);
      const rows = db
        .prepare(
          `SELECT v.id, v.version, v.content_hash, v.published_by, v.published_at, COALESCE(u.display_name, u.name) AS published_by_name
           FROM chatflow_versions v LEFT JOIN users u ON u.id = v.published_by
           WHERE v.chatflow_id = ? ORDER BY v.version DESC LIMIT ?`,
        )
        // One more than shown: the oldest shown version is compared with the one before it.
        .all(id, MAX_HISTORY + 1) as Array<{
        id: string;
        version: number;
        content_hash: string;
        published_by: string | null;
        published_at: number;
        published_by_name: string | null;
      }>;
      const specs = rows.map((r) => loadVersion(r.id)?.spec ?? null);
      return rows.slice(0, MAX_HISTORY).map((r, i) => ({
        id: r.id,
        version: r.version,
        contentHash: r.content_hash,
        publishedBy: r.published_by,
        publishedAt: r.published_at,
        publishedByName: r.published_by_name,
        live: row.published_version_id === r.id,
        changes: specs[i] ? summarizeChanges(specs[i + 1] ?? null, specs[i]!) : { added: [], removed: [], changed: [], flow: [] },
      }));
    }),

    previewState: Effect.fn("Chatflows.previewState")(function* (chatflowId: string, conversationId: string) {
      const row = db
        .prepare("SELECT id, visitor_id, status, state FROM conversations WHERE id = ? AND chatflow_id = ? AND is_preview = 1")
        .get(conversationId, chatflowId) as
        | { id: string; visitor_id: string | null; status: PreviewState["status"]; state: string | null }
        | undefined;
      if (!row) return yield* Effect.fail(new NotFound({ entity: "preview conversation", id: conversationId }));
      const state = (row.state === null ? {} : JSON.parse(row.state)) as Record<string, unknown>;
      const record = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, never>) : {});
      const text = (v: unknown) => (typeof v === "string" ? v : null);
      return {
        conversationId: row.id,
        visitorId: row.visitor_id,
        status: row.status,
        phase: text(state.phase),
        nodeId: text(state.nodeId),
        variables: record(state.variables),
        contact: record(state.contact),
        endReason: text(state.endReason),
        error: text(state.error),
      };
    }),
  };
};

export const layer: Layer.Layer<Chatflows, never, Database> = Layer.effect(Chatflows, Effect.map(Database, makeChatflows));
