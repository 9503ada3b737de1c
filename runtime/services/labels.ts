/**
 * Conversation labels (tags): Billing, Bug, Sales lead, VIP. Admins keep the list (Settings →
 * Labels): a name unique whatever its case (1–40 characters), a colour from a fixed palette and
 * an optional description. Whoever may work in a conversation's inbox (inbox-access.ts) adds
 * and removes its labels; a handoff step of a chatflow adds its own in the handoff's write
 * (`addLabelsInWrite`, added_by NULL: the bot).
 *
 * Each add and remove is an event in `events` (`label_added` / `label_removed`, with the label's
 * id and name) and an internal live event, so every open inbox re-reads. Adding a label the
 * conversation has, or removing one it has not, changes nothing and writes nothing. Deleting a
 * label takes it off every conversation; nothing else is touched. Renaming, recolouring or
 * deleting one is a live event for each inbox whose conversations carry it.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import { actingRule, ruleLine, ruleLineInWrite, withRule, type ActingRule } from "./acting-rule.js";
import { nameKey } from "../sql/name-key.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import {
  conversationFor,
  decodeInput,
  isUniqueViolation,
  logConversationEvent,
  worksInInboxes,
  type Actor,
  type ConversationAccessRow,
  type Prepare,
} from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

// ---------------------------------------------------------------------------------------------
// Schemas

/** The colours a label may have: named, so the UI picks readable shades for each. */
export const labelColors = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple"] as const;
export type LabelColor = (typeof labelColors)[number];

export const MAX_LABEL_NAME = 40;
export const MAX_LABEL_DESCRIPTION = 200;

/** A label as an admin writes it (a form's fields: an empty description is none). */
export const LabelInput = S.Struct({
  name: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a name for the label" }),
    S.maxLength(MAX_LABEL_NAME, { message: () => `a label's name is at most ${MAX_LABEL_NAME} characters` }),
  ),
  color: S.String.pipe(
    S.filter((c): c is LabelColor => (labelColors as ReadonlyArray<string>).includes(c), {
      message: () => `pick a colour: one of ${labelColors.join(", ")}`,
    }),
  ),
  description: S.optional(
    S.Trim.pipe(S.maxLength(MAX_LABEL_DESCRIPTION, { message: () => `a description is at most ${MAX_LABEL_DESCRIPTION} characters` })),
  ),
});
export type LabelInput = typeof LabelInput.Type;

/** The label to put on a conversation or take off it (a form's field). */
export const LabelChange = S.Struct({
  labelId: S.String.pipe(S.minLength(1, { message: () => "pick a label" }), S.maxLength(100, { message: () => "a label is a label id" })),
});

// ---------------------------------------------------------------------------------------------
// Shapes

/** A label on a conversation's chip. */
export interface LabelChip {
  readonly id: string;
  readonly name: string;
  readonly color: LabelColor;
}

export interface Label extends LabelChip {
  readonly description: string | null;
  readonly createdAt: number;
  /** Conversations carrying it, and of those the ones the inbox's All open view lists (open or pending, not snoozed). */
  readonly conversationCount: number;
  readonly openCount: number;
}

/** What adding or removing did: the conversation's labels after it. */
export interface LabelOutcome {
  /** False when it already was as asked (nothing written). */
  readonly changed: boolean;
  readonly labels: ReadonlyArray<LabelChip>;
}

export interface LabelsShape {
  /** Every label by name, with its counts (admins and agents). */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<Label>, Forbidden>;
  /** A new label (admins); InvalidInput at `name` / `color` / `description`, Conflict when the name is taken (any case). */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<Label, Forbidden | InvalidInput | Conflict>;
  /** Renames, recolours or redescribes a label (admins); its conversations keep it. */
  readonly update: (actor: Actor, labelId: string, input: unknown) => Effect.Effect<Label, Forbidden | InvalidInput | Conflict | NotFound>;
  /** Deletes a label (admins) and takes it off every conversation; resolves with how many carried it. */
  readonly remove: (actor: Actor, labelId: string) => Effect.Effect<number, Forbidden | NotFound>;
  /** Puts a label (input `{ labelId }`) on a conversation the actor may work in; once. */
  readonly addToConversation: (actor: Actor, conversationId: string, input: unknown) => Effect.Effect<LabelOutcome, Forbidden | NotFound | InvalidInput>;
  /** Takes a label (input `{ labelId }`) off a conversation the actor may work in. */
  readonly removeFromConversation: (
    actor: Actor,
    conversationId: string,
    input: unknown,
  ) => Effect.Effect<LabelOutcome, Forbidden | NotFound | InvalidInput>;
}

export class Labels extends Context.Tag("Labels")<Labels, LabelsShape>() {}

// ---------------------------------------------------------------------------------------------
// Reads and in-write helpers (shared with the inbox and the engine; synchronous)

interface LabelRow {
  readonly id: string;
  readonly name: string;
  readonly color: LabelColor;
  readonly description: string | null;
  readonly created_at: number;
  readonly conversation_count: number;
  readonly open_count: number;
}

const LABEL_SELECT = `SELECT l.id, l.name, l.color, l.description, l.created_at,
    (SELECT COUNT(*) FROM conversation_labels cl WHERE cl.label_id = l.id) AS conversation_count,
    (SELECT COUNT(*) FROM conversation_labels cl JOIN conversations c ON c.id = cl.conversation_id
      WHERE cl.label_id = l.id AND c.status IN ('open', 'pending') AND c.snoozed_until IS NULL AND c.is_preview = 0) AS open_count
  FROM labels l`;

const toLabel = (row: LabelRow): Label => ({
  id: row.id,
  name: row.name,
  color: row.color,
  description: row.description,
  createdAt: row.created_at,
  conversationCount: row.conversation_count,
  openCount: row.open_count,
});

/** A conversation's labels by name (synchronous). */
export const labelsOf = (prepare: Prepare, conversationId: string): ReadonlyArray<LabelChip> =>
  prepare(
    `SELECT l.id, l.name, l.color FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
     WHERE cl.conversation_id = ? ORDER BY l.name COLLATE NOCASE, l.id`,
  ).all(conversationId) as LabelChip[];

/** Every label by name, as chips (the inbox's filter and picker; synchronous). */
export const allLabelChips = (prepare: Prepare): ReadonlyArray<LabelChip> =>
  prepare("SELECT id, name, color FROM labels ORDER BY name COLLATE NOCASE, id").all() as LabelChip[];

/** The chips of a conversation's labels as the inbox list's JSON column holds them (`[[id, name, color], …]`). Pure. */
export const chipsOfJson = (json: string | null): ReadonlyArray<LabelChip> => {
  if (json === null) return [];
  const rows = JSON.parse(json) as Array<[string, string, LabelColor]>;
  return rows.map(([id, name, color]) => ({ id, name, color }));
};

/** The inbox list's column of a conversation's labels (alias `c`), JSON for `chipsOfJson`. */
export const LABELS_JSON_COLUMN = `(SELECT json_group_array(json_array(x.id, x.name, x.color)) FROM
    (SELECT l.id, l.name, l.color FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
      WHERE cl.conversation_id = c.id ORDER BY l.name COLLATE NOCASE, l.id) x) AS labels_json`;

/**
 * Puts a label on a conversation inside the caller's write, with its `label_added` event; `by`
 * is the user, or null for the bot. Returns false when it was already there (nothing written).
 */
const addInWrite = (
  prepare: Prepare,
  conversation: Pick<ConversationAccessRow, "id" | "inbox_id" | "channel_id" | "chatflow_id" | "chatflow_version_id" | "is_preview">,
  label: { readonly id: string; readonly name: string },
  by: string | null,
  at: number,
  rule: ActingRule | null = null,
): boolean => {
  const changes = prepare(
    "INSERT INTO conversation_labels (conversation_id, label_id, added_by, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  ).run(conversation.id, label.id, by, at).changes;
  if (changes === 0) return false;
  logConversationEvent(prepare, "label_added", conversation, at, {
    userId: by,
    data: withRule({ labelId: label.id, name: label.name, by: by === null ? "bot" : "user" }, rule),
  });
  if (rule !== null) ruleLineInWrite(prepare, conversation.id, ruleLine(`Label “${label.name}” added`, rule), rule, at);
  return true;
};

/**
 * A handoff step's labels: puts each on the conversation for the bot (added_by NULL), inside the
 * turn's write. Returns the ids of labels that no longer exist (deleted since publishing; the
 * caller records a flow_error), the others are added (once).
 */
export const addLabelsInWrite = (
  prepare: Prepare,
  conversation: Pick<ConversationAccessRow, "id" | "inbox_id" | "channel_id" | "chatflow_id" | "chatflow_version_id" | "is_preview">,
  labelIds: ReadonlyArray<string>,
  at: number,
): ReadonlyArray<string> => {
  const missing: string[] = [];
  for (const labelId of labelIds) {
    const label = prepare("SELECT id, name FROM labels WHERE id = ?").get(labelId) as { id: string; name: string } | undefined;
    if (label === undefined) missing.push(labelId);
    else addInWrite(prepare, conversation, label, null, at);
  }
  return missing;
};

// ---------------------------------------------------------------------------------------------
// The service

const adminOnly = (actor: Actor) =>
  actor.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Only admins can change labels." }));

interface Carrier {
  readonly inbox_id: string;
  readonly conversation_id: string;
}

/** The Labels service over its Database and LiveEvents (exported for tests). */
export const makeLabels = (db: DatabaseShape, live: LiveEventsShape): LabelsShape => {
  const prepare = db.prepare;
  const read = (id: string) => prepare(`${LABEL_SELECT} WHERE l.id = ?`).get(id) as LabelRow | undefined;
  const taken = (name: string) => new Conflict({ message: `A label named “${name}” already exists.` });
  const notFound = (id: string) => new NotFound({ entity: "label", id });

  const save = (name: string, write: () => void): Effect.Effect<void, Conflict> =>
    db.writeEffect(write).pipe(Effect.catchTag("WriteFailed", (f) => (isUniqueViolation(f.cause) ? Effect.fail(taken(name)) : Effect.die(f.cause))));

  /**
   * Per inbox with a conversation carrying the label, one of those conversations: a renamed,
   * recoloured or deleted label is news for those inboxes' open pages (one live event per inbox,
   * not per conversation: a label may be on thousands).
   */
  const carriersOf = (labelId: string) =>
    prepare(
      `SELECT c.inbox_id, MIN(c.id) AS conversation_id FROM conversation_labels cl JOIN conversations c ON c.id = cl.conversation_id
        WHERE cl.label_id = ? GROUP BY c.inbox_id`,
    ).all(labelId) as Carrier[];
  const tellInboxes = (carriers: ReadonlyArray<Carrier>, data: Record<string, unknown>) =>
    Effect.forEach(carriers, (carrier) =>
      live.publish({ conversationId: carrier.conversation_id, inboxId: carrier.inbox_id, kind: "conversation", internal: true, data }),
    ).pipe(Effect.asVoid);

  /** Adds or removes, with the event and the live update; the conversation's labels after it. */
  const change = (add: boolean) =>
    Effect.fn(add ? "Labels.addToConversation" : "Labels.removeFromConversation")(function* (actor: Actor, conversationId: string, input: unknown) {
      // Who may touch it is decided before what they sent (as the thread's other changes do).
      const conversation = yield* conversationFor(prepare, actor, conversationId);
      const { labelId } = yield* decodeInput(LabelChange, input);
      const label = prepare("SELECT id, name FROM labels WHERE id = ?").get(labelId) as { id: string; name: string } | undefined;
      if (label === undefined) return yield* Effect.fail(notFound(labelId));
      const now = wallClock.now();
      const rule = yield* actingRule;
      const changed = yield* Effect.orDie(
        db.writeEffect(() => {
          if (add) return addInWrite(prepare, conversation, label, actor.id, now, rule);
          const removed = prepare("DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?").run(conversationId, labelId).changes;
          if (removed === 0) return false;
          logConversationEvent(prepare, "label_removed", conversation, now, { userId: actor.id, data: withRule({ labelId: label.id, name: label.name }, rule) });
          if (rule !== null) ruleLineInWrite(prepare, conversationId, ruleLine(`Label “${label.name}” removed`, rule), rule, now);
          return true;
        }),
      );
      if (changed) {
        yield* live.publish({
          conversationId,
          inboxId: conversation.inbox_id,
          kind: "conversation",
          internal: true,
          data: { change: "labels", labelId, added: add },
        });
      }
      return { changed, labels: labelsOf(prepare, conversationId) };
    });

  return {
    list: (actor) =>
      worksInInboxes(actor)
        ? Effect.sync(() => (prepare(`${LABEL_SELECT} ORDER BY l.name COLLATE NOCASE, l.id`).all() as LabelRow[]).map(toLabel))
        : Effect.fail(new Forbidden({ message: `Your role (${actor.role}) does not use labels.` })),

    create: Effect.fn("Labels.create")(function* (actor, input) {
      yield* adminOnly(actor);
      const label = yield* decodeInput(LabelInput, input);
      const id = newId("label");
      yield* save(label.name, () => {
        prepare("INSERT INTO labels (id, name, name_key, color, description, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
          id,
          label.name,
          nameKey(label.name),
          label.color,
          label.description || null,
          wallClock.now(),
        );
      });
      return toLabel(read(id)!);
    }),

    update: Effect.fn("Labels.update")(function* (actor, labelId, input) {
      yield* adminOnly(actor);
      if (!read(labelId)) return yield* Effect.fail(notFound(labelId));
      const label = yield* decodeInput(LabelInput, input);
      let carriers: ReadonlyArray<Carrier> = [];
      yield* save(label.name, () => {
        prepare("UPDATE labels SET name = ?, name_key = ?, color = ?, description = ? WHERE id = ?").run(
          label.name,
          nameKey(label.name),
          label.color,
          label.description || null,
          labelId,
        );
        carriers = carriersOf(labelId);
      });
      yield* tellInboxes(carriers, { change: "labels", labelId, edited: true });
      return toLabel(read(labelId)!);
    }),

    remove: Effect.fn("Labels.remove")(function* (actor, labelId) {
      yield* adminOnly(actor);
      const removed = yield* Effect.orDie(
        db.writeEffect(() => {
          const count = (prepare("SELECT COUNT(*) AS n FROM conversation_labels WHERE label_id = ?").get(labelId) as { n: number }).n;
          const carriers = carriersOf(labelId);
          // The conversations' rows go with it (ON DELETE CASCADE); nothing else refers to a label.
          const deleted = prepare("DELETE FROM labels WHERE id = ?").run(labelId).changes;
          return deleted === 0 ? null : { count, carriers };
        }),
      );
      if (removed === null) return yield* Effect.fail(notFound(labelId));
      yield* tellInboxes(removed.carriers, { change: "labels", labelId, deleted: true });
      return removed.count;
    }),

    addToConversation: change(true),
    removeFromConversation: change(false),
  };
};

/** The Labels service over the app's Database and LiveEvents. */
export const layer: Layer.Layer<Labels, never, Database | LiveEvents> = Layer.effect(
  Labels,
  Effect.gen(function* () {
    return makeLabels(yield* Database, yield* LiveEvents);
  }),
);
