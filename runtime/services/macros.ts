/**
 * Macros: saved replies that also act. A macro has a name, an optional reply and an ordered list
 * of thread actions (add / remove a label, assign to a person or a team, unassign, set the
 * status, snooze for a preset, add an internal comment). It is shared with everyone (admins keep
 * those) or personal (its owner's alone; any agent keeps their own).
 *
 * Running one goes through the thread's own single actions — Inbox.reply (so an email or
 * Messenger conversation gets the reply through its outbox), Labels, Inbox.assign / close /
 * reopen / markPending / markOpen, Snoozes.snooze, Inbox.comment — reply first, then the actions
 * in their order, each with the version the previous step left. The version the agent saw is
 * checked before anything is done (Conflict, nothing applied). After that a step that cannot
 * apply (its label deleted, its person no longer in the inbox, a status move that does not
 * apply, someone else's change in between) is skipped with its reason and the others go on;
 * the outcome lists both (docs/decisions/032-macros.md says why).
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { MAX_CLIENT_MESSAGE_ID_LENGTH, MAX_TEXT_LENGTH } from "./engine.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { conversationFor, decodeInput, invalid, worksInInboxes, type Actor } from "./inbox-access.js";
import { bulkRefusal } from "./inbox-bulk.js";
import { Inbox, readConversationSummary, statusMoveTo, statusRefusal, type ConversationSummary, type InboxShape } from "./inbox.js";
import { Labels, type LabelsShape } from "./labels.js";
import { userCanAccessInbox } from "./routing.js";
import { Snoozes, snoozeRefusal, type SnoozesShape } from "./snoozes.js";

/** Most actions one macro holds. */
export const MAX_MACRO_ACTIONS = 20;
export const MAX_MACRO_NAME = 80;

/** The snooze presets a macro may name (the thread's: in 1 hour, tomorrow 09:00, next Monday 09:00). */
export const macroSnoozePresets = ["hour", "tomorrow", "monday"] as const;
export type MacroSnoozePreset = (typeof macroSnoozePresets)[number];

export const macroStatuses = ["open", "pending", "closed"] as const;

export const macroActionTypes = ["add-label", "remove-label", "assign", "assign-team", "unassign", "set-status", "snooze", "comment"] as const;
export type MacroActionType = (typeof macroActionTypes)[number];

const Ref = (what: string) =>
  S.String.pipe(S.minLength(1, { message: () => `pick ${what}` }), S.maxLength(100, { message: () => `${what} is an id of at most 100 characters` }));

const Text = (what: string) =>
  S.String.pipe(
    S.pattern(/\S/, { message: () => `enter the ${what}'s text` }),
    S.maxLength(MAX_TEXT_LENGTH, { message: () => `a ${what} is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters` }),
  );

/** One action of a macro (outside input: tagged by `type`). */
export const MacroAction = S.Union(
  S.Struct({ type: S.Literal("add-label"), labelId: Ref("a label") }),
  S.Struct({ type: S.Literal("remove-label"), labelId: Ref("a label") }),
  S.Struct({ type: S.Literal("assign"), userId: Ref("a person") }),
  S.Struct({ type: S.Literal("assign-team"), teamId: Ref("a team") }),
  S.Struct({ type: S.Literal("unassign") }),
  S.Struct({
    type: S.Literal("set-status"),
    status: S.Literal(...macroStatuses).annotations({ message: () => ({ message: `pick a status: ${macroStatuses.join(", ")}`, override: true }) }),
  }),
  S.Struct({
    type: S.Literal("snooze"),
    preset: S.Literal(...macroSnoozePresets).annotations({ message: () => ({ message: `pick a snooze time: ${macroSnoozePresets.join(", ")}`, override: true }) }),
  }),
  S.Struct({ type: S.Literal("comment"), text: Text("comment") }),
);
export type MacroAction = typeof MacroAction.Type;

/** A macro as its author writes it: an empty reply is none. */
export const MacroInput = S.Struct({
  name: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a name" }),
    S.maxLength(MAX_MACRO_NAME, { message: () => `a name is at most ${MAX_MACRO_NAME} characters` }),
  ),
  text: S.optional(S.String.pipe(S.maxLength(MAX_TEXT_LENGTH, { message: () => `a reply is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters` }))),
  visibility: S.Literal("shared", "personal").annotations({ message: () => ({ message: "choose shared (everyone) or personal (only you)", override: true }) }),
  actions: S.Array(MacroAction).pipe(S.maxItems(MAX_MACRO_ACTIONS, { message: () => `a macro has at most ${MAX_MACRO_ACTIONS} actions` })),
});
export type MacroInput = typeof MacroInput.Type;

const Version = S.Number.pipe(
  S.int({ message: () => "the conversation's version is a whole number from 1" }),
  S.greaterThanOrEqualTo(1, { message: () => "the conversation's version is a whole number from 1" }),
);
const Instant = S.Number.pipe(S.int({ message: () => "a time in epoch milliseconds" }));

/** What running a macro on a conversation takes. The preset times come from the agent's clock (the page computes them). */
export const MacroRunInput = S.Struct({
  macroId: Ref("a macro"),
  version: Version,
  // Room for the ":i" each comment step adds to it.
  clientMessageId: S.String.pipe(
    S.minLength(1, { message: () => "a client message id is required" }),
    S.maxLength(MAX_CLIENT_MESSAGE_ID_LENGTH - 4, { message: () => `a client message id is at most ${MAX_CLIENT_MESSAGE_ID_LENGTH - 4} characters` }),
  ),
  timeZone: S.optional(S.String),
  presets: S.optional(S.Struct({ hour: Instant, tomorrow: Instant, monday: Instant })),
});

export interface Macro {
  readonly id: string;
  readonly name: string;
  /** The reply it sends first; null for none. */
  readonly text: string | null;
  readonly actions: ReadonlyArray<MacroAction>;
  readonly visibility: "shared" | "personal";
  /** True when the actor may change or delete it. */
  readonly canEdit: boolean;
  /** What it will do, a line a step, in order (the reply first): names as they are now. */
  readonly steps: ReadonlyArray<string>;
  readonly updatedAt: number;
}

export interface MacroSkipped {
  /** The step, as the preview named it. */
  readonly step: string;
  /** Why it was not applied, in a few words. */
  readonly reason: string;
}

export interface MacroOutcome {
  readonly macro: { readonly id: string; readonly name: string };
  /** The steps done, in order. */
  readonly applied: ReadonlyArray<string>;
  /** The steps left undone, in order, each with its reason. */
  readonly skipped: ReadonlyArray<MacroSkipped>;
}

export interface MacrosShape {
  /** The macros the actor may run (shared ones and their own), by name. */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<Macro>, Forbidden>;
  /** A new macro; shared ones by admins only. InvalidInput at the field (`actions[i].labelId` for an unknown label). */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<Macro, Forbidden | InvalidInput>;
  /** Rewrites a macro the actor may change (admins: shared ones; anyone: their own). */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<Macro, Forbidden | InvalidInput | NotFound>;
  /** Deletes a macro the actor may change. */
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
  /**
   * Runs a macro on a conversation: Conflict (nothing done) when its version is not the one the
   * agent saw; otherwise every step that applies, and the others skipped with their reason.
   */
  readonly run: (actor: Actor, conversationId: string, input: unknown) => Effect.Effect<MacroOutcome, Forbidden | InvalidInput | NotFound | Conflict>;
}

export class Macros extends Context.Tag("Macros")<Macros, MacrosShape>() {}

// ---------------------------------------------------------------------------------------------
// Pure parts

const snoozeWords: Readonly<Record<MacroSnoozePreset, string>> = {
  hour: "Snooze for 1 hour",
  tomorrow: "Snooze until tomorrow 09:00",
  monday: "Snooze until next Monday 09:00",
};

const statusWords = { open: "Set status to open", pending: "Mark pending", closed: "Close the conversation" } as const;

/** A text cut to a preview's length, on one line. Pure. */
const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
};

/** Names of the things a macro's actions point at, as they are now (missing: deleted). */
export interface MacroNames {
  readonly label: (id: string) => string | undefined;
  readonly user: (id: string) => string | undefined;
  readonly team: (id: string) => string | undefined;
}

/** One action as the preview line says it. Pure. */
export const describeMacroAction = (action: MacroAction, names: MacroNames): string => {
  switch (action.type) {
    case "add-label":
      return `Add label ${names.label(action.labelId) ?? "(a deleted label)"}`;
    case "remove-label":
      return `Remove label ${names.label(action.labelId) ?? "(a deleted label)"}`;
    case "assign":
      return `Assign to ${names.user(action.userId) ?? "(a removed person)"}`;
    case "assign-team":
      return `Assign to team ${names.team(action.teamId) ?? "(a deleted team)"}`;
    case "unassign":
      return "Unassign";
    case "set-status":
      return statusWords[action.status];
    case "snooze":
      return snoozeWords[action.preset];
    case "comment":
      return `Comment “${excerpt(action.text)}”`;
  }
};

/** Every step of a macro as the preview says it, the reply first. Pure. */
export const describeMacro = (macro: { readonly text: string | null; readonly actions: ReadonlyArray<MacroAction> }, names: MacroNames): ReadonlyArray<string> => [
  ...(macro.text !== null ? [`Reply “${excerpt(macro.text)}”`] : []),
  ...macro.actions.map((a) => describeMacroAction(a, names)),
];

// ---------------------------------------------------------------------------------------------
// The service

interface Row {
  readonly id: string;
  readonly name: string;
  readonly reply_text: string | null;
  readonly actions: string;
  readonly owner_id: string | null;
  readonly updated_at: number;
}

const COLUMNS = "id, name, reply_text, actions, owner_id, updated_at";
const decodeStoredActions = S.decodeUnknownEither(S.parseJson(S.Array(MacroAction)));

/** True when the actor may change the macro: shared ones admins, personal ones their owner. Pure. */
const mayEdit = (actor: Actor, row: Pick<Row, "owner_id">): boolean => (row.owner_id === null ? actor.role === "admin" : row.owner_id === actor.id);

/** The Macros service over the store and the single actions it runs (exported for tests). */
export const makeMacros = (deps: {
  readonly db: DatabaseShape;
  readonly inbox: InboxShape;
  readonly labels: LabelsShape;
  readonly snoozes: SnoozesShape;
}): MacrosShape => {
  const { db, inbox, labels, snoozes } = deps;
  const prepare = db.prepare;

  const names: MacroNames = {
    label: (id) => (prepare("SELECT name FROM labels WHERE id = ?").get(id) as { name: string } | undefined)?.name,
    user: (id) => (prepare("SELECT COALESCE(display_name, name) AS name FROM users WHERE id = ?").get(id) as { name: string } | undefined)?.name,
    team: (id) => (prepare("SELECT name FROM teams WHERE id = ?").get(id) as { name: string } | undefined)?.name,
  };

  const toMacro = (actor: Actor, row: Row): Macro => {
    // Written through MacroInput; a row that does not decode (a hand edit) shows no actions rather than failing the inbox.
    const actions = Either.getOrElse(decodeStoredActions(row.actions), () => [] as ReadonlyArray<MacroAction>);
    const macro = { text: row.reply_text, actions };
    return {
      id: row.id,
      name: row.name,
      text: row.reply_text,
      actions,
      visibility: row.owner_id === null ? "shared" : "personal",
      canEdit: mayEdit(actor, row),
      steps: describeMacro(macro, names),
      updatedAt: row.updated_at,
    };
  };

  /** The macro when the actor may see it (shared, or their own); NotFound otherwise. */
  const visible = (actor: Actor, id: string): Effect.Effect<Row, NotFound> =>
    Effect.suspend(() => {
      const row = prepare(`SELECT ${COLUMNS} FROM macros WHERE id = ? AND (owner_id IS NULL OR owner_id = ?)`).get(id, actor.id) as Row | undefined;
      return row === undefined ? Effect.fail(new NotFound({ entity: "macro", id })) : Effect.succeed(row);
    });

  const inboxRole = (actor: Actor) =>
    worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: `Your role (${actor.role}) does not use macros.` }));

  /** The input's references: labels, people who work in inboxes, teams that exist; the first unknown one at its path. */
  const checkReferences = (input: MacroInput): InvalidInput | null => {
    for (const [i, action] of input.actions.entries()) {
      if ((action.type === "add-label" || action.type === "remove-label") && names.label(action.labelId) === undefined) {
        return invalid(`actions[${i}].labelId`, "no such label");
      }
      if (action.type === "assign") {
        const user = prepare("SELECT id, role, disabled_at FROM users WHERE id = ?").get(action.userId) as (Actor & { disabled_at: number | null }) | undefined;
        if (user === undefined) return invalid(`actions[${i}].userId`, "no such person");
        if (user.disabled_at !== null || !worksInInboxes(user)) return invalid(`actions[${i}].userId`, "this person does not work in inboxes");
      }
      if (action.type === "assign-team" && names.team(action.teamId) === undefined) return invalid(`actions[${i}].teamId`, "no such team");
    }
    return null;
  };

  const decode = Effect.fn("Macros.decode")(function* (actor: Actor, raw: unknown) {
    const input = yield* decodeInput(MacroInput, raw);
    if (input.visibility === "shared" && actor.role !== "admin") {
      return yield* Effect.fail(new Forbidden({ message: "Only admins can share a macro with everyone; keep it personal." }));
    }
    const issue = checkReferences(input);
    if (issue !== null) return yield* Effect.fail(issue);
    const text = input.text !== undefined && /\S/.test(input.text) ? input.text : null;
    return { ...input, text };
  });

  const readRow = (id: string) => prepare(`SELECT ${COLUMNS} FROM macros WHERE id = ?`).get(id) as Row;

  const list: MacrosShape["list"] = (actor) =>
    Effect.map(inboxRole(actor), () =>
      (prepare(`SELECT ${COLUMNS} FROM macros WHERE owner_id IS NULL OR owner_id = ? ORDER BY name COLLATE NOCASE, id`).all(actor.id) as Row[]).map((row) =>
        toMacro(actor, row),
      ),
    );

  const create: MacrosShape["create"] = Effect.fn("Macros.create")(function* (actor, raw) {
    yield* inboxRole(actor);
    const input = yield* decode(actor, raw);
    const id = newId("macro");
    const now = wallClock.now();
    yield* Effect.orDie(
      db.writeEffect(() =>
        prepare(
          "INSERT INTO macros (id, name, reply_text, actions, owner_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ).run(id, input.name, input.text, JSON.stringify(input.actions), input.visibility === "shared" ? null : actor.id, actor.id, now, now),
      ),
    );
    return toMacro(actor, readRow(id));
  });

  const update: MacrosShape["update"] = Effect.fn("Macros.update")(function* (actor, id, raw) {
    yield* inboxRole(actor);
    const row = yield* visible(actor, id);
    if (!mayEdit(actor, row)) return yield* Effect.fail(new Forbidden({ message: "Only admins can change shared macros." }));
    const input = yield* decode(actor, raw);
    // A shared macro an admin makes personal becomes theirs.
    const owner = input.visibility === "shared" ? null : (row.owner_id ?? actor.id);
    yield* Effect.orDie(
      db.writeEffect(() =>
        prepare("UPDATE macros SET name = ?, reply_text = ?, actions = ?, owner_id = ?, updated_at = ? WHERE id = ?").run(
          input.name,
          input.text,
          JSON.stringify(input.actions),
          owner,
          wallClock.now(),
          id,
        ),
      ),
    );
    return toMacro(actor, readRow(id));
  });

  const remove: MacrosShape["remove"] = Effect.fn("Macros.remove")(function* (actor, id) {
    yield* inboxRole(actor);
    const row = yield* visible(actor, id);
    if (!mayEdit(actor, row)) return yield* Effect.fail(new Forbidden({ message: "Only admins can delete shared macros." }));
    yield* Effect.orDie(db.writeEffect(() => prepare("DELETE FROM macros WHERE id = ?").run(id)));
  });

  // ---- running

  /** Why a step will not apply to the conversation as it is now (null: try it). */
  const refusalOf = (action: MacroAction, now: ConversationSummary, presets: Record<MacroSnoozePreset, number> | undefined): string | null => {
    switch (action.type) {
      case "add-label":
      case "remove-label":
        return names.label(action.labelId) === undefined ? "the label was deleted" : null;
      case "assign": {
        const who = names.user(action.userId);
        if (who === undefined) return "that person no longer exists";
        if (!userCanAccessInbox(prepare, action.userId, now.inbox.id)) return `${who} does not work in ${now.inbox.name} (or is disabled)`;
        return bulkRefusal("assign", now, { userId: action.userId });
      }
      case "assign-team":
        return names.team(action.teamId) === undefined ? "the team was deleted" : bulkRefusal("assign", now, { teamId: action.teamId });
      case "unassign":
        return now.assignee === null ? "already unassigned" : null;
      case "set-status":
        return now.status === action.status ? `already ${action.status}` : statusRefusal(statusMoveTo(action.status, now.status), now.status as never);
      case "snooze":
        if (presets === undefined) return "no snooze time was given";
        return snoozeRefusal(now.status);
      case "comment":
        return null;
    }
  };

  const runAction = (
    actor: Actor,
    conversationId: string,
    action: MacroAction,
    version: number,
    clientMessageId: string,
    at: number,
    presets: Record<MacroSnoozePreset, number> | undefined,
    timeZone: string,
    status: string,
  ): Effect.Effect<unknown, unknown> => {
    switch (action.type) {
      case "add-label":
        return labels.addToConversation(actor, conversationId, { labelId: action.labelId });
      case "remove-label":
        return labels.removeFromConversation(actor, conversationId, { labelId: action.labelId });
      case "assign":
        return inbox.assign(conversationId, { userId: action.userId }, version, actor);
      case "assign-team":
        return inbox.assign(conversationId, { teamId: action.teamId }, version, actor);
      case "unassign":
        return inbox.assign(conversationId, { userId: null }, version, actor);
      case "set-status":
        return inbox[statusMoveTo(action.status, status)](conversationId, version, actor);
      case "snooze":
        return snoozes.snooze(conversationId, { until: presets![action.preset], timeZone }, version, actor);
      case "comment":
        // Its own id per step: a retried run stores each comment once, like the composer's.
        return inbox.comment({ conversationId, text: action.text, clientMessageId: `${clientMessageId}:${at}` }, actor);
    }
  };

  /** A refused step's reason, from the single action's error. */
  const reasonOf = (error: unknown, before: ConversationSummary, conversationId: string, actor: Actor): string => {
    const e = error as { readonly _tag?: string; readonly message?: string; readonly issues?: ReadonlyArray<{ readonly message: string }> };
    switch (e._tag) {
      case "Conflict": {
        const after = readConversationSummary(prepare, actor.id, conversationId);
        return after !== undefined && after.version !== before.version ? "someone else changed the conversation first" : (e.message ?? "does not apply");
      }
      case "InvalidInput":
        return e.issues?.[0]?.message ?? "not allowed";
      case "NotFound":
        return "the conversation or what it names no longer exists";
      case "Forbidden":
        return e.message ?? "not allowed";
      default:
        return "failed";
    }
  };

  const run: MacrosShape["run"] = Effect.fn("Macros.run")(function* (actor, conversationId, raw) {
    yield* inboxRole(actor);
    yield* conversationFor(prepare, actor, conversationId);
    const input = yield* decodeInput(MacroRunInput, raw);
    const macro = toMacro(actor, yield* visible(actor, input.macroId));
    const first = readConversationSummary(prepare, actor.id, conversationId)!;
    if (first.version !== input.version) {
      return yield* Effect.fail(new Conflict({ message: "Someone else changed this conversation first. It has been reloaded: check it and run the macro again." }));
    }
    const applied: string[] = [];
    const skipped: MacroSkipped[] = [];
    const steps = macro.steps;
    const offset = macro.text !== null ? 1 : 0;

    // The reply first: a macro that closes the conversation has answered before it closes.
    if (macro.text !== null) {
      const sent = yield* Effect.either(inbox.reply({ conversationId, text: macro.text, clientMessageId: input.clientMessageId }, actor));
      if (Either.isRight(sent)) applied.push(steps[0]!);
      else skipped.push({ step: steps[0]!, reason: reasonOf(sent.left, first, conversationId, actor).replace(/\.$/, "") });
    }

    for (const [at, action] of macro.actions.entries()) {
      const step = steps[at + offset]!;
      // Each step starts from what the previous one left (its own writes move the version).
      const now = readConversationSummary(prepare, actor.id, conversationId);
      if (now === undefined) {
        skipped.push({ step, reason: "the conversation no longer exists" });
        continue;
      }
      const refusal = refusalOf(action, now, input.presets);
      if (refusal !== null) {
        skipped.push({ step, reason: refusal.replace(/\.$/, "") });
        continue;
      }
      const done = yield* Effect.either(
        runAction(actor, conversationId, action, now.version, input.clientMessageId, at, input.presets, input.timeZone ?? "UTC", now.status),
      );
      if (Either.isRight(done)) applied.push(step);
      else if ((done.left as { _tag?: string })._tag === undefined) return yield* Effect.die(done.left);
      else skipped.push({ step, reason: reasonOf(done.left, now, conversationId, actor).replace(/\.$/, "") });
    }
    return { macro: { id: macro.id, name: macro.name }, applied, skipped };
  });

  return { list, create, update, remove, run };
};

/** The Macros service over the app's Database and the single actions. */
export const layer: Layer.Layer<Macros, never, Database | Inbox | Labels | Snoozes> = Layer.effect(
  Macros,
  Effect.gen(function* () {
    return makeMacros({ db: yield* Database, inbox: yield* Inbox, labels: yield* Labels, snoozes: yield* Snoozes });
  }),
);
