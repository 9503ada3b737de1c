/**
 * Visitors: the anonymous people the chat widget talks to. A visitor is created per browser,
 * holds a signed token (`v1.<visitorId>.<HMAC-SHA256(sessionSecret, visitorId)>`), may be
 * linked to a contact once the site proves who they are (identify with the channel's identity
 * secret), and may carry custom attributes the site sets. Away messages left while nobody is
 * available arrive here too: they open a conversation and a ticket in the channel's inbox.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { createHmac, timingSafeEqual } from "node:crypto";
import { decodeWith } from "../../flows/decode.js";
import { AppConfig } from "./config.js";
import * as wallClock from "./clock.js";
import { applyWaitingInWrite } from "./contact-lists.js";
import { Database, type Statement } from "./database.js";
import { InvalidInput, NotFound, Unauthenticated } from "./errors.js";
import { newId } from "./ids.js";
import { LiveEvents } from "./live-events.js";

// ---------------------------------------------------------------------------------------------
// Schemas

/** An attribute name: short and plain, so it can become a contact property later. */
export const AttributeKey = S.String.pipe(
  S.pattern(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, {
    message: () => "an attribute name is 1–64 letters, digits, '_', '.' or '-', starting with a letter or '_'",
  }),
);
// One declared check rather than a Union, so a bad value yields one issue that says what is allowed.
export const AttributeValue = S.declare(
  (u: unknown): u is string | number | boolean =>
    (typeof u === "string" && u.length <= 500) || (typeof u === "number" && Number.isFinite(u)) || typeof u === "boolean",
  {
    identifier: "AttributeValue",
    message: (issue) =>
      typeof issue.actual === "string"
        ? "an attribute value is at most 500 characters"
        : "an attribute value is a string, a finite number or a boolean",
  },
);
export const MAX_ATTRIBUTES = 50;
const isAttributeName = S.is(AttributeKey);
/**
 * Custom attributes of a visitor: at most 50, names as AttributeKey says, values string / number
 * / boolean (≤ 500 chars). A bad name is an issue at its path: a Record with a pattern key on its
 * own silently drops the names that do not match.
 */
export const VisitorAttributes = S.Record({ key: S.String, value: S.Unknown })
  .annotations({ message: () => ({ message: "expected a JSON object of name → value", override: true }) })
  .pipe(
    S.filter((attrs) =>
      Object.keys(attrs)
        .filter((name) => !isAttributeName(name))
        .map((name) => ({ path: [name], message: "an attribute name is 1–64 letters, digits, '_', '.' or '-', starting with a letter or '_'" })),
    ),
    S.compose(S.Record({ key: AttributeKey, value: AttributeValue }), { strict: false }),
    S.filter((attrs) => Object.keys(attrs).length <= MAX_ATTRIBUTES || `at most ${MAX_ATTRIBUTES} attributes`),
  );
export type VisitorAttributes = typeof VisitorAttributes.Type;

/** An email address as visitors and sites send it (a deliberate, simple check). */
export const Email = S.String.pipe(
  S.maxLength(254, { message: () => "an email address is at most 254 characters" }),
  S.pattern(/^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/, {
    message: () => "expected an email address like name@example.com",
  }),
);

// ---------------------------------------------------------------------------------------------
// Shapes

export interface VisitorRow {
  readonly id: string;
  readonly channelId: string;
  readonly contactId: string | null;
  readonly attributes: VisitorAttributes;
  readonly device: string | null;
  readonly language: string | null;
  readonly userAgent: string | null;
  readonly lastPageUrl: string | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
}

export interface IdentifyResult {
  readonly verified: boolean;
  readonly reason?: string;
  readonly contactId?: string;
}

export interface AwayMessageInput {
  readonly visitorId: string;
  readonly channelId: string;
  readonly chatflowId: string;
  readonly email: string;
  readonly text: string;
  readonly pageUrl: string;
}

export interface VisitorsShape {
  /** Creates a visitor of a chat channel and its signed token. */
  readonly create: (input: {
    readonly channelId: string;
    readonly userAgent?: string;
    readonly languages?: ReadonlyArray<string>;
    readonly device?: string;
    readonly pageUrl?: string;
  }) => Effect.Effect<{ readonly visitorId: string; readonly visitorToken: string }, NotFound>;
  /** Checks a token's signature (constant time) and that its visitor exists. */
  readonly verifyToken: (token: string) => Effect.Effect<{ readonly visitorId: string; readonly channelId: string }, Unauthenticated>;
  /** `verifyToken` as plain code, for the public API's hot path (every visitor request verifies one). */
  readonly verifyTokenNow: (token: string) => Either.Either<{ readonly visitorId: string; readonly channelId: string }, Unauthenticated>;
  readonly get: (visitorId: string) => Effect.Effect<VisitorRow, NotFound>;
  /**
   * Links the visitor to the contact with `email` (created when new, de-duplicated by email)
   * only when `hash` is the hex HMAC-SHA256 of the email under the channel's identity secret.
   */
  readonly identify: (input: {
    readonly visitorId: string;
    readonly email: string;
    readonly name?: string;
    readonly hash: string;
  }) => Effect.Effect<IdentifyResult, NotFound>;
  /** Merges validated attributes into the visitor's (≤ 50 in all). */
  readonly setAttributes: (visitorId: string, attributes: unknown) => Effect.Effect<VisitorAttributes, NotFound | InvalidInput>;
  /** Opens a conversation (status open, waiting) and a ticket for a message left while away. */
  readonly leaveAwayMessage: (input: AwayMessageInput) => Effect.Effect<{ readonly conversationId: string; readonly ticketId: string }, NotFound>;
}

export class Visitors extends Context.Tag("Visitors")<Visitors, VisitorsShape>() {}

// ---------------------------------------------------------------------------------------------
// Tokens (pure)

const TOKEN_PREFIX = "v1.";

const mac = (secret: string, visitorId: string): Buffer => createHmac("sha256", secret).update(visitorId).digest();

/** The token of a visitor under `secret`. Pure. */
export const signVisitorToken = (secret: string, visitorId: string): string =>
  `${TOKEN_PREFIX}${visitorId}.${mac(secret, visitorId).toString("base64url")}`;

/** The visitor id a token names when its signature is right, else undefined (constant-time compare). Pure. */
export const readVisitorToken = (secret: string, token: string): string | undefined => {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const dot = token.lastIndexOf(".");
  if (dot <= TOKEN_PREFIX.length) return undefined;
  const visitorId = token.slice(TOKEN_PREFIX.length, dot);
  // Compared as text, not decoded bytes: base64url's last character carries spare bits, and a
  // token must have exactly one spelling.
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(secret, visitorId).toString("base64url"));
  return given.length === expected.length && timingSafeEqual(given, expected) ? visitorId : undefined;
};

/** The hash a site sends to identify a visitor: hex HMAC-SHA256 of the email under the channel's identity secret. Pure. */
export const identityHash = (identitySecret: string, email: string): string =>
  createHmac("sha256", identitySecret).update(email).digest("hex");

const hexEqual = (a: string, b: string): boolean => {
  if (!/^[0-9a-fA-F]{64}$/.test(a)) return false;
  const x = Buffer.from(a.toLowerCase(), "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
};

// ---------------------------------------------------------------------------------------------
// Layer

interface VisitorDbRow {
  id: string;
  channel_id: string;
  contact_id: string | null;
  attributes: string;
  device: string | null;
  language: string | null;
  user_agent: string | null;
  last_page_url: string | null;
  first_seen_at: number;
  last_seen_at: number;
}

const toVisitor = (row: VisitorDbRow): VisitorRow => ({
  id: row.id,
  channelId: row.channel_id,
  contactId: row.contact_id,
  attributes: JSON.parse(row.attributes) as VisitorAttributes,
  device: row.device,
  language: row.language,
  userAgent: row.user_agent,
  lastPageUrl: row.last_page_url,
  firstSeenAt: row.first_seen_at,
  lastSeenAt: row.last_seen_at,
});

const decodeAttributes = decodeWith(VisitorAttributes);

type Prepare = (sql: string) => Statement;

const insertEvent = (
  prepare: Prepare,
  event: {
    type: string;
    at: number;
    conversationId: string;
    chatflowId: string | null;
    chatflowVersionId: string | null;
    inboxId: string;
    channelId: string;
    data?: unknown;
  },
) =>
  prepare(
      "INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, inbox_id, channel_id, is_preview, data) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
    )
    .run(
      event.type,
      event.at,
      event.conversationId,
      event.chatflowId,
      event.chatflowVersionId,
      event.inboxId,
      event.channelId,
      event.data === undefined ? null : JSON.stringify(event.data),
    );

const upsertContact = (prepare: Prepare, email: string, name: string | undefined, now: number): string => {
  const existing = prepare("SELECT id, name FROM contacts WHERE email = ?").get(email) as
    | { id: string; name: string | null }
    | undefined;
  if (existing) {
    if (name && !existing.name) prepare("UPDATE contacts SET name = ?, updated_at = ? WHERE id = ?").run(name, now, existing.id);
    return existing.id;
  }
  const id = newId("ct");
  prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
    .run(id, email, name ?? null, now, now);
  return id;
};

export const layer: Layer.Layer<Visitors, never, Database | AppConfig | LiveEvents> = Layer.effect(
  Visitors,
  Effect.gen(function* () {
    const db = yield* Database;
    const config = yield* AppConfig;
    const live = yield* LiveEvents;
    const secret = config.sessionSecret;
    const prepare = db.prepare;

    const selectVisitor = db.prepare("SELECT * FROM visitors WHERE id = ?");
    const selectVisitorChannel = db.prepare("SELECT channel_id FROM visitors WHERE id = ?").pluck();
    const selectChannel = db.prepare("SELECT id, inbox_id, kind, identity_secret FROM channels WHERE id = ?");

    // A visitor's channel never changes, and a token string once verified stays valid: the
    // exact token maps to its visitor, so repeat requests skip both the HMAC and the read.
    const verified = new Map<string, { readonly visitorId: string; readonly channelId: string }>();
    const remember = (token: string, visitor: { readonly visitorId: string; readonly channelId: string }) => {
      if (verified.size >= 50_000) verified.clear();
      verified.set(token, visitor);
    };

    const loadVisitor = (visitorId: string): Effect.Effect<VisitorDbRow, NotFound> =>
      Effect.suspend(() => {
        const row = selectVisitor.get(visitorId) as VisitorDbRow | undefined;
        return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "visitor", id: visitorId }));
      });

    const loadChannel = (channelId: string) =>
      Effect.suspend(() => {
        const row = selectChannel.get(channelId) as
          | { id: string; inbox_id: string; kind: string; identity_secret: string | null }
          | undefined;
        return row && row.kind === "chat" ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "channel", id: channelId }));
      });

    const create: VisitorsShape["create"] = Effect.fn("Visitors.create")(function* (input) {
      yield* loadChannel(input.channelId);
      const visitorId = newId("vis");
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect(() =>
          prepare(
              "INSERT INTO visitors (id, channel_id, device, language, user_agent, last_page_url, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .run(
              visitorId,
              input.channelId,
              input.device ?? null,
              input.languages?.[0] ?? null,
              input.userAgent?.slice(0, 500) ?? null,
              input.pageUrl?.slice(0, 2000) ?? null,
              now,
              now,
            ),
        ),
      );
      const visitorToken = signVisitorToken(secret, visitorId);
      remember(visitorToken, { visitorId, channelId: input.channelId });
      return { visitorId, visitorToken };
    });

    const invalidToken = new Unauthenticated({ message: "the visitor token is missing or not valid; create a visitor with POST /api/visitors" });

    // Not wrapped in Effect.fn: it runs on every API request and must stay cheap.
    const verifyTokenNow: VisitorsShape["verifyTokenNow"] = (token) => {
      const known = verified.get(token);
      if (known) return Either.right(known);
      const visitorId = readVisitorToken(secret, token);
      if (visitorId === undefined) return Either.left(invalidToken);
      const channelId = selectVisitorChannel.get(visitorId) as string | undefined;
      if (channelId === undefined) return Either.left(invalidToken);
      const visitor = { visitorId, channelId };
      remember(token, visitor);
      return Either.right(visitor);
    };
    const verifyToken: VisitorsShape["verifyToken"] = (token) => Effect.suspend(() => verifyTokenNow(token));

    const get: VisitorsShape["get"] = Effect.fn("Visitors.get")(function* (visitorId) {
      return toVisitor(yield* loadVisitor(visitorId));
    });

    const identify: VisitorsShape["identify"] = Effect.fn("Visitors.identify")(function* (input) {
      const visitor = yield* loadVisitor(input.visitorId);
      const channel = yield* loadChannel(visitor.channel_id);
      if (!channel.identity_secret) {
        return { verified: false, reason: "identity verification is not set up for this channel (no identity secret)" };
      }
      if (!hexEqual(input.hash, identityHash(channel.identity_secret, input.email))) {
        return { verified: false, reason: "the hash does not match the email under this channel's identity secret" };
      }
      const email = input.email.trim().toLowerCase();
      const name = input.name?.trim() || undefined;
      const now = wallClock.now();
      const linked = yield* Effect.orDie(
        db.writeEffect(() => {
          const contactId = upsertContact(prepare, email, name, now);
          prepare("UPDATE visitors SET contact_id = ?, last_seen_at = ? WHERE id = ?").run(contactId, now, visitor.id);
          // Lists a bot put the visitor on before they were a contact become the contact's.
          applyWaitingInWrite(prepare, visitor.id, contactId, now);
          // The visitor's earlier conversations belong to the same person: link them too.
          const conversations = prepare(
              "SELECT id, chatflow_id, chatflow_version_id, inbox_id, channel_id, is_preview FROM conversations WHERE visitor_id = ? AND contact_id IS NULL",
            )
            .all(visitor.id) as Array<{
            id: string;
            chatflow_id: string | null;
            chatflow_version_id: string | null;
            inbox_id: string;
            channel_id: string;
            is_preview: number;
          }>;
          for (const c of conversations) {
            prepare("UPDATE conversations SET contact_id = ?, updated_at = ? WHERE id = ?").run(contactId, now, c.id);
            prepare(
                "INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, inbox_id, channel_id, is_preview, data) VALUES ('contact_linked', ?, ?, ?, ?, ?, ?, ?, ?)",
              )
              .run(now, c.id, c.chatflow_id, c.chatflow_version_id, c.inbox_id, c.channel_id, c.is_preview, JSON.stringify({ contactId, via: "identify" }));
          }
          return contactId;
        }),
      );
      return { verified: true, contactId: linked };
    });

    const setAttributes: VisitorsShape["setAttributes"] = Effect.fn("Visitors.setAttributes")(function* (visitorId, attributes) {
      const decoded = decodeAttributes(attributes);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      yield* loadVisitor(visitorId);
      const now = wallClock.now();
      // Read and merge inside the write so two concurrent calls cannot lose each other's keys.
      const merged = yield* Effect.orDie(
        db.writeEffect(() => {
          const row = prepare("SELECT attributes FROM visitors WHERE id = ?").get(visitorId) as { attributes: string };
          const next = { ...(JSON.parse(row.attributes) as VisitorAttributes), ...decoded.right };
          if (Object.keys(next).length > MAX_ATTRIBUTES) return Either.left(Object.keys(next).length);
          prepare("UPDATE visitors SET attributes = ?, last_seen_at = ? WHERE id = ?").run(JSON.stringify(next), now, visitorId);
          return Either.right(next);
        }),
      );
      if (Either.isLeft(merged)) {
        return yield* Effect.fail(
          new InvalidInput({
            issues: [{ path: "", message: `a visitor holds at most ${MAX_ATTRIBUTES} attributes; this would make ${merged.left}` }],
          }),
        );
      }
      return merged.right;
    });

    const leaveAwayMessage: VisitorsShape["leaveAwayMessage"] = Effect.fn("Visitors.leaveAwayMessage")(function* (input) {
      const channel = yield* loadChannel(input.channelId);
      const chatflow = db
        .prepare("SELECT id, published_version_id FROM chatflows WHERE id = ? AND channel_id = ? AND archived_at IS NULL")
        .get(input.chatflowId, input.channelId) as { id: string; published_version_id: string | null } | undefined;
      if (!chatflow) return yield* Effect.fail(new NotFound({ entity: "chatflow", id: input.chatflowId }));
      const email = input.email.trim().toLowerCase();
      const now = wallClock.now();
      const conversationId = newId("conv");
      const ticketId = newId("tk");
      const common = {
        at: now,
        conversationId,
        chatflowId: chatflow.id,
        chatflowVersionId: chatflow.published_version_id,
        inboxId: channel.inbox_id,
        channelId: channel.id,
      };
      const messageId = yield* Effect.orDie(
        db.writeEffect(() => {
          // The email is what the visitor typed, not proven: it names a contact for the reply,
          // but the visitor is not linked to that contact (only identify does that). The widget
          // promised a reply by email, so the conversation is answered by email (migration 19).
          const contactId = upsertContact(prepare, email, undefined, now);
          prepare(
              `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, contact_id, chatflow_id, chatflow_version_id, status,
                 page_url, created_at, updated_at, last_activity_at, waiting_since, last_message_at, last_message_preview, reply_by_email,
                 unassigned_since)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
            )
            .run(
              conversationId,
              channel.id,
              channel.inbox_id,
              input.visitorId,
              contactId,
              chatflow.id,
              chatflow.published_version_id,
              input.pageUrl.slice(0, 2000),
              now,
              now,
              now,
              now,
              now,
              input.text.slice(0, 200),
              // In the inbox with nobody assigned, from now.
              now,
            );
          const message = prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'visitor', ?, ?)")
            .run(conversationId, input.text, now);
          prepare(
              "INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .run(ticketId, channel.inbox_id, conversationId, contactId, `Away message from ${email}`, input.text, now, now);
          insertEvent(prepare, { ...common, type: "conversation_created", data: { via: "away_message" } });
          insertEvent(prepare, { ...common, type: "message_created", data: { author: "visitor", internal: false, messageId: String(message.lastInsertRowid) } });
          insertEvent(prepare, { ...common, type: "contact_linked", data: { contactId, via: "away_message" } });
          insertEvent(prepare, { ...common, type: "ticket_created", data: { ticketId } });
          return String(message.lastInsertRowid);
        }),
      );
      yield* live.publish({
        conversationId,
        inboxId: channel.inbox_id,
        kind: "conversation",
        data: { conversationId, status: "open", ticketId, messageId },
      });
      return { conversationId, ticketId };
    });

    return { create, verifyToken, verifyTokenNow, get, identify, setAttributes, leaveAwayMessage } satisfies VisitorsShape;
  }),
);
