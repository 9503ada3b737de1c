/**
 * Personal access tokens: a person makes a named token (optionally expiring) for an
 * integration, sees it once, and the REST API (server/rest-api.ts) takes it as
 * `Authorization: Bearer pat_…`. A token acts AS its user — their role and their inboxes, read
 * afresh on every request — so it can never do more than the person could in the app.
 *
 * Only the SHA-256 of a token is stored (docs/decisions/029-rest-api-tokens.md): the token is
 * 256 random bits, so a fast hash is as good as a slow one and costs one lookup per request.
 * Revoking deletes the row; a disabled user's tokens fail like unknown ones; an expired token
 * fails from the millisecond it expires. The last-used time is written at most once a minute
 * per token, so a busy integration does not add a write per request.
 */
import { Clock, Context, Effect, Layer, Schema as S } from "effect";
import { randomBytes } from "node:crypto";
import { Accounts, sessionKey, twoFactorSetupDueSql, type User } from "./accounts.js";
import { auditActorAs, recordAudit } from "./audit-log.js";
import { Database } from "./database.js";
import { Forbidden, NotFound, Unauthenticated, type InvalidInput } from "./errors.js";
import { newId } from "./ids.js";
import { decodeInput, type Actor } from "./inbox-access.js";

/** What every token starts with, so secret scanners and people can recognise one. */
export const TOKEN_PREFIX = "pat_";
/** The expiries a person may pick, in days; null is "never". */
export const tokenExpiryDays = [30, 90, 365] as const;
export const MAX_TOKEN_NAME = 100;
/** Most tokens one person may hold at once. */
export const MAX_TOKENS_PER_USER = 50;
/** How stale the stored last-used time may be (ms): it is written at most this often per token. */
export const LAST_USED_GRANULARITY_MS = 60_000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A new token's form: a name and an expiry ("never", "30", "90" or "365" days). */
export const NewApiToken = S.Struct({
  name: S.Trim.pipe(
    S.minLength(1, { message: () => "give the token a name, e.g. the integration it is for" }),
    S.maxLength(MAX_TOKEN_NAME, { message: () => `a token's name is at most ${MAX_TOKEN_NAME} characters` }),
  ),
  expiresIn: S.optionalWith(
    S.Literal("never", ...tokenExpiryDays.map((d) => String(d) as `${typeof d}`)).annotations({
      message: () => ({ message: `expected never, ${tokenExpiryDays.join(", ")} (days)`, override: true }),
    }),
    { default: () => "never" as const },
  ),
});

/** A token as its list shows it: never the token itself. */
export interface ApiTokenSummary {
  readonly id: string;
  readonly name: string;
  /** The token's first characters, e.g. `pat_ab12cd34`. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
}

/** A token just made: the only time its full text is known. */
export interface ApiTokenCreated {
  readonly token: string;
  readonly summary: ApiTokenSummary;
}

export interface ApiTokensShape {
  /** Makes a token for the actor (decoded by `NewApiToken`); Forbidden past MAX_TOKENS_PER_USER. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<ApiTokenCreated, InvalidInput | Forbidden>;
  /** `userId`'s tokens, newest first: one's own, or anyone's for an admin. */
  readonly list: (actor: Actor, userId: string) => Effect.Effect<ReadonlyArray<ApiTokenSummary>, Forbidden>;
  /** Deletes one of `userId`'s tokens (one's own, or anyone's for an admin); NotFound when it is not theirs. */
  readonly revoke: (actor: Actor, userId: string, tokenId: string) => Effect.Effect<void, Forbidden | NotFound>;
  /**
   * The enabled user a token acts as; Unauthenticated for a malformed, unknown, revoked or
   * expired token and for a disabled user (one message for all: it tells a guesser nothing).
   */
  readonly authenticate: (token: string) => Effect.Effect<{ readonly user: User; readonly tokenId: string }, Unauthenticated>;
}

export class ApiTokens extends Context.Tag("ApiTokens")<ApiTokens, ApiTokensShape>() {}

/** The shown start of a token: the prefix and 8 characters. Pure. */
export const tokenPrefix = (token: string): string => token.slice(0, TOKEN_PREFIX.length + 8);

/** A new token: `pat_` and 256 random bits, base64url. */
const newToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;

const TOKEN_SHAPE = /^pat_[A-Za-z0-9_-]{43}$/;

interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly created_at: number;
  readonly expires_at: number | null;
  readonly last_used_at: number | null;
}

const toSummary = (row: TokenRow): ApiTokenSummary => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
});

const refused = () => new Unauthenticated({ message: "the token is unknown, revoked or expired (send `Authorization: Bearer pat_…`)" });
const setupDue = () =>
  new Unauthenticated({
    message: "this workspace requires two-factor sign-in: its owner must turn it on under Settings → Your profile before the token works",
  });
const othersTokens = () => new Forbidden({ message: "Only admins can see or revoke someone else's tokens." });

export const layer: Layer.Layer<ApiTokens, never, Database | Accounts> = Layer.effect(
  ApiTokens,
  Effect.gen(function* () {
    const db = yield* Database;
    const accounts = yield* Accounts;
    const mayManage = (actor: Actor, userId: string) => actor.id === userId || actor.role === "admin";

    const create: ApiTokensShape["create"] = Effect.fn("ApiTokens.create")(function* (actor, input) {
      const { name, expiresIn } = yield* decodeInput(NewApiToken, input);
      const now = yield* Clock.currentTimeMillis;
      const token = newToken();
      const row: TokenRow = {
        id: newId("pat"),
        name,
        prefix: tokenPrefix(token),
        created_at: now,
        expires_at: expiresIn === "never" ? null : now + Number(expiresIn) * DAY_MS,
        last_used_at: null,
      };
      const audit = yield* auditActorAs(actor.id);
      const stored = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          const held = sqlite.prepare("SELECT count(*) FROM api_tokens WHERE user_id = ?").pluck().get(actor.id) as number;
          if (held >= MAX_TOKENS_PER_USER) return false;
          sqlite
            .prepare("INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(row.id, actor.id, row.name, sessionKey(token), row.prefix, row.created_at, row.expires_at);
          recordAudit(sqlite, now, audit, {
            action: "api_token.created",
            target: { type: "api_token", id: row.id, label: row.name },
            data: { owner: actor.id, prefix: row.prefix, expiresAt: row.expires_at },
          });
          return true;
        }),
      );
      if (!stored) return yield* new Forbidden({ message: `You hold ${MAX_TOKENS_PER_USER} tokens already: revoke one you no longer use.` });
      return { token, summary: toSummary(row) };
    });

    const list: ApiTokensShape["list"] = (actor, userId) =>
      Effect.suspend(() =>
        mayManage(actor, userId)
          ? Effect.succeed(
              (
                db
                  .prepare("SELECT id, name, prefix, created_at, expires_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id")
                  .all(userId) as TokenRow[]
              ).map(toSummary),
            )
          : Effect.fail(othersTokens()),
      );

    const revoke: ApiTokensShape["revoke"] = Effect.fn("ApiTokens.revoke")(function* (actor, userId, tokenId) {
      if (!mayManage(actor, userId)) return yield* othersTokens();
      const audit = yield* auditActorAs(actor.id);
      const now = yield* Clock.currentTimeMillis;
      const deleted = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          const gone = sqlite.prepare("DELETE FROM api_tokens WHERE id = ? AND user_id = ? RETURNING name, prefix").get(tokenId, userId) as
            | { name: string; prefix: string }
            | undefined;
          if (gone === undefined) return 0;
          recordAudit(sqlite, now, audit, { action: "api_token.revoked", target: { type: "api_token", id: tokenId, label: gone.name }, data: { owner: userId, prefix: gone.prefix } });
          return 1;
        }),
      );
      if (deleted === 0) return yield* new NotFound({ entity: "token", id: tokenId });
    });

    const selectByHash = db.prepare(
      `SELECT t.id AS token_id, t.expires_at AS token_expires_at, t.last_used_at AS token_last_used_at, u.id,
              ${twoFactorSetupDueSql("u.id")} AS two_factor_setup_due
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled_at IS NULL`,
    );

    // Not wrapped in Effect.fn: it runs on every API request and must stay cheap.
    const authenticate: ApiTokensShape["authenticate"] = (token) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (!TOKEN_SHAPE.test(token)) return Effect.fail(refused());
        const row = selectByHash.get(sessionKey(token)) as
          | { token_id: string; token_expires_at: number | null; token_last_used_at: number | null; id: string; two_factor_setup_due: number }
          | undefined;
        if (!row || (row.token_expires_at !== null && row.token_expires_at <= now)) return Effect.fail(refused());
        // The workspace requires two-factor sign-in: a token of someone who has not set it up waits
        // until they have, as their session would (a token must not be the way around the rule).
        if (row.two_factor_setup_due === 1) return Effect.fail(setupDue());
        const stale = row.token_last_used_at === null || now - row.token_last_used_at >= LAST_USED_GRANULARITY_MS;
        const touch = stale
          ? Effect.orDie(db.writeEffect((sqlite) => sqlite.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(now, row.token_id)))
          : Effect.void;
        // The user is read afresh (role, name), so a change of role applies to their tokens at once.
        return accounts.getUser(row.id).pipe(
          Effect.mapError(refused),
          Effect.tap(() => touch),
          Effect.map((user) => ({ user, tokenId: row.token_id })),
        );
      });

    return { create, list, revoke, authenticate } satisfies ApiTokensShape;
  }),
);
