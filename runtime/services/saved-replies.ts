/**
 * Saved replies: the team's canned answers. Admins keep the list (Settings → Saved replies);
 * agents insert one in the inbox composer by typing "/" and its shortcut. Shortcuts are unique
 * regardless of case.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import * as wallClock from "./clock.js";
import { newId } from "./ids.js";
import { decodeInput, isUniqueViolation, worksInInboxes, type Actor } from "./inbox-access.js";

export const MAX_SAVED_REPLY_TEXT = 4000;

/** A saved reply as an admin writes it. */
export const SavedReplyInput = S.Struct({
  shortcut: S.compose(S.Trim, S.Lowercase).pipe(
    S.pattern(/^[a-z0-9][a-z0-9_-]{0,31}$/, {
      message: () => "a shortcut is 1–32 lower-case letters, digits, - or _ (no spaces), like thanks or refund-policy",
    }),
  ),
  title: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a title" }),
    S.maxLength(80, { message: () => "a title is at most 80 characters" }),
  ),
  text: S.String.pipe(
    S.pattern(/\S/, { message: () => "enter the reply's text" }),
    S.maxLength(MAX_SAVED_REPLY_TEXT, { message: () => `a reply is at most ${MAX_SAVED_REPLY_TEXT.toLocaleString("en")} characters` }),
  ),
});
export type SavedReplyInput = typeof SavedReplyInput.Type;

export interface SavedReply {
  readonly id: string;
  readonly shortcut: string;
  readonly title: string;
  readonly text: string;
  readonly updatedAt: number;
}

export interface SavedRepliesShape {
  /** Every saved reply, by shortcut (for the composer: agents and admins). */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<SavedReply>, Forbidden>;
  /** Adds one (admins); Conflict when the shortcut is taken. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<SavedReply, Forbidden | InvalidInput | Conflict>;
  /** Rewrites one (admins); Conflict when the new shortcut is taken. */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<SavedReply, Forbidden | InvalidInput | Conflict | NotFound>;
  /** Deletes one (admins). */
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
}

export class SavedReplies extends Context.Tag("SavedReplies")<SavedReplies, SavedRepliesShape>() {}

interface Row {
  readonly id: string;
  readonly shortcut: string;
  readonly title: string;
  readonly text: string;
  readonly updated_at: number;
}

const toSavedReply = (row: Row): SavedReply => ({ id: row.id, shortcut: row.shortcut, title: row.title, text: row.text, updatedAt: row.updated_at });

const adminOnly = (actor: Actor) =>
  actor.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Only admins can change saved replies." }));

/** The SavedReplies service over an open database (exported for tests). */
export const makeSavedReplies = (db: DatabaseShape): SavedRepliesShape => {
  const prepare = db.prepare;
  const read = (id: string) => prepare("SELECT id, shortcut, title, text, updated_at FROM saved_replies WHERE id = ?").get(id) as Row | undefined;

  const decode = (input: unknown): Effect.Effect<SavedReplyInput, InvalidInput> => decodeInput(SavedReplyInput, input);

  const taken = (shortcut: string) => new Conflict({ message: `The shortcut /${shortcut} is already used by another saved reply.` });

  return {
    list: (actor) =>
      worksInInboxes(actor)
        ? Effect.sync(() =>
            (prepare("SELECT id, shortcut, title, text, updated_at FROM saved_replies ORDER BY shortcut").all() as Row[]).map(toSavedReply),
          )
        : Effect.fail(new Forbidden({ message: "Your role does not use saved replies." })),

    create: Effect.fn("SavedReplies.create")(function* (actor, input) {
      yield* adminOnly(actor);
      const reply = yield* decode(input);
      const id = newId("reply");
      const now = wallClock.now();
      yield* db
        .writeEffect(() =>
          prepare("INSERT INTO saved_replies (id, shortcut, title, text, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
            id,
            reply.shortcut,
            reply.title,
            reply.text,
            actor.id,
            now,
            now,
          ),
        )
        .pipe(Effect.catchTag("WriteFailed", (f) => (isUniqueViolation(f.cause) ? Effect.fail(taken(reply.shortcut)) : Effect.die(f.cause))));
      return toSavedReply(read(id)!);
    }),

    update: Effect.fn("SavedReplies.update")(function* (actor, id, input) {
      yield* adminOnly(actor);
      if (!read(id)) return yield* Effect.fail(new NotFound({ entity: "saved reply", id }));
      const reply = yield* decode(input);
      yield* db
        .writeEffect(() =>
          prepare("UPDATE saved_replies SET shortcut = ?, title = ?, text = ?, updated_at = ? WHERE id = ?").run(
            reply.shortcut,
            reply.title,
            reply.text,
            wallClock.now(),
            id,
          ),
        )
        .pipe(Effect.catchTag("WriteFailed", (f) => (isUniqueViolation(f.cause) ? Effect.fail(taken(reply.shortcut)) : Effect.die(f.cause))));
      return toSavedReply(read(id)!);
    }),

    remove: Effect.fn("SavedReplies.remove")(function* (actor, id) {
      yield* adminOnly(actor);
      const changes = yield* Effect.orDie(db.writeEffect(() => prepare("DELETE FROM saved_replies WHERE id = ?").run(id).changes));
      if (changes === 0) return yield* Effect.fail(new NotFound({ entity: "saved reply", id }));
    }),
  };
};

/** The SavedReplies service over the app's Database. */
export const layer: Layer.Layer<SavedReplies, never, Database> = Layer.effect(SavedReplies, Effect.map(Database, makeSavedReplies));
