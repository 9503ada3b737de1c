/**
 * BreachFollowUp: a support lead follows up answers that missed their response target, from the
 * breaches list (decision 045), without opening each conversation — on every conversation of the
 * selected answers: assign it to a person and/or a team, put a label on it, and/or leave an
 * internal comment saying by how much its answers missed and when (runtime/core/breach-follow-up.ts),
 * with the lead's own words (an @mention notifies, as in the thread).
 *
 * Nothing here writes on its own: the assignment is InboxBulk's (one group commit, the single
 * action's rules, events and live updates), the label Labels.addToConversation, the comment
 * Inbox.comment — so the events, live updates and webhooks are exactly theirs. The figures are
 * the list's own: the selected answers are judged again (Reports.breachesOf), never taken from the
 * form.
 *
 * Bad input — no answer selected, more than FOLLOW_UP_MAX, an answer that is not a breach now,
 * nothing to do, an unknown or disabled person, an unknown team or label, words without the
 * comment — is InvalidInput with its field path, and nothing is changed. After that, a
 * conversation the follow-up cannot touch is skipped with its reason and counted: gone (deleted
 * since), outside the lead's inboxes, closed, with a bot, or refused by the assignment (its version
 * moved, the person does not work in its inbox). "Already with that person" is no refusal: the
 * label and the comment still go on.
 *
 * "All N answers in this list" (`applyToList`) follows up every answer the list holds under the
 * page's filters, re-read here with those filters (Reports.breaches, every row) — never a list
 * the client sends — up to FOLLOW_UP_LIST_MAX answers; a longer list is refused whole at `all`.
 * The assignment then goes to the inbox's bulk action in batches of its BULK_MAX.
 */
import { createHash } from "node:crypto";
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { followUpComment } from "../core/breach-follow-up.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { MAX_TEXT_LENGTH } from "./engine.js";
import { Forbidden, InvalidInput } from "./errors.js";
import { newId } from "./ids.js";
import { conversationFor, decodeInput, worksInInboxes, type Actor } from "./inbox-access.js";
import { BULK_MAX, bulkFieldIssue, InboxBulk, type BulkSkipped, type BulkSkipReason, type InboxBulkShape } from "./inbox-bulk.js";
import { Inbox, readConversationSummary, type InboxShape } from "./inbox.js";
import { Labels, type LabelsShape } from "./labels.js";
import { Reports, type Breach, type BreachQuery, type ReportsShape } from "./reports.js";

/** Most answers one follow-up takes (the inbox's bulk limit). */
export const FOLLOW_UP_MAX = BULK_MAX;
/** Most answers "all answers in this list" takes; a longer list is refused (narrow the filters). */
export const FOLLOW_UP_LIST_MAX = 500;
/** The longest note a lead adds to the comment (the rest of the comment's text is the figures). */
export const FOLLOW_UP_NOTE_MAX = 2000;

const Id = (what: string) =>
  S.String.pipe(S.minLength(1, { message: () => `pick ${what}` }), S.maxLength(100, { message: () => `${what} is an id of at most 100 characters` }));

/** What a follow-up takes (outside input: decoded with every issue at its path). */
export const FollowUpInput = S.Struct({
  /** The selected answers: their reply event ids, as the list gives them. */
  breaches: S.Array(
    S.Number.pipe(S.int({ message: () => "an answer of the list (a whole number)" }), S.greaterThanOrEqualTo(1, { message: () => "an answer of the list (a whole number)" })),
  ).pipe(
    S.minItems(1, { message: () => "select at least one answer" }),
    S.maxItems(FOLLOW_UP_MAX, { message: () => `at most ${FOLLOW_UP_MAX} answers at once` }),
  ),
  /** Assign to this person. */
  userId: S.optional(Id("a person")),
  /** Assign to this team. */
  teamId: S.optional(Id("a team")),
  /** Put this label on. */
  labelId: S.optional(Id("a label")),
  /** Leave an internal comment with each conversation's figures. */
  comment: S.optional(S.Boolean),
  /** The lead's words after the figures (instead of "please follow up"). */
  note: S.optional(S.String.pipe(S.maxLength(FOLLOW_UP_NOTE_MAX, { message: () => `a note is at most ${FOLLOW_UP_NOTE_MAX.toLocaleString("en")} characters` }))),
  /** The same id again (a form posted twice) stores each comment once. */
  requestId: S.optional(
    S.String.pipe(S.pattern(/^[A-Za-z0-9_-]{8,40}$/, { message: () => "a request id is 8–40 letters, digits, - or _" })),
  ),
});
export type FollowUpInput = S.Schema.Type<typeof FollowUpInput>;
/** What "all answers in this list" takes: the same, without the answers (the list's filters choose them). */
export const FollowUpListInput = FollowUpInput.pipe(S.omit("breaches"));
type FollowUpSteps = S.Schema.Type<typeof FollowUpListInput>;

export type FollowUpSkipReason = BulkSkipReason | "closed";

export interface FollowUpSkipped extends Omit<BulkSkipped, "reason"> {
  readonly reason: FollowUpSkipReason;
}

export interface FollowedUp {
  readonly id: string;
  /** Who the conversation is with. */
  readonly title: string;
  /** Assigned as asked (false: it already was, or nobody was asked for). */
  readonly assigned: boolean;
  /** The label was put on (false: it was on already, or none was asked for). */
  readonly labelled: boolean;
  /** The comment's message id, when one was left. */
  readonly commentId: string | null;
}

export interface FollowUpOutcome {
  /** The conversations followed up, in the order their first answer was selected. */
  readonly followedUp: ReadonlyArray<FollowedUp>;
  /** The conversations left as they were, each with its reason. */
  readonly skipped: ReadonlyArray<FollowUpSkipped>;
}

export interface BreachFollowUpShape {
  /**
   * Follows up the conversations of the selected answers (assign, label, comment: each asked-for
   * step through the inbox's own single actions) and skips, with their reason, those it cannot
   * touch. InvalidInput (path and message; nothing changed) for bad input; Forbidden for a role
   * that does not work in inboxes.
   */
  readonly apply: (input: unknown, actor: Actor) => Effect.Effect<FollowUpOutcome, InvalidInput | Forbidden>;
  /**
   * The same for every answer of the breaches list under `query` (its range and filters; its
   * cursor and page size are ignored), read again here. InvalidInput at `all` when the list is
   * empty or holds more than FOLLOW_UP_LIST_MAX answers (nothing changed), else as `apply`.
   */
  readonly applyToList: (query: BreachQuery, input: unknown, actor: Actor) => Effect.Effect<FollowUpOutcome, InvalidInput | Forbidden>;
}

export class BreachFollowUp extends Context.Tag("BreachFollowUp")<BreachFollowUp, BreachFollowUpShape>() {}

const skip = (id: string, title: string | null, reason: FollowUpSkipReason, message: string): FollowUpSkipped => ({ id, title, reason, message });

/** A comment's client message id: the same request and conversation give the same id, so a re-post stores it once. Pure. */
const commentId = (requestId: string, conversationId: string): string =>
  `breach-follow-up:${requestId}:${createHash("sha256").update(conversationId).digest("base64url").slice(0, 32)}`;

/** The BreachFollowUp service over the store, the reports' judgement and the inbox's single and bulk actions (exported for tests). */
export const makeBreachFollowUp = (deps: {
  readonly db: DatabaseShape;
  readonly reports: ReportsShape;
  readonly bulk: InboxBulkShape;
  readonly inbox: InboxShape;
  readonly labels: LabelsShape;
}): BreachFollowUpShape => {
  const { db, reports, bulk, inbox, labels } = deps;
  const prepare = db.prepare;

  /** The input's issues beyond its shape, each at its path (every one at once). */
  const issuesOf = (input: FollowUpSteps): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
    const issues: Array<{ path: string; message: string }> = [];
    const note = input.note?.trim() ?? "";
    if (input.userId === undefined && input.teamId === undefined && input.labelId === undefined && input.comment !== true) {
      issues.push({ path: "action", message: "choose what to do: assign, add a label or leave a comment" });
    }
    if (note !== "" && input.comment !== true) issues.push({ path: "comment", message: "tick “Leave an internal comment” to post your note" });
    if (input.userId !== undefined || input.teamId !== undefined) {
      const assign = bulkFieldIssue(prepare, { action: "assign", userId: input.userId, teamId: input.teamId });
      if (assign !== null) issues.push(...assign.issues);
    }
    if (input.labelId !== undefined && prepare("SELECT 1 FROM labels WHERE id = ?").get(input.labelId) === undefined) {
      issues.push({ path: "labelId", message: "no such label" });
    }
    return issues;
  };

  const notInInboxes = (actor: Actor) => new Forbidden({ message: `Your role (${actor.role}) cannot open the inbox.` });

  const apply: BreachFollowUpShape["apply"] = Effect.fn("BreachFollowUp.apply")(function* (raw, actor) {
    if (!worksInInboxes(actor)) return yield* Effect.fail(notInInboxes(actor));
    const input = yield* decodeInput(FollowUpInput, raw);
    const issues = [...issuesOf(input)];
    // The figures are judged again, as the list judges them now: an answer that is not a breach (any longer) is refused by place.
    const judged = yield* reports.breachesOf([...new Set(input.breaches)]);
    const byEvent = new Map(judged.map((b) => [b.eventId, b]));
    input.breaches.forEach((eventId, at) => {
      if (!byEvent.has(eventId)) issues.push({ path: `breaches[${at}]`, message: "not an answer that missed its target now: reload the list" });
    });
    if (issues.length > 0) return yield* Effect.fail(new InvalidInput({ issues }));
    return yield* followUp(input, input.breaches.map((eventId) => byEvent.get(eventId)!), actor);
  });

  const applyToList: BreachFollowUpShape["applyToList"] = Effect.fn("BreachFollowUp.applyToList")(function* (query, raw, actor) {
    if (!worksInInboxes(actor)) return yield* Effect.fail(notInInboxes(actor));
    const input = yield* decodeInput(FollowUpListInput, raw);
    const issues = [...issuesOf(input)];
    // The list as the page shows it under these filters, every row, in its order (the page's cursor and size aside).
    const { cursor: _page, ...filters } = query;
    const list = yield* reports.breaches({ ...filters, limit: null });
    if (list.total === 0) issues.push({ path: "all", message: "this list holds no answers now: reload it" });
    if (list.total > FOLLOW_UP_LIST_MAX) {
      issues.push({
        path: "all",
        message: `this list holds ${list.total.toLocaleString("en")} answers; at most ${FOLLOW_UP_LIST_MAX} at once: narrow the filters (a shorter range, an inbox, an agent)`,
      });
    }
    if (issues.length > 0) return yield* Effect.fail(new InvalidInput({ issues }));
    return yield* followUp(input, list.breaches, actor);
  });

  /** Follows up the conversations of `breaches` (judged now, in the order chosen) with the input's steps. */
  const followUp = Effect.fn("BreachFollowUp.followUp")(function* (input: FollowUpSteps, breaches: ReadonlyArray<Breach>, actor: Actor) {
    // One follow-up per conversation, with all of its selected answers, in the order selected.
    const answersOf = new Map<string, Breach[]>();
    for (const breach of breaches) {
      const list = answersOf.get(breach.conversationId) ?? [];
      if (!list.some((b) => b.eventId === breach.eventId)) list.push(breach);
      answersOf.set(breach.conversationId, list);
    }

    const skipped: FollowUpSkipped[] = [];
    const ready: Array<{ readonly id: string; readonly title: string; readonly version: number }> = [];
    for (const id of answersOf.keys()) {
      const access = yield* Effect.either(conversationFor(prepare, actor, id));
      if (Either.isLeft(access)) {
        skipped.push(access.left._tag === "NotFound" ? skip(id, null, "not_found", "no longer exists") : skip(id, null, "forbidden", "not in your inboxes"));
        continue;
      }
      const summary = readConversationSummary(prepare, actor.id, id)!;
      if (summary.status === "closed") skipped.push(skip(id, summary.title, "closed", "closed"));
      else if (summary.status === "bot") skipped.push(skip(id, summary.title, "bot", "with a bot"));
      else ready.push({ id, title: summary.title, version: summary.version });
    }

    // The assignment first: the inbox's bulk action (in batches of its limit), on the versions just
    // read. A conversation it refuses (moved in between, the person not in its inbox) gets nothing else.
    const assigned = new Set<string>();
    let going = ready;
    if (ready.length > 0 && (input.userId !== undefined || input.teamId !== undefined)) {
      const refused = new Map<string, BulkSkipped>();
      for (let at = 0; at < ready.length; at += BULK_MAX) {
        const outcome = yield* bulk.apply(
          {
            action: "assign",
            conversations: ready.slice(at, at + BULK_MAX).map(({ id, version }) => ({ id, version })),
            ...(input.userId !== undefined ? { userId: input.userId } : {}),
            ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
          },
          actor,
        );
        for (const a of outcome.applied) assigned.add(a.id);
        for (const s of outcome.skipped) if (s.reason !== "not_applicable") refused.set(s.id, s);
      }
      skipped.push(...refused.values());
      going = ready.filter((c) => !refused.has(c.id));
    }

    const timeZone = input.comment === true ? yield* reports.timezone() : "UTC";
    const now = wallClock.now();
    const requestId = input.requestId ?? newId("fu");
    // Label and comment side by side: their writes share one group commit. A conversation that
    // went away between the steps is skipped with the step's reason.
    const results = yield* Effect.forEach(
      going,
      (c) =>
        Effect.gen(function* () {
          const labelled =
            input.labelId === undefined ? false : (yield* labels.addToConversation(actor, c.id, { labelId: input.labelId })).changed;
          const comment =
            input.comment === true
              ? yield* inbox.comment(
                  {
                    conversationId: c.id,
                    text: followUpComment(answersOf.get(c.id)!, input.note ?? "", timeZone, now).slice(0, MAX_TEXT_LENGTH),
                    clientMessageId: commentId(requestId, c.id),
                  },
                  actor,
                )
              : null;
          return { id: c.id, title: c.title, assigned: assigned.has(c.id), labelled, commentId: comment?.message.id ?? null } satisfies FollowedUp;
        }).pipe(
          Effect.catchTags({
            NotFound: (e) => Effect.succeed(skip(c.id, c.title, "not_found", e.entity === "label" ? "the label was deleted" : "no longer exists")),
            Forbidden: () => Effect.succeed(skip(c.id, null, "forbidden", "not in your inboxes")),
            Conflict: (e) => Effect.succeed(skip(c.id, c.title, "not_applicable", e.message)),
            InvalidInput: (e) => Effect.succeed(skip(c.id, c.title, "not_allowed", e.issues[0]?.message ?? "not allowed")),
          }),
        ),
      { concurrency: "unbounded" },
    );
    const followedUp = results.filter((r): r is FollowedUp => !("reason" in r));
    skipped.push(...results.filter((r): r is FollowUpSkipped => "reason" in r));
    // In the order the conversations were selected.
    const order = [...answersOf.keys()];
    skipped.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    return { followedUp, skipped } satisfies FollowUpOutcome;
  });

  return { apply, applyToList };
};

export const layer: Layer.Layer<BreachFollowUp, never, Database | Reports | InboxBulk | Inbox | Labels> = Layer.effect(
  BreachFollowUp,
  Effect.gen(function* () {
    return makeBreachFollowUp({ db: yield* Database, reports: yield* Reports, bulk: yield* InboxBulk, inbox: yield* Inbox, labels: yield* Labels });
  }),
);
