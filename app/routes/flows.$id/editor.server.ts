/**
 * The editor's server side: what the page loads, and the work behind its JSON resource
 * routes (draft autosave, publish, versions, preview), all through the Chatflows, Engine and
 * Visitors services. The routes stay one-line guards around these.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Effect, Either, Schema as S } from "effect";
import { decodeFlowDocument } from "../../../flows/compile.js";
import { ChannelDirectory, Chatflows, Engine, Reports, run, Visitors } from "../../runtime.server.js";
import { Conflict, InvalidInput, NotFound as NotFoundError } from "./errors.server.js";

/** Everything the editor page needs to open a flow. */
export const loadEditor = (context: AppLoadContext, id: string) =>
  run(
    context,
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      const row = yield* flows.get(id);
      if (row.archivedAt !== null) return yield* Effect.fail(new NotFoundError({ entity: "chatflow", id }));
      const draft = yield* flows.getDraft(id);
      const history = yield* flows.versionHistory(id);
      const context = yield* flows.compileContext();
      const channels = yield* (yield* ChannelDirectory).list();
      // The workspace's closed dates, offered to the Availability tab to copy in one click.
      const workspaceHours = yield* (yield* Reports).businessHours();
      // Every team's hours, for "Follow a team's hours" (its one-line summary, open now, check a moment).
      const teamCalendars = yield* flows.teamCalendars();
      const decoded = decodeFlowDocument(draft.document);
      const live = history.find((v) => v.live);
      return {
        flow: {
          id: row.id,
          name: row.name,
          kind: row.kind,
          enabled: row.enabled,
          channelName: channels.find((c) => c.id === row.channelId)?.name ?? null,
          publishedVersion: live?.version ?? null,
          publishedHash: live?.contentHash ?? null,
        },
        revision: draft.revision,
        document: Either.isRight(decoded) ? decoded.right : null,
        // A stored draft that no longer decodes (hand-edited database) is shown, not thrown.
        documentIssues: Either.isLeft(decoded) ? decoded.left : [],
        context,
        history,
        workspaceClosed: { timezone: workspaceHours.timezone, dates: workspaceHours.closed ?? [] },
        teamCalendars,
      };
    }),
  );

// ---------------------------------------------------------------------------------------------
// Autosave and publish

export const SaveDraftBody = S.Struct({
  baseRevision: S.Int.pipe(S.positive()),
  document: S.Unknown,
});

/** Saves a draft on top of `baseRevision`; a stale revision fails with Conflict (409), never overwrites. */
export const saveDraft = (id: string, body: typeof SaveDraftBody.Type) =>
  Effect.gen(function* () {
    const flows = yield* Chatflows;
    const saved = yield* flows.saveDraft(id, body.document, body.baseRevision);
    return { revision: saved.revision };
  });

export const PublishBody = S.Struct({ revision: S.Int.pipe(S.positive()) });

/**
 * Publishes the draft at exactly `revision` (what the person sees): Conflict when it moved on,
 * InvalidInput (with the compiler's errors) when it does not compile.
 */
export const publishDraft = (id: string, revision: number, userId: string) =>
  Effect.gen(function* () {
    const flows = yield* Chatflows;
    const published = yield* flows.publishRevision(id, revision, userId);
    const history = yield* flows.versionHistory(id);
    return { ...published, history };
  });

/** The version history (newest first) of a flow. */
export const versionHistory = (id: string) => Effect.flatMap(Chatflows, (flows) => flows.versionHistory(id));

/** The spec of one published version of this flow (for "Restore as draft"). */
export const versionSpec = (id: string, versionId: string) =>
  Effect.gen(function* () {
    const version = yield* (yield* Chatflows).getVersion(versionId);
    if (version.chatflowId !== id) return yield* Effect.fail(new NotFoundError({ entity: "chatflow version", id: versionId }));
    return { version: version.version, spec: version.spec };
  });

// ---------------------------------------------------------------------------------------------
// Preview

const Device = S.Literal("desktop", "tablet", "mobile");

export const PreviewBody = S.Union(
  S.Struct({
    intent: S.Literal("start"),
    pageUrl: S.optionalWith(S.String.pipe(S.maxLength(2000)), { default: () => "https://example.com/" }),
    device: S.optionalWith(Device, { default: () => "desktop" as const }),
    language: S.optionalWith(S.String.pipe(S.maxLength(35)), { default: () => "en" }),
  }),
  S.Struct({
    intent: S.Literal("message"),
    conversationId: S.String.pipe(S.minLength(1), S.maxLength(100)),
    visitorId: S.String.pipe(S.minLength(1), S.maxLength(100)),
    clientMessageId: S.String.pipe(S.minLength(1), S.maxLength(100)),
    text: S.optional(S.String.pipe(S.maxLength(4000))),
    choiceIds: S.optional(S.Array(S.String.pipe(S.maxLength(64))).pipe(S.maxItems(50))),
  }),
);
export type PreviewBody = typeof PreviewBody.Type;

/** Runs one preview request against the flow's DRAFT in the real engine (conversations flagged as previews). */
export const previewTurn = (id: string, body: PreviewBody) =>
  Effect.gen(function* () {
    const flows = yield* Chatflows;
    const engine = yield* Engine;
    if (body.intent === "start") {
      const row = yield* flows.get(id);
      const channels = yield* (yield* ChannelDirectory).list();
      const own = channels.find((c) => c.id === row.channelId && c.kind === "chat");
      const channel = own ?? channels.find((c) => c.kind === "chat");
      if (!channel) {
        return yield* Effect.fail(new Conflict({ message: "a preview runs on a chat channel, and this workspace has none yet (an admin adds one under Settings)" }));
      }
      const visitor = yield* (yield* Visitors).create({
        channelId: channel.id,
        userAgent: "Parley preview",
        device: body.device,
        languages: [body.language],
        pageUrl: body.pageUrl,
      });
      const view = yield* engine.startConversation({
        visitorId: visitor.visitorId,
        channelId: channel.id,
        chatflowId: id,
        pageUrl: body.pageUrl,
        preview: true,
      });
      const state = yield* flows.previewState(id, view.conversation.id);
      return { conversationId: view.conversation.id, visitorId: visitor.visitorId, messages: view.messages, awaiting: view.awaiting, status: view.conversation.status, state };
    }
    // Only a preview conversation of this very flow, by the visitor that started it, may be driven from here.
    const before = yield* flows.previewState(id, body.conversationId);
    if (before.visitorId !== body.visitorId) return yield* Effect.fail(new NotFoundError({ entity: "preview conversation", id: body.conversationId }));
    if ((body.text === undefined) === (body.choiceIds === undefined)) {
      return yield* Effect.fail(new InvalidInput({ issues: [{ path: "", message: "send either a text or a choice" }] }));
    }
    const reply = yield* engine.handleVisitorMessage({
      conversationId: body.conversationId,
      visitorId: body.visitorId,
      clientMessageId: body.clientMessageId,
      ...(body.text !== undefined ? { text: body.text } : {}),
      ...(body.choiceIds !== undefined ? { choiceIds: body.choiceIds } : {}),
    });
    const state = yield* flows.previewState(id, body.conversationId);
    return { conversationId: body.conversationId, visitorId: body.visitorId, ...reply, state };
  });

