/**
 * InboxBulk: one action on many conversations at once, from the inbox list — assign (to a
 * person, to a team, or unassign), close, reopen, mark pending, or snooze until a time — on up
 * to BULK_MAX conversations, each with the version the agent saw.
 *
 * The rules are the single action's own: every conversation goes through Inbox.close / reopen /
 * markPending / assign or Snoozes.snooze, which check access, the version and the status, write
 * the same events and publish the same live updates. Before that, a conversation the action
 * cannot change is skipped with its reason, and the others are applied:
 * - `not_found` / `forbidden`: gone, or outside the agent's inboxes;
 * - `bot`: a bot still holds it (a bulk action is for the team's own work; the bot view is
 *   there to watch, and the single thread keeps its Close);
 * - `not_applicable`: the action does not apply (closing a closed one, assigning to who holds it);
 * - `changed`: its version moved since the agent saw it;
 * - `not_allowed`: the chosen person cannot work in its inbox.
 * The single actions run side by side, so their writes join ONE group transaction (one fsync;
 * database.ts runs each in its own savepoint, so one that is refused rolls back alone).
 *
 * Bad input (no conversations, more than BULK_MAX, an unknown action, an unknown person or team,
 * a snooze time in the past) is InvalidInput with its field path, and nothing is changed.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { isValidTimezone } from "../../flows/availability.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, type InvalidInput } from "./errors.js";
import { conversationFor, decodeInput, invalid, worksInInboxes, type Actor, type Prepare } from "./inbox-access.js";
import { Inbox, readConversationSummary, statusRefusal, type ConversationStatus, type ConversationSummary, type InboxShape } from "./inbox.js";
import { userCanAccessInbox } from "./routing.js";
import { Snoozes, snoozeRefusal, snoozeUntilIssue, type SnoozesShape } from "./snoozes.js";

/** Most conversations one bulk action takes. */
export const BULK_MAX = 100;

export const bulkActions = ["assign", "close", "reopen", "mark-pending", "snooze"] as const;
export type BulkAction = (typeof bulkActions)[number];

const ConversationRef = S.Struct({
  id: S.String.pipe(
    S.minLength(1, { message: () => "a conversation id" }),
    S.maxLength(100, { message: () => "a conversation id is at most 100 characters" }),
  ),
  version: S.Number.pipe(S.int({ message: () => "the conversation's version is a whole number from 1" }), S.greaterThanOrEqualTo(1, { message: () => "the conversation's version is a whole number from 1" })),
});

/** What a bulk action takes (outside input: decoded with every issue at its path). */
export const BulkInput = S.Struct({
  action: S.Literal(...bulkActions).annotations({ message: () => ({ message: `choose an action: ${bulkActions.join(", ")}`, override: true }) }),
  conversations: S.Array(ConversationRef).pipe(
    S.minItems(1, { message: () => "select at least one conversation" }),
    S.maxItems(BULK_MAX, { message: () => `at most ${BULK_MAX} conversations at once` }),
  ),
  /** assign: the person (null: nobody); absent keeps the person. */
  userId: S.optional(S.NullOr(S.String)),
  /** assign: the team (null: no team); absent keeps the team. */
  teamId: S.optional(S.NullOr(S.String)),
  /** snooze: until when (epoch ms). */
  until: S.optional(S.Number),
  /** snooze: the zone the thread's line names the time in. */
  timeZone: S.optional(S.String),
});
export type BulkInput = S.Schema.Type<typeof BulkInput>;

export type BulkSkipReason = "not_found" | "forbidden" | "bot" | "not_applicable" | "changed" | "not_allowed";

export interface BulkSkipped {
  readonly id: string;
  /** Who the conversation is with; null when the agent may not see it. */
  readonly title: string | null;
  readonly reason: BulkSkipReason;
  /** Why, in a few words ("already closed", "changed by someone else"). */
  readonly message: string;
}

export interface BulkOutcome {
  readonly action: BulkAction;
  /** The conversations changed, in the order given. */
  readonly applied: ReadonlyArray<{ readonly id: string; readonly title: string }>;
  /** The conversations left as they were, in the order given, each with its reason. */
  readonly skipped: ReadonlyArray<BulkSkipped>;
}

export interface InboxBulkShape {
  /**
   * Applies one action to every conversation listed that it can change (the single action's
   * rules, events and live updates) and skips the others with their reason. InvalidInput (path
   * and message; nothing changed) for bad input; Forbidden for a role that does not work in inboxes.
   */
  readonly apply: (input: unknown, actor: Actor) => Effect.Effect<BulkOutcome, InvalidInput | Forbidden>;
}

export class InboxBulk extends Context.Tag("InboxBulk")<InboxBulk, InboxBulkShape>() {}

// ---------------------------------------------------------------------------------------------
// Pure parts

const statusMoves = { close: "close", reopen: "reopen", "mark-pending": "markPending" } as const;

/** Why `action` does not apply to a conversation as it is now, in a few words (null: it applies). Pure. */
export const bulkRefusal = (action: BulkAction, conversation: ConversationSummary, change: { readonly userId?: string | null; readonly teamId?: string | null }): string | null => {
  const status = conversation.status as ConversationStatus;
  switch (action) {
    case "close":
    case "reopen":
    case "mark-pending":
      // The thread's own rule decides; the words are shorter for a list of many.
      if (statusRefusal(statusMoves[action], status) === null) return null;
      return action === "close" || status === "pending" ? `already ${status}` : `${status}, not ${action === "reopen" ? "closed" : "open"}`;
    case "snooze":
      return snoozeRefusal(status) === null ? null : status;
    case "assign": {
      const person = change.userId === undefined ? (conversation.assignee?.id ?? null) : change.userId;
      const team = change.teamId === undefined ? (conversation.team?.id ?? null) : change.teamId;
      if (person !== (conversation.assignee?.id ?? null) || team !== (conversation.team?.id ?? null)) return null;
      if (change.userId === null && change.teamId === undefined) return "already unassigned";
      return change.userId !== undefined && change.userId !== null ? `already with ${conversation.assignee?.name ?? "them"}` : "already so";
    }
  }
};

const skip = (id: string, title: string | null, reason: BulkSkipReason, message: string): BulkSkipped => ({ id, title, reason, message });

/**
 * A bulk input's issues beyond its shape: the action's own fields, people and teams that exist, a
 * time to come (null: none). Reads the store; the breaches list's follow-up checks its assignment
 * with it before changing anything.
 */
export const bulkFieldIssue = (prepare: Prepare, input: Pick<BulkInput, "action" | "userId" | "teamId" | "until" | "timeZone">): InvalidInput | null => {
  if (input.action === "assign") {
    if (input.userId === undefined && input.teamId === undefined) return invalid("userId", "pick a person, a team, or nobody");
    if (typeof input.userId === "string") {
      const user = prepare("SELECT id, role, disabled_at FROM users WHERE id = ?").get(input.userId) as
        | (Actor & { readonly disabled_at: number | null })
        | undefined;
      if (user === undefined) return invalid("userId", "no such user");
      if (user.disabled_at !== null || !worksInInboxes(user)) return invalid("userId", "this user does not work in inboxes");
    }
    if (typeof input.teamId === "string" && prepare("SELECT 1 FROM teams WHERE id = ?").get(input.teamId) === undefined) return invalid("teamId", "no such team");
  }
  if (input.action === "snooze") {
    if (input.until === undefined) return invalid("until", "pick a time to snooze until");
    const issue = snoozeUntilIssue(input.until, wallClock.now());
    if (issue !== null) return invalid("until", issue);
    if (input.timeZone !== undefined && !isValidTimezone(input.timeZone)) return invalid("timeZone", "expected a time zone like Europe/Berlin");
  }
  return null;
};

// ---------------------------------------------------------------------------------------------
// The service

/** The InboxBulk service over the store and the single actions it reuses (exported for tests). */
export const makeInboxBulk = (deps: { readonly db: DatabaseShape; readonly inbox: InboxShape; readonly snoozes: SnoozesShape }): InboxBulkShape => {
  const { db, inbox, snoozes } = deps;
  const prepare = db.prepare;

  const apply: InboxBulkShape["apply"] = Effect.fn("InboxBulk.apply")(function* (raw, actor) {
    if (!worksInInboxes(actor)) return yield* Effect.fail(new Forbidden({ message: `Your role (${actor.role}) cannot open the inbox.` }));
    const input = yield* decodeInput(BulkInput, raw);
    const issue = bulkFieldIssue(prepare, input);
    if (issue !== null) return yield* Effect.fail(issue);
    const change = {
      ...(input.userId !== undefined ? { userId: input.userId } : {}),
      ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
    };
    // The same id twice (two tabs' worth of clicks) is one conversation: the first version counts.
    const refs = input.conversations.filter((ref, at) => input.conversations.findIndex((r) => r.id === ref.id) === at);

    // Decided on what is stored now; the single actions check again inside their writes.
    const checked = yield* Effect.forEach(refs, (ref) =>
      Effect.map(Effect.either(conversationFor(prepare, actor, ref.id)), (access) => {
        if (Either.isLeft(access)) {
          return access.left._tag === "NotFound" ? skip(ref.id, null, "not_found", "no longer exists") : skip(ref.id, null, "forbidden", "not in your inboxes");
        }
        const summary = readConversationSummary(prepare, actor.id, ref.id)!;
        if (summary.status === "bot") return skip(ref.id, summary.title, "bot", "with a bot");
        const refusal = bulkRefusal(input.action, summary, change);
        if (refusal !== null) return skip(ref.id, summary.title, "not_applicable", refusal);
        if (summary.version !== ref.version) return skip(ref.id, summary.title, "changed", "changed by someone else");
        if (input.action === "assign" && typeof change.userId === "string" && !userCanAccessInbox(prepare, change.userId, summary.inbox.id)) {
          return skip(ref.id, summary.title, "not_allowed", `the person chosen does not work in ${summary.inbox.name}`);
        }
        return { ref, summary };
      }),
    );

    const single = (ref: { readonly id: string; readonly version: number }): Effect.Effect<unknown, unknown> => {
      switch (input.action) {
        case "close":
          return inbox.close(ref.id, ref.version, actor);
        case "reopen":
          return inbox.reopen(ref.id, ref.version, actor);
        case "mark-pending":
          return inbox.markPending(ref.id, ref.version, actor);
        case "assign":
          return inbox.assign(ref.id, change, ref.version, actor);
        case "snooze":
          return snoozes.snooze(ref.id, { until: input.until!, timeZone: input.timeZone ?? "UTC" }, ref.version, actor);
      }
    };

    // Side by side: every write is queued in the same turn, so they share one group transaction.
    const results = yield* Effect.forEach(
      checked,
      (entry) => {
        if (!("ref" in entry)) return Effect.succeed(entry);
        const { ref, summary } = entry;
        return Effect.flatMap(Effect.either(single(ref)), (outcome): Effect.Effect<{ id: string; title: string } | BulkSkipped> => {
          if (Either.isRight(outcome)) return Effect.succeed({ id: ref.id, title: summary.title });
          const error = outcome.left as { readonly _tag?: string; readonly issues?: ReadonlyArray<{ readonly message: string }>; readonly message?: string };
          // Someone got there between the check and the write: the row says which way.
          const now = readConversationSummary(prepare, actor.id, ref.id);
          if (error._tag === "Conflict") {
            return Effect.succeed(
              now !== undefined && now.version !== ref.version
                ? skip(ref.id, summary.title, "changed", "changed by someone else")
                : skip(ref.id, summary.title, "not_applicable", error.message ?? "does not apply"),
            );
          }
          if (error._tag === "NotFound") return Effect.succeed(skip(ref.id, null, "not_found", "no longer exists"));
          if (error._tag === "Forbidden") return Effect.succeed(skip(ref.id, null, "forbidden", "not in your inboxes"));
          if (error._tag === "InvalidInput") return Effect.succeed(skip(ref.id, summary.title, "not_allowed", error.issues?.[0]?.message ?? "not allowed"));
          // Anything else is a defect of the single action, not a reason to skip.
          return Effect.die(outcome.left);
        });
      },
      { concurrency: "unbounded" },
    );

    const applied = results.filter((r): r is { id: string; title: string } => !("reason" in r));
    const skipped = results.filter((r): r is BulkSkipped => "reason" in r);
    return { action: input.action, applied, skipped };
  });

  return { apply };
};

export const layer: Layer.Layer<InboxBulk, never, Database | Inbox | Snoozes> = Layer.effect(
  InboxBulk,
  Effect.gen(function* () {
    return makeInboxBulk({ db: yield* Database, inbox: yield* Inbox, snoozes: yield* Snoozes });
  }),
);
