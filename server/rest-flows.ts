/**
 * Flows as code over the REST API (/api/v1/flows…): list the chatflows, read one with its draft
 * and its published spec, read the version history, replace a draft from a file kept in git,
 * publish a revision, import a new flow; and the flow list's own actions: turn a flow on or off,
 * rename it, move it in the priority order, delete it. For admins and marketers, like the
 * builder (/flows).
 *
 * Every rule is the builder's, through the same code: a flow file is read by flows/flow-file.ts
 * (the builder's import: a canvas document or a flow spec), a draft is saved by
 * `Chatflows.saveDraft` (the schema, then the static checks, whose findings come back as
 * diagnostics as the canvas shows them; the revision check), published by
 * `Chatflows.publishRevision` (refused with the checks' errors, or a stale revision) and created
 * by `Chatflows.create`; the flow list's actions call what its page calls (`setEnabled`, `rename`,
 * `reorder` after flows/flow-order.ts's move, `remove`, which archives a flow that had visitor
 * conversations instead of deleting it). Mounted by server/rest-api.ts; contract in docs/api.md.
 */
import { Effect, Either, Schema as S } from "effect";
import type { IncomingMessage } from "node:http";
import type { DecodeIssue } from "../flows/decode.js";
import type { Diagnostic } from "../flows/diagnostics.js";
import type { FlowDocument } from "../flows/flow-document.js";
import { asNewDraft, decodeFlowFile, MAX_FLOW_FILE_BYTES } from "../flows/flow-file.js";
import { dropBefore, moveId } from "../flows/flow-order.js";
import type { ChannelDirectoryShape } from "../runtime/services/channel-directory.js";
import { checkChatflowName, diagnosticPath, type ChatflowRow, type ChatflowsShape } from "../runtime/services/chatflows.js";
import { InvalidInput, NotFound } from "../runtime/services/errors.js";
import { newId } from "../runtime/services/ids.js";
import { bodyDecoder } from "./http-util.js";
import { iso, jsonBody, ok, guardedBy, type Endpoints, type Serve } from "./rest-kit.js";

export interface FlowServices {
  readonly chatflows: ChatflowsShape;
  readonly channels: ChannelDirectoryShape;
}

/** A draft or import body: a flow file (up to the builder's import limit) and a little JSON around it. */
const MAX_FLOW_BODY_BYTES = MAX_FLOW_FILE_BYTES + 64 * 1024;

const Revision = S.Number.pipe(
  S.int({ message: () => "a revision is a whole number from 1" }),
  S.greaterThanOrEqualTo(1, { message: () => "a revision is a whole number from 1" }),
);
const DraftBody = S.Struct({
  // Any JSON here: flows/flow-file.ts decodes it, with paths under `document`.
  document: S.Unknown,
  expectedRevision: S.optionalWith(Revision, { exact: true }),
});
const PublishBody = S.Struct({ revision: Revision });
const ImportBody = S.Struct({
  document: S.Unknown,
  name: S.optionalWith(S.String, { exact: true }),
  channelId: S.optionalWith(S.String.pipe(S.maxLength(100, { message: () => "a channel is a channel id" })), { exact: true }),
});

const FlowId = S.String.pipe(S.minLength(1), S.maxLength(100, { message: () => "a flow id is at most 100 characters" }));
/** The flow list's row actions that change the row: its name (the row and its draft's) and whether it is on. */
const PatchBody = S.Struct({
  // Checked (trimmed, 1–200) by the service's own `checkChatflowName`, before anything is written.
  name: S.optionalWith(S.String, { exact: true }),
  enabled: S.optionalWith(S.Boolean, { exact: true }),
}).pipe(S.filter((b) => (b.name === undefined && b.enabled === undefined ? "send `name` or `enabled` (or both)" : undefined)));
/** A move in the priority order: before another flow (null: last), or one place up or down — the flow list's drag and arrows. */
const MoveBody = S.Struct({
  before: S.optionalWith(S.NullOr(FlowId), { exact: true }),
  direction: S.optionalWith(
    S.Literal("up", "down").annotations({ message: () => ({ message: "expected up or down", override: true }) }),
    { exact: true },
  ),
}).pipe(
  S.filter((b) =>
    (b.before === undefined) === (b.direction === undefined) ? "send either `before` (a flow id, or null for last) or `direction` (up or down)" : undefined,
  ),
);

/** The whole priority order, first wins: exactly the flows the list has (else 409), as the flow list's page stores it. */
const OrderBody = S.Struct({ flows: S.Array(FlowId).pipe(S.maxItems(10_000)) });
/** An order names every flow: more than the other bodies' 16 KB once a workspace has a few hundred. */
const MAX_ORDER_BODY_BYTES = 512 * 1024;

const decodeDraft = bodyDecoder(DraftBody);
const decodePublish = bodyDecoder(PublishBody);
const decodeImport = bodyDecoder(ImportBody);
const decodePatch = bodyDecoder(PatchBody);
const decodeMove = bodyDecoder(MoveBody);
const decodeOrder = bodyDecoder(OrderBody);

/** The `document` of a body as a FlowDocument, every problem's path under `document`. */
const flowFile = (value: unknown): Effect.Effect<FlowDocument, InvalidInput> => {
  // `S.Unknown` lets a missing key through as undefined: name it before decoding it.
  if (value === undefined) return Effect.fail(new InvalidInput({ issues: [{ path: "document", message: "send the flow as `document`: a canvas document or a flow spec" }] }));
  return Either.match(decodeFlowFile(value), {
    onLeft: (issues) => Effect.fail(new InvalidInput({ issues: issues.map(underDocument) })),
    onRight: Effect.succeed,
  });
};

const underDocument = (issue: DecodeIssue): DecodeIssue => ({ ...issue, path: issue.path ? `document.${issue.path}` : "document" });

// ---------------------------------------------------------------------------------------------
// Answers

interface FlowFacts {
  readonly publishedVersion: number | null;
  readonly channelName: string | null;
}

const apiFlow = (row: ChatflowRow, facts: FlowFacts) => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  channel: row.channelId === null ? null : { id: row.channelId, name: facts.channelName },
  enabled: row.enabled,
  priority: row.priority,
  publishedVersion: facts.publishedVersion,
  draftRevision: row.draftRevision,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

/** The priority order after a move: every flow the list has, first wins. */
const apiOrder = (rows: ReadonlyArray<ChatflowRow>) => ok({ flows: rows.map((r) => ({ id: r.id, name: r.name, priority: r.priority })) });

const apiDiagnostic = (d: Diagnostic) => ({ severity: d.severity, code: d.code, path: diagnosticPath(d), message: d.message });

/** Builds the /flows endpoints of one request (`path` after `flows`: [id, part, version]). */
export const flowEndpoints = (s: FlowServices, req: IncomingMessage, query: URLSearchParams, path: ReadonlyArray<string | undefined>): Endpoints => {
  const [id, part, version] = path;
  /** A chatflow the builder lists: an archived one is gone from the builder, and from here. */
  const flowRow = (flowId: string) =>
    Effect.flatMap(s.chatflows.get(flowId), (row) => (row.archivedAt === null ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "chatflow", id: flowId }))));

  const factsOf = (row: ChatflowRow) =>
    Effect.gen(function* () {
      const published = row.publishedVersionId === null ? null : yield* s.chatflows.getVersion(row.publishedVersionId);
      const channels = row.channelId === null ? [] : yield* s.channels.list();
      return { published, facts: { publishedVersion: published?.version ?? null, channelName: channels.find((c) => c.id === row.channelId)?.name ?? null } };
    });

  const list: Serve = () =>
    Effect.map(
      s.chatflows.page({
        ...(query.get("limit") ? { limit: query.get("limit")! } : {}),
        ...(query.get("cursor") ? { cursor: query.get("cursor")! } : {}),
      }),
      (page) => ok({ flows: page.flows.map((f) => apiFlow(f.chatflow, f)), nextCursor: page.nextCursor }),
    );

  const getFlow = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      const row = yield* flowRow(flowId);
      const draft = yield* s.chatflows.getDraft(flowId);
      const { published, facts } = yield* factsOf(row);
      return ok({
        flow: apiFlow(row, facts),
        draft: { revision: draft.revision, document: draft.document },
        published: published === null ? null : { version: published.version, contentHash: published.contentHash, spec: published.spec },
      });
    });

  const versions = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      yield* flowRow(flowId);
      const history = yield* s.chatflows.versionHistory(flowId);
      return ok({
        versions: history.map((v) => ({
          version: v.version,
          contentHash: v.contentHash,
          live: v.live,
          publishedAt: iso(v.publishedAt),
          publishedBy: v.publishedBy === null ? null : { id: v.publishedBy, name: v.publishedByName },
          changes: v.changes,
        })),
      });
    });

  const oneVersion = (flowId: string, number: string): Serve => () =>
    Effect.gen(function* () {
      const row = yield* flowRow(flowId);
      const wanted = /^[1-9][0-9]{0,8}$/.test(number) ? Number(number) : undefined;
      const summary = (yield* s.chatflows.listVersions(flowId)).find((v) => v.version === wanted);
      if (!summary) return yield* Effect.fail(new NotFound({ entity: `version of chatflow ${flowId}`, id: number }));
      const spec = yield* s.chatflows.getVersion(summary.id);
      return ok({
        version: {
          version: summary.version,
          contentHash: summary.contentHash,
          live: row.publishedVersionId === summary.id,
          publishedAt: iso(summary.publishedAt),
          spec: spec.spec,
        },
      });
    });

  const saveDraft = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      // An unknown flow is 404 whatever was sent.
      yield* flowRow(flowId);
      const input = yield* jsonBody(req, decodeDraft, MAX_FLOW_BODY_BYTES);
      // Kept as sent, id included, as the builder's autosave keeps it: an exported draft pushed back is the same spec.
      const document = yield* flowFile(input.document);
      // Without `expectedRevision`, on top of whatever the draft is now (the builder's autosave always sends its base).
      const base = input.expectedRevision ?? (yield* s.chatflows.getDraft(flowId)).revision;
      const saved = yield* Effect.catchTag(s.chatflows.saveDraft(flowId, document, base), "InvalidInput", (e) =>
        Effect.fail(new InvalidInput({ issues: e.issues.map(underDocument) })),
      );
      const row = yield* flowRow(flowId);
      const { facts } = yield* factsOf(row);
      return ok({ flow: apiFlow(row, facts), revision: saved.revision, diagnostics: saved.diagnostics.map(apiDiagnostic) });
    });

  const publish = (flowId: string): Serve => (actor) =>
    Effect.gen(function* () {
      yield* flowRow(flowId);
      const input = yield* jsonBody(req, decodePublish);
      const published = yield* s.chatflows.publishRevision(flowId, input.revision, actor.id);
      const row = yield* flowRow(flowId);
      const { facts } = yield* factsOf(row);
      return ok({ flow: apiFlow(row, facts), version: published.version, contentHash: published.contentHash, unchanged: published.unchanged });
    });

  const create: Serve = (actor) =>
    Effect.gen(function* () {
      const input = yield* jsonBody(req, decodeImport, MAX_FLOW_BODY_BYTES);
      const name = input.name === undefined ? undefined : yield* checkChatflowName(input.name);
      const decoded = yield* flowFile(input.document);
      const flowId = newId("flow");
      const document = asNewDraft(decoded, flowId, name);
      const created = yield* s.chatflows
        .create({
          id: flowId,
          name: document.name,
          kind: document.kind,
          document,
          createdBy: actor.id,
          ...(input.channelId !== undefined ? { channelId: input.channelId } : {}),
        })
        .pipe(
          Effect.catchTags({
            // The only thing `create` looks up is the channel: a field of this body, so a 400 naming it.
            NotFound: (e) => Effect.fail(new InvalidInput({ issues: [{ path: "channelId", message: `${e.entity} ${e.id} was not found` }] })),
            InvalidInput: (e) => Effect.fail(new InvalidInput({ issues: e.issues.map(underDocument) })),
          }),
        );
      const { facts } = yield* factsOf(created);
      return ok({ flow: apiFlow(created, facts), revision: created.draftRevision }, 201);
    });

  const update = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      yield* flowRow(flowId);
      const input = yield* jsonBody(req, decodePatch);
      // Both checked before either is written: a bad name turns nothing on or off.
      const name = input.name === undefined ? undefined : yield* checkChatflowName(input.name);
      if (name !== undefined) yield* s.chatflows.rename(flowId, name);
      if (input.enabled !== undefined) yield* s.chatflows.setEnabled(flowId, input.enabled);
      const row = yield* flowRow(flowId);
      const { facts } = yield* factsOf(row);
      return ok({ flow: apiFlow(row, facts) });
    });

  const move = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      yield* flowRow(flowId);
      const input = yield* jsonBody(req, decodeMove);
      const ids = (yield* s.chatflows.list()).map((r) => r.id);
      if (input.before !== undefined && input.before !== null && (input.before === flowId || !ids.includes(input.before))) {
        const message = input.before === flowId ? "a flow cannot move before itself" : `no flow ${input.before} in the list`;
        return yield* Effect.fail(new InvalidInput({ issues: [{ path: "before", message }] }));
      }
      const order = input.direction !== undefined ? moveId(ids, flowId, input.direction) : dropBefore(ids, flowId, input.before ?? null);
      // `reorder` takes exactly the list it has (else Conflict: a flow came or went meanwhile), as the page's move does.
      return apiOrder(yield* s.chatflows.reorder(order, flowId));
    });

  const setOrder: Serve = () =>
    Effect.map(
      Effect.flatMap(jsonBody(req, decodeOrder, MAX_ORDER_BODY_BYTES), (input) => s.chatflows.reorder(input.flows)),
      apiOrder,
    );

  const remove = (flowId: string): Serve => () =>
    Effect.gen(function* () {
      yield* flowRow(flowId);
      const removed = yield* s.chatflows.remove(flowId);
      return ok({ id: flowId, outcome: removed.outcome });
    });

  const endpoints: Endpoints = {};
  if (id === undefined) {
    endpoints.GET = list;
    endpoints.POST = create;
  } else if (id === "order" && part === undefined) {
    // Not a flow id: those are `flow_…`.
    endpoints.PUT = setOrder;
  } else if (part === undefined) {
    endpoints.GET = getFlow(id);
    endpoints.PATCH = update(id);
    endpoints.DELETE = remove(id);
  } else if (part === "draft" && version === undefined) {
    endpoints.PUT = saveDraft(id);
  } else if (part === "publish" && version === undefined) {
    endpoints.POST = publish(id);
  } else if (part === "move" && version === undefined) {
    endpoints.POST = move(id);
  } else if (part === "versions") {
    endpoints.GET = version === undefined ? versions(id) : oneVersion(id, version);
  }
  return guardedBy("flows", endpoints);
};
