/**
 * A read-only list of the workspace's channels, for admin screens and end-to-end tests (which
 * need the seeded chat channel's id). Creating and configuring channels belongs elsewhere.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import { Database } from "./database.js";

export const ChannelSummary = S.Struct({
  id: S.String,
  name: S.String,
  kind: S.Literal("chat", "form", "email", "messenger"),
  inboxId: S.String,
});
export type ChannelSummary = typeof ChannelSummary.Type;

export interface ChannelDirectoryShape {
  /** Every channel, oldest first (the seeded chat channel comes first on a demo). */
  readonly list: () => Effect.Effect<ReadonlyArray<ChannelSummary>>;
}

export class ChannelDirectory extends Context.Tag("ChannelDirectory")<ChannelDirectory, ChannelDirectoryShape>() {}

const decodeRow = S.decodeUnknownSync(ChannelSummary);

/** The directory over the app's Database. */
export const layer: Layer.Layer<ChannelDirectory, never, Database> = Layer.effect(
  ChannelDirectory,
  Effect.map(Database, (db) => ({
    list: () =>
      Effect.sync(() =>
        db
          .prepare("SELECT id, name, kind, inbox_id AS inboxId FROM channels ORDER BY created_at, id")
          .all()
          // A row that does not decode is a corrupted database: a defect, not an expected error.
          .map((row) => decodeRow(row)),
      ),
  })),
);
