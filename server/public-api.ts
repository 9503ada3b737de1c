/**
 * The public chat API (/api/widget, /api/visitors, /api/conversations (with their ratings and transcripts), /api/away-messages):
 * a lean handler on plain node:http in front of Remix, sharing the app's Effect runtime.
 * Remix's request handling tops out near 2k req/s here; this path does one token check, one
 * body decode and one engine call per message, so the store's group commit sets the pace.
 * The contract lives in docs/api.md.
 */
import { Effect, Either, Exit, Option, Schema as S } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Display as DisplaySchema, type Availability, type Display, type FlowSpec } from "../flows/flow-spec.js";
import { awayAt, servedAvailability, specialClosingAt, type ServingCalendars } from "../flows/availability.js";
import { selectChatflow } from "../flows/targeting.js";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { Channels, parseJsonObject } from "../runtime/services/channels.js";
import { readClosedDates } from "../runtime/services/business-hours.js";
import { readTeamSchedule } from "../runtime/services/team-hours.js";
import { Chatflows } from "../runtime/services/chatflows.js";
import { ATTACHMENT_CHAT_UPLOAD_MAX_BYTES, attachmentForVisitor, attachmentHeaders } from "../runtime/services/attachments.js";
import { AppConfig } from "../runtime/services/config.js";
import { ContactEmail } from "../runtime/services/contacts.js";
import { Database } from "../runtime/services/database.js";
import { readStoredConfig } from "../runtime/services/email-settings.js";
import { Engine, type ApiMessage } from "../runtime/services/engine.js";
import { Conflict, InvalidInput, NotFound, Forbidden, Unauthenticated, type ApiError } from "../runtime/services/errors.js";
import { LiveEvents, type LiveEvent } from "../runtime/services/live-events.js";
import { RatingInput, Ratings, type Rating } from "../runtime/services/ratings.js";
import { TranscriptRequest, Transcripts } from "../runtime/services/transcripts.js";
import { ReplyTime } from "../runtime/services/reply-time.js";
import { replyTimeTeams } from "../runtime/core/reply-time.js";
import { Email, VisitorAttributes, Visitors } from "../runtime/services/visitors.js";
import {
  bearerToken,
  bodyDecoder,
  clientIp,
  corsHeaders,
  decodePathSegment,
  deviceFromUserAgent,
  languagesFromHeader,
  originAllowed,
  isJsonContentType,
  preflightHeaders,
  readJsonBody,
  sendError,
  sendFailure,
  sendJson,
  sendMethodNotAllowed,
  sendRouteNotFound,
  sendUnsupportedMediaType,
  serveUnder,
  type Headers,
} from "./http-util.js";
import { iso } from "./rest-kit.js";
import { isMultipartFormData, readMultipart, type MultipartLimits } from "./multipart.js";
import { createRateLimiter, defaultRateLimits, type BucketRule, type RateLimitOptions, type RateLimiter } from "./rate-limit.js";

export interface PublicApi {
  /** Serves every request under /api (an unknown path gets a JSON 404); false lets Remix have the rest. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Ends long-lived responses (SSE streams) so a graceful shutdown can finish. */
  readonly close: () => void;
  /** Open SSE streams, for tests and health. */
  readonly streamCount: () => number;
  /** The limiter in use (tests reset it). */
  readonly rateLimiter: RateLimiter;
}

export interface PublicApiOptions {
  /** Bucket sizes; defaults in server/rate-limit.ts. */
  readonly rateLimits?: RateLimitOptions;
  /** Overrides config.rateLimit (PARLEY_NO_RATE_LIMIT=1 turns limits off). */
  readonly rateLimitEnabled?: boolean;
  /** Overrides config.trustedProxies (TRUST_PROXY): reverse proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies?: number;
  /** Buckets for transcript requests (mail sent to an address the caller types), per IP and per visitor; defaults below. */
  readonly transcriptLimits?: TranscriptLimits;
  /** SSE heartbeat comment interval (default 15 s). */
  readonly heartbeatMs?: number;
  /** How long a channel's CORS origins are cached (default 5 s). */
  readonly channelCacheMs?: number;
}

/** Transcript requests: each one mails someone, so far fewer than other requests (on top of the per-conversation limit). */
export interface TranscriptLimits {
  readonly transcriptIp: BucketRule;
  readonly transcriptVisitor: BucketRule;
}
export const defaultTranscriptLimits: TranscriptLimits = {
  // Ten from one address (a shared office NAT) at once, then one every six minutes.
  transcriptIp: { capacity: 10, perSecond: 1 / 360 },
  // Five from one visitor token across their conversations, then one every twenty minutes.
  transcriptVisitor: { capacity: 5, perSecond: 1 / 1200 },
};

/** Longest message a visitor may send (characters). */
export const MAX_TEXT_LENGTH = 4000;

/**
 * A visitor's file upload: one file of at most ATTACHMENT_CHAT_UPLOAD_MAX_BYTES in `file`, and
 * the text fields `clientMessageId` and `text` (a caption of at most MAX_TEXT_LENGTH characters,
 * 4 bytes each at worst).
 */
const FILE_UPLOAD_LIMITS: MultipartLimits = {
  fileField: "file",
  maxFileBytes: ATTACHMENT_CHAT_UPLOAD_MAX_BYTES,
  maxFieldBytes: MAX_TEXT_LENGTH * 4,
  maxFields: 5,
};

/** How long a visitor's browser may keep a downloaded file: a stored file never changes under its id. */
const ATTACHMENT_CACHE_SECONDS = 3600;

// ---------------------------------------------------------------------------------------------
// Body schemas (built once at load; decoders too)

const Id = S.String.pipe(S.minLength(1, { message: () => "required" }), S.maxLength(100, { message: () => "an id is at most 100 characters" }));
const PageUrl = S.String.pipe(S.maxLength(2000, { message: () => "a page URL is at most 2,000 characters" }));
const MessageText = S.String.pipe(
  S.maxLength(MAX_TEXT_LENGTH, { message: () => `a message is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters` }),
  S.pattern(/\S/, { message: () => "a message needs some text" }),
);
const ChoiceId = S.String.pipe(S.minLength(1), S.maxLength(100));
// One message for the whole union: its branches' own issues ("Expected string, actual []",
// "choice[0]: is missing") told a developer less than this does.
const Choice = S.Union(ChoiceId, S.NonEmptyArray(ChoiceId).pipe(S.maxItems(50))).annotations({
  message: () => ({ message: "a choice is a choice id, or a list of 1–50 choice ids (each 1–100 characters)", override: true }),
});
/**
 * An optional field that may be absent but never `undefined`: a plain `S.optional` adds an
 * `undefined` branch whose issue ("Expected undefined, actual …") repeated the whole bad value.
 */
const absentOr = <A, I>(schema: S.Schema<A, I, never>) => S.optionalWith(schema, { exact: true });

export const CreateVisitorBody = S.Struct({ channel: Id, pageUrl: absentOr(PageUrl) });
export const IdentifyBody = S.Struct({
  email: Email,
  name: absentOr(S.String.pipe(S.maxLength(200, { message: () => "a name is at most 200 characters" }))),
  hash: S.String.pipe(S.maxLength(200)),
});
export const AttributesBody = S.Struct({ attributes: VisitorAttributes });
export const StartConversationBody = S.Struct({ channel: Id, chatflowId: Id, pageUrl: PageUrl });
export const SendMessageBody = S.Struct({
  clientMessageId: Id,
  text: absentOr(MessageText),
  choice: absentOr(Choice),
}).pipe(
  S.filter((body) =>
    (body.text === undefined) === (body.choice === undefined) ? "send either `text` or `choice` (exactly one of them)" : undefined,
  ),
);
export const AwayMessageBody = S.Struct({ channel: Id, chatflowId: Id, email: Email, text: MessageText, pageUrl: PageUrl });
const MessageIdParam = S.String.pipe(S.pattern(/^\d{1,18}$/, { message: () => "a message id is a number" }));
// One message for a missing, non-string or non-numeric `through`: "Expected string, actual 68"
// told a developer less than naming the form the id must take.
export const SeenBody = S.Struct({
  through: MessageIdParam.annotations({
    message: () => ({ message: 'the id of the newest message the visitor has seen, as a string of digits (e.g. "68")', override: true }),
  }),
});

const decodeCreateVisitor = bodyDecoder(CreateVisitorBody);
const decodeIdentify = bodyDecoder(IdentifyBody);
const decodeAttributes = bodyDecoder(AttributesBody);
const decodeStartConversation = bodyDecoder(StartConversationBody);
const decodeSendMessage = bodyDecoder(SendMessageBody);
const decodeAwayMessage = bodyDecoder(AwayMessageBody);
const decodeMessageId = bodyDecoder(MessageIdParam);
const decodeSeen = bodyDecoder(SeenBody);
// The Ratings service owns the rating's schema (score 1–5, comment ≤ 1,000): the same rules here and there.
const decodeRating = bodyDecoder(RatingInput);
// The Transcripts service owns the request's schema (an optional address, an optional time zone).
const decodeTranscript = bodyDecoder(TranscriptRequest);

const ChannelConfig = S.Struct({
  allowedOrigins: S.optionalWith(S.Array(S.String), { default: () => [] }),
  branding: S.optional(
    S.Struct({
      name: S.optional(S.String),
      logoUrl: S.optional(S.String),
      showPoweredBy: S.optional(S.Boolean),
      // Defaults for chatflows that keep the spec's own (Settings → Channels writes them).
      accentColor: S.optional(S.String),
      launcherPosition: S.optional(S.String),
    }),
  ),
});
type ChannelConfig = typeof ChannelConfig.Type;
const decodeChannelConfig = S.decodeUnknownEither(S.parseJson(ChannelConfig));
const DISPLAY_DEFAULTS = S.decodeSync(DisplaySchema)({});

/**
 * A display value: the chat channel's default where the chatflow keeps the spec's own, else the
 * chatflow's. A malformed channel value (a hand-edited row) is ignored. Pure.
 */
const withChannelDefault = <T extends string>(flowValue: T, specDefault: T, channelValue: string | undefined, valid: (v: string) => boolean): T =>
  flowValue === specDefault && channelValue !== undefined && valid(channelValue) ? (channelValue as T) : flowValue;
const isHexColor = (value: string) => /^#[0-9a-fA-F]{6}$/.test(value);
const isLauncherPosition = (value: string) => value === "bottom_right" || value === "bottom_left";

const decodeAddress = S.decodeUnknownOption(ContactEmail);
/**
 * A stored address as visitors may see it, or null when it is none: settings forms validate
 * what they save, but a hand-edited row must not put a broken mailto in front of visitors. Pure.
 */
const addressOrNull = (value: string | null): string | null => (value === null ? null : Option.getOrNull(decodeAddress(value)));

// ---------------------------------------------------------------------------------------------
// Answers

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Headers;
}
const reply = (status: number, body: unknown): Reply => ({ status, body });

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

/**
 * The public view of a message: exactly the contract's fields. Live events carry more (the
 * author's user id, the internal flag) for the inbox; none of that reaches a visitor. Pure.
 */
const publicMessage = (m: ApiMessage): ApiMessage => ({
  id: m.id,
  author: m.author,
  text: m.text,
  ...(m.choices !== undefined ? { choices: m.choices } : {}),
  ...(m.bubble !== undefined ? { bubble: m.bubble } : {}),
  ...(m.typingDelayMs !== undefined ? { typingDelayMs: m.typingDelayMs } : {}),
  ...(m.attachments !== undefined ? { attachments: m.attachments.map((a) => ({ id: a.id, name: a.name, type: a.type, size: a.size })) } : {}),
  createdAt: m.createdAt,
});

/** A rating as the contract has it: the time as an ISO string, like every other time the API answers. Pure. */
const publicRating = (rating: Rating) => ({ score: rating.score, comment: rating.comment, at: new Date(rating.at).toISOString() });

// ---------------------------------------------------------------------------------------------

interface ChannelInfo {
  readonly id: string;
  readonly inboxId: string;
  readonly inboxName: string;
  readonly config: ChannelConfig;
  /**
   * The send-as address of the inbox's first email channel (by created_at, id) that has one:
   * where visitors who find the team away may write. Null when the inbox has no such channel.
   */
  readonly teamEmail: string | null;
  /** Whether a team email of the inbox can send: transcripts by email are offered only then. */
  readonly transcripts: boolean;
}

/** Builds the public API handler on the app's runtime (services resolved once, lazily). */
export const createPublicApi = (runtime: AppRuntime, options: PublicApiOptions = {}): PublicApi => {
  const services = runtime.runPromise(
    Effect.all({
      engine: Engine,
      chatflows: Chatflows,
      visitors: Visitors,
      live: LiveEvents,
      db: Database,
      config: AppConfig,
      channels: Channels,
      ratings: Ratings,
      transcripts: Transcripts,
      replyTime: ReplyTime,
    }),
  );
  // A failure here surfaces on the first request (as a 500 and a log line), not as an unhandled rejection.
  services.catch(() => {});
  type Services = Awaited<typeof services>;

  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const channelCacheMs = options.channelCacheMs ?? 5_000;
  // Requests take tokens only after the services (and so the config) are resolved.
  let limitsOn = options.rateLimitEnabled ?? true;
  if (options.rateLimitEnabled === undefined) void services.then((s) => (limitsOn = s.config.rateLimit), () => {});
  const limiter = createRateLimiter(options.rateLimits ?? defaultRateLimits, () => limitsOn);
  const transcriptLimiter = createRateLimiter<keyof TranscriptLimits>(options.transcriptLimits ?? defaultTranscriptLimits, () => limitsOn);

  const streams = new Set<() => void>();

  // ---------------------------------------------------------------------------------------
  // Channels (cached briefly: CORS needs them on every request)

  const channelCache = new Map<string, { readonly info: ChannelInfo | null; readonly expiresAt: number }>();
  let anyOrigins: { origins: ReadonlyArray<string>; expiresAt: number } | undefined;
  // An admin's change (Settings → Channels) takes effect on the next request, not after the TTL.
  // Every entry goes, not only the changed channel's: an email channel's send-as address (or its
  // move to another inbox) is the team email of every chat channel in its inboxes, before and
  // after. Such changes are rare; each chat channel then costs one read again.
  let stopListening: (() => void) | undefined;
  void services.then((s) => {
    stopListening ??= s.channels.onChange(() => {
      channelCache.clear();
      anyOrigins = undefined;
    });
  }, () => {});

  const firstTeamEmail = (s: Services, inboxId: string): string | null => {
    const rows = s.db
      .prepare("SELECT config FROM channels WHERE inbox_id = ? AND kind = 'email' ORDER BY created_at, id")
      .all(inboxId) as Array<{ config: string }>;
    for (const row of rows) {
      const address = addressOrNull(readStoredConfig(parseJsonObject(row.config)).fromAddress);
      if (address !== null) return address;
    }
    return null;
  };

  const channelInfo = (s: Services, channelId: string): ChannelInfo | null => {
    const now = Date.now();
    const cached = channelCache.get(channelId);
    if (cached && cached.expiresAt > now) return cached.info;
    const row = s.db
      .prepare(
        "SELECT c.id, c.inbox_id, c.config, i.name AS inbox_name FROM channels c JOIN inboxes i ON i.id = c.inbox_id WHERE c.id = ? AND c.kind = 'chat'",
      )
      .get(channelId) as { id: string; inbox_id: string; config: string; inbox_name: string } | undefined;
    const decoded = row ? decodeChannelConfig(row.config) : undefined;
    const info: ChannelInfo | null = row
      ? {
          id: row.id,
          inboxId: row.inbox_id,
          inboxName: row.inbox_name,
          config: decoded && Either.isRight(decoded) ? decoded.right : { allowedOrigins: [] },
          teamEmail: firstTeamEmail(s, row.inbox_id),
          transcripts: s.transcripts.availableIn(row.inbox_id),
        }
      : null;
    if (channelCache.size > 10_000) channelCache.clear();
    channelCache.set(channelId, { info, expiresAt: now + channelCacheMs });
    return info;
  };

  // Before the channel is known (preflights, bad tokens, malformed bodies) an origin is allowed
  // when any chat channel allows it, so browsers can read the error.
  const originsOfAnyChannel = (s: Services): ReadonlyArray<string> => {
    const now = Date.now();
    if (anyOrigins && anyOrigins.expiresAt > now) return anyOrigins.origins;
    const rows = s.db.prepare("SELECT config FROM channels WHERE kind = 'chat'").all() as Array<{ config: string }>;
    const origins = new Set<string>();
    for (const row of rows) {
      const decoded = decodeChannelConfig(row.config);
      if (Either.isRight(decoded)) for (const origin of decoded.right.allowedOrigins) origins.add(origin);
    }
    anyOrigins = { origins: [...origins], expiresAt: now + channelCacheMs };
    return anyOrigins.origins;
  };

  const cors = (s: Services, req: IncomingMessage, channelId: string | undefined): Headers => {
    const origin = req.headers.origin;
    if (!origin) return {};
    const allowed =
      channelId === undefined
        ? originAllowed(origin, originsOfAnyChannel(s))
        : originAllowed(origin, channelInfo(s, channelId)?.config.allowedOrigins ?? []);
    return corsHeaders(origin, allowed);
  };

  // ---------------------------------------------------------------------------------------
  // Running handlers

  const run = async <A>(effect: Effect.Effect<A, ApiError>): Promise<Exit.Exit<A, ApiError>> => runtime.runPromiseExit(effect);

  /** Sends a handler's Exit: its reply, its expected error, or a 500 for a defect. */
  const answer = (res: ServerResponse, exit: Exit.Exit<Reply, ApiError>, headers: Headers) => {
    if (Exit.isSuccess(exit)) {
      sendJson(res, exit.value.status, exit.value.body, exit.value.headers ? { ...headers, ...exit.value.headers } : headers);
      return;
    }
    sendFailure(res, exit.cause, "public API", headers);
  };

  const authenticate = (s: Services, req: IncomingMessage, query?: URLSearchParams) => {
    const token = bearerToken(req) ?? query?.get("token") ?? undefined;
    if (!token) return Effect.fail(new Unauthenticated({ message: "send the visitor token as `Authorization: Bearer <visitorToken>`" }));
    return s.visitors.verifyToken(token);
  };

  type Visitor = { visitorId: string; channelId: string };

  /** `authenticate` as plain code: verifying a token is synchronous (remembered tokens, one read), so it needs no fiber. */
  const authenticateNow = (s: Services, req: IncomingMessage, query?: URLSearchParams): Exit.Exit<Visitor, ApiError> => {
    const token = bearerToken(req) ?? query?.get("token") ?? undefined;
    if (!token) return Exit.fail(new Unauthenticated({ message: "send the visitor token as `Authorization: Bearer <visitorToken>`" }));
    const visitor = s.visitors.verifyTokenNow(token);
    return Either.isRight(visitor) ? Exit.succeed(visitor.right) : Exit.fail(visitor.left);
  };

  const takeVisitorToken = (visitorId: string): Effect.Effect<void, ApiError> => {
    const limited = limiter.take("visitor", visitorId);
    return limited ? Effect.fail(limited) : Effect.void;
  };

  const fromEither = <A, E extends ApiError>(either: Either.Either<A, E>): Effect.Effect<A, E> =>
    Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left);

  /**
   * The common frame of an authenticated request: verify the token, take a visitor token from
   * the bucket, then run `body` — and answer with CORS for the visitor's channel. Everything up
   * to `body`'s effect is plain code (every visitor request passes here); that effect is the
   * request's one fiber. `body` may read the request body first (a promise of its effect), or
   * answer without a fiber at all (a promise of the Exit).
   */
  const authed = async (
    s: Services,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams | undefined,
    body: (visitor: Visitor) => Effect.Effect<Reply, ApiError> | Promise<Effect.Effect<Reply, ApiError> | Exit.Exit<Reply, ApiError>>,
  ): Promise<void> => {
    let channelId: string | undefined;
    let exit: Exit.Exit<Reply, ApiError>;
    const visitor = authenticateNow(s, req, query);
    if (Exit.isFailure(visitor)) exit = Exit.failCause(visitor.cause);
    else {
      channelId = visitor.value.channelId;
      const limited = limiter.take("visitor", visitor.value.visitorId);
      if (limited) exit = Exit.fail(limited);
      else {
        const outcome = await body(visitor.value);
        exit = Exit.isExit(outcome) ? outcome : await run(outcome);
      }
    }
    answer(res, exit, cors(s, req, channelId));
  };

  const readBody = <A>(req: IncomingMessage, decode: (input: unknown) => Either.Either<A, InvalidInput>) =>
    Effect.flatMap(
      Effect.promise(() => readJsonBody(req, decode)),
      (either) => fromEither(either),
    );

  const anotherChannel = () => new Forbidden({ message: "this visitor token belongs to another channel" });
  const ensureOwnChannel = (visitor: { channelId: string }, channel: string): Effect.Effect<void, Forbidden> =>
    visitor.channelId === channel ? Effect.void : Effect.fail(anotherChannel());

  // ---------------------------------------------------------------------------------------
  // Endpoints

  const widgetConfig = (s: Services, req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const channelId = query.get("channel") ?? "";
    const program = Effect.gen(function* () {
      if (!channelId) return yield* Effect.fail(invalid("channel", "the query needs ?channel=<channel id>"));
      const url = query.get("url") ?? "";
      if (url.length > 2000) return yield* Effect.fail(invalid("url", "a page URL is at most 2,000 characters"));
      const channel = channelInfo(s, channelId);
      if (!channel) return yield* Effect.fail(new NotFound({ entity: "channel", id: channelId }));
      let knownContact = query.get("contact") === "known";
      const token = bearerToken(req) ?? query.get("token");
      if (token) {
        const visitor = yield* Effect.either(s.visitors.verifyToken(token));
        if (Either.isRight(visitor) && visitor.right.channelId === channelId) {
          const row = yield* Effect.either(s.visitors.get(visitor.right.visitorId));
          if (Either.isRight(row) && row.right.contactId) knownContact = true;
        }
      }
      const live = yield* s.chatflows.liveForChannel(channelId);
      const now = Date.now();
      const inbox = inboxNow(s, channel.inboxId);
      const someoneAvailable = inbox.someoneAvailable;
      // The workspace's closed dates, read only when a live flow follows them; a team's hours
      // only for the teams live flows follow (decision 048), once each.
      const workspaceClosed = live.some((entry) => entry.version.spec.settings.availability.workspaceClosedDates) ? readClosedDates(s.db.prepare) : [];
      const teamSchedules = new Map<string, Availability | null>();
      const calendars: ServingCalendars = {
        workspaceClosed,
        teamSchedule: (teamId) => {
          if (!teamSchedules.has(teamId)) teamSchedules.set(teamId, readTeamSchedule(s.db.prepare, teamId));
          return teamSchedules.get(teamId)!;
        },
      };
      const candidates = live.map((entry) => ({
        id: entry.chatflow.id,
        priority: entry.chatflow.priority,
        targeting: entry.version.spec.settings.targeting,
        availability: servedAvailability(entry.version.spec.settings.availability, calendars),
        // Business hours say open, but nobody in the inbox is available: the flow is away.
        ...(someoneAvailable ? {} : { availabilityOverride: false }),
        entry,
      }));
      const chosen = selectChatflow(candidates, {
        url,
        device: deviceFromUserAgent(req.headers["user-agent"]),
        languages: languagesFromHeader(req.headers["accept-language"]),
        knownContact,
        now,
      });
      if (!chosen) return reply(200, { chatflow: null });
      const { entry } = chosen.chatflow;
      // Why it is away by its hours (null while they are open, even if nobody is available).
      const away = chosen.available ? null : awayAt(chosen.chatflow.availability, now);
      // Open inside today's special hours (decision 053): when they end, for "open today until 13:00".
      const closing = chosen.available ? specialClosingAt(chosen.chatflow.availability, now) : null;
      const spec = entry.version.spec;
      const settings = spec.settings;
      const branding = { ...channel.config.branding, ...stripUndefined(settings.branding) };
      return reply(200, {
        chatflow: {
          id: entry.chatflow.id,
          kind: spec.kind,
          versionId: entry.version.id,
          language: spec.language,
          display: {
            welcomeMessage: settings.display.welcomeMessage,
            popOpen: settings.display.popOpen,
            heading: resolveHeading(s, settings.display, channel, branding.name),
            accentColor: withChannelDefault(settings.display.accentColor, DISPLAY_DEFAULTS.accentColor, channel.config.branding?.accentColor, isHexColor),
            launcherPosition: withChannelDefault(
              settings.display.launcherPosition,
              DISPLAY_DEFAULTS.launcherPosition,
              channel.config.branding?.launcherPosition,
              isLauncherPosition,
            ),
          },
          available: chosen.available,
          // How soon the team usually replies (decision 050): only when the flow asks for it and
          // is available (away, the away line says when the team is back instead) and the
          // inbox has enough first replies to say — only its team's when the flow follows a team
          // or its heading shows teams (decision 053).
          replyTime: yield* usualReplyTimeOf(s, settings, chosen.available, channel.inboxId),
          // When the flow is outside its hours (a closed date, or the night): when they open
          // again, so the widget can say when the team is back. Not known when the hours are open
          // but nobody is available, nor when the hours never open.
          opensAt: iso(away?.opensAt ?? null),
          // Away because today is a closed date with a name (a holiday): that name, for the widget to say.
          closedFor: away?.closed?.name ?? null,
          // Available on a special day (a closed date with hours, on the flow's or its team's
          // clock): when its hours end today, and the day's name — null on any other day.
          closesAt: iso(closing?.closesAt ?? null),
          specialDay: closing?.day.name ?? null,
          awayMessage: settings.availability.awayMessage,
          awayBehaviour: settings.availability.awayBehaviour,
          // The team email first: its replies thread into the inbox, which a fallback may not.
          contactEmail: channel.teamEmail ?? addressOrNull(inbox.fallbackEmail),
          // The widget offers "Email me this conversation" only when a team email can send it.
          transcripts: channel.transcripts,
          branding: {
            ...(branding.name !== undefined ? { name: branding.name } : {}),
            ...(branding.logoUrl !== undefined ? { logoUrl: branding.logoUrl } : {}),
            // Shown only when neither the chatflow nor the channel turns it off (a spec always says true by default).
            showPoweredBy: (settings.branding.showPoweredBy ?? true) && (channel.config.branding?.showPoweredBy ?? true),
          },
        },
      });
    });
    return run(program).then((exit) => answer(res, exit, cors(s, req, channelInfo(s, channelId) ? channelId : undefined)));
  };

  /** The inbox's usual reply time, or its teams' when the flow follows a team or its heading shows teams (decision 053). */
  const usualReplyTimeOf = (s: Services, settings: FlowSpec["settings"], available: boolean, inboxId: string) =>
    settings.display.replyTime !== "auto" || !available
      ? Effect.succeed(null)
      : Effect.map(s.replyTime.forTeams(inboxId, replyTimeTeams(settings)), (bucket) => (bucket === null ? null : { bucket }));

  /**
   * The inbox as it is this moment, in one read: whether any member is available, and its
   * fallback email. Not cached: Settings → Inboxes sends no change signal, and this read is
   * needed per request for availability anyway, so the fallback rides along for free.
   */
  const inboxNow = (s: Services, inboxId: string): { readonly someoneAvailable: boolean; readonly fallbackEmail: string | null } => {
    const row = s.db
      .prepare(
        `SELECT i.fallback_email,
           EXISTS (SELECT 1 FROM inbox_members m JOIN users u ON u.id = m.user_id
                   WHERE m.inbox_id = i.id AND u.availability = 'available' AND u.disabled_at IS NULL) AS someone_available
         FROM inboxes i WHERE i.id = ?`,
      )
      .get(inboxId) as { fallback_email: string | null; someone_available: number } | undefined;
    return { someoneAvailable: row?.someone_available === 1, fallbackEmail: row?.fallback_email ?? null };
  };

  const resolveHeading = (s: Services, display: Display, channel: ChannelInfo, brandName: string | undefined) => {
    const heading = display.heading;
    if (heading.type === "custom") return { name: heading.name, avatars: [{ name: heading.name, avatarUrl: heading.avatarUrl ?? null }] };
    type UserRow = { id: string; name: string; display_name: string | null; avatar_url: string | null };
    const users = new Map<string, UserRow>();
    const selectUser = s.db.prepare("SELECT id, name, display_name, avatar_url FROM users WHERE id = ? AND disabled_at IS NULL");
    for (const id of heading.userIds) {
      const row = selectUser.get(id) as UserRow | undefined;
      if (row) users.set(row.id, row);
    }
    const selectTeam = s.db.prepare(
      "SELECT u.id, u.name, u.display_name, u.avatar_url FROM team_members t JOIN users u ON u.id = t.user_id WHERE t.team_id = ? AND u.disabled_at IS NULL ORDER BY u.created_at",
    );
    for (const teamId of heading.teamIds) for (const row of selectTeam.all(teamId) as UserRow[]) users.set(row.id, row);
    if (heading.userIds.length === 0 && heading.teamIds.length === 0) {
      const members = s.db
        .prepare(
          "SELECT u.id, u.name, u.display_name, u.avatar_url FROM inbox_members m JOIN users u ON u.id = m.user_id WHERE m.inbox_id = ? AND u.disabled_at IS NULL ORDER BY u.created_at",
        )
        .all(channel.inboxId) as UserRow[];
      for (const row of members) users.set(row.id, row);
    }
    const agents = [...users.values()].slice(0, 3).map((u) => ({ name: u.display_name || u.name, avatarUrl: u.avatar_url }));
    const name = agents.length === 1 ? agents[0]!.name : (brandName ?? channel.inboxName);
    return { name, avatars: agents };
  };

  const createVisitor = (s: Services, req: IncomingMessage, res: ServerResponse) => {
    let channelId: string | undefined;
    const program = Effect.gen(function* () {
      const limited = limiter.take("visitorCreation", clientIp(req, options.trustedProxies ?? s.config.trustedProxies));
      if (limited) return yield* Effect.fail(limited);
      const body = yield* readBody(req, decodeCreateVisitor);
      if (channelInfo(s, body.channel)) channelId = body.channel;
      const created = yield* s.visitors.create({
        channelId: body.channel,
        userAgent: req.headers["user-agent"],
        languages: languagesFromHeader(req.headers["accept-language"]),
        device: deviceFromUserAgent(req.headers["user-agent"]),
        ...(body.pageUrl !== undefined ? { pageUrl: body.pageUrl } : {}),
      });
      return reply(201, { visitorToken: created.visitorToken });
    });
    return run(program).then((exit) => answer(res, exit, cors(s, req, channelId)));
  };

  const identify = (s: Services, req: IncomingMessage, res: ServerResponse) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeIdentify);
        const result = yield* s.visitors.identify({
          visitorId: visitor.visitorId,
          email: body.email,
          hash: body.hash,
          ...(body.name !== undefined ? { name: body.name } : {}),
        });
        return reply(200, result.verified ? { verified: true } : { verified: false, reason: result.reason });
      }),
    );

  const setAttributes = (s: Services, req: IncomingMessage, res: ServerResponse) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeAttributes);
        yield* Effect.mapError(s.visitors.setAttributes(visitor.visitorId, body.attributes), (error) =>
          error._tag === "InvalidInput"
            ? new InvalidInput({ issues: error.issues.map((i) => ({ ...i, path: i.path ? `attributes.${i.path}` : "attributes" })) })
            : error,
        );
        return reply(200, { ok: true });
      }),
    );

  const startConversation = (s: Services, req: IncomingMessage, res: ServerResponse) =>
    authed(s, req, res, undefined, async (visitor) => {
      // Read before the effect: a fiber would only wait for the bytes.
      const decoded = await readJsonBody(req, decodeStartConversation);
      if (Either.isLeft(decoded)) return Exit.fail(decoded.left);
      const body = decoded.right;
      if (visitor.channelId !== body.channel) return Exit.fail(anotherChannel());
      const exit = await s.engine.direct.startConversation({
        visitorId: visitor.visitorId,
        channelId: body.channel,
        chatflowId: body.chatflowId,
        pageUrl: body.pageUrl,
      });
      return Exit.map(exit, (view) => reply(201, { conversation: view.conversation, messages: view.messages.map(publicMessage), awaiting: view.awaiting }));
    });

  const getConversation = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.map(s.engine.getConversation({ conversationId, visitorId: visitor.visitorId }), (view) =>
        reply(200, { conversation: view.conversation, messages: view.messages.map(publicMessage), awaiting: view.awaiting }),
      ),
    );

  const sendMessage = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, async (visitor) => {
      const decoded = await readJsonBody(req, decodeSendMessage);
      if (Either.isLeft(decoded)) return Exit.fail(decoded.left);
      const body = decoded.right;
      const exit = await s.engine.direct.handleVisitorMessage({
        conversationId,
        visitorId: visitor.visitorId,
        clientMessageId: body.clientMessageId,
        ...(body.text !== undefined ? { text: body.text } : {}),
        ...(body.choice !== undefined ? { choiceIds: typeof body.choice === "string" ? [body.choice] : body.choice } : {}),
      });
      return Exit.map(exit, (result) => reply(200, { messages: result.messages.map(publicMessage), awaiting: result.awaiting, status: result.status }));
    });

  const listMessages = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string, query: URLSearchParams) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const afterParam = query.get("after");
        const after = afterParam === null || afterParam === "" ? undefined : yield* fromEither(decodeMessageIdAt("after", afterParam));
        const messages = yield* s.engine.listMessages({
          conversationId,
          visitorId: visitor.visitorId,
          ...(after !== undefined ? { after } : {}),
        });
        return reply(200, { messages: messages.map(publicMessage) });
      }),
    );

  /** The widget showed the conversation through `through` (panel open, page in view); see Engine.markSeen. */
  const markSeen = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeSeen);
        const seen = yield* s.engine.markSeen({ conversationId, visitorId: visitor.visitorId, through: body.through });
        return reply(200, { seen: { through: String(seen.through), at: new Date(seen.at).toISOString() } });
      }),
    );

  /** Whether the visitor may rate their conversation now (closed, a person took part), and their rating so far. */
  const getRating = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.map(s.ratings.stateFor({ conversationId, visitorId: visitor.visitorId }), (state) =>
        reply(200, { rateable: state.rateable, rating: state.rating === null ? null : publicRating(state.rating) }),
      ),
    );

  /** The visitor rates their closed conversation (1–5, optional comment); a later rating replaces the earlier. See Ratings.rate. */
  const rate = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeRating);
        const rating = yield* s.ratings.rate({ conversationId, visitorId: visitor.visitorId, body });
        return reply(200, { rating: publicRating(rating) });
      }),
    );

  /** What the widget may offer: whether transcripts can be sent, the visitor's address (masked) and how many more they may ask for. */
  const getTranscript = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.map(s.transcripts.stateForVisitor({ conversationId, visitorId: visitor.visitorId }), (state) => reply(200, state)),
    );

  /**
   * The visitor asks for their conversation by email (to `email`, else their contact's address):
   * 202 once it is queued (Transcripts.requestByVisitor). The IP's and the visitor's transcript
   * buckets are taken only by a request that would be queued, after every other check.
   */
  const requestTranscript = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeTranscript);
        const ip = clientIp(req, options.trustedProxies ?? s.config.trustedProxies);
        const queued = yield* s.transcripts.requestByVisitor({
          conversationId,
          visitorId: visitor.visitorId,
          body,
          admit: () => transcriptLimiter.take("transcriptIp", ip) ?? transcriptLimiter.take("transcriptVisitor", visitor.visitorId),
        });
        return reply(202, { transcript: { id: queued.id, to: queued.recipient, status: "queued" } });
      }),
    );

  /**
   * A visitor's file (multipart: `file`, `clientMessageId`, optional `text`) as their message in a
   * conversation with people (Engine.visitorFile). The conversation is checked before a byte of
   * the upload is read — someone else's is 404/403 as for messages, one the bot holds is 409 —
   * and the file is measured while it streams: 413 at `file` at the first byte past the limit.
   */
  const uploadFile = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string) =>
    authed(s, req, res, undefined, async (visitor) => {
      const row = s.db.prepare("SELECT visitor_id, status FROM conversations WHERE id = ?").get(conversationId) as
        | { visitor_id: string | null; status: string }
        | undefined;
      const early =
        row === undefined
          ? new NotFound({ entity: "conversation", id: conversationId })
          : row.visitor_id !== visitor.visitorId
            ? new Forbidden({ message: "this conversation belongs to another visitor" })
            : row.status === "bot"
              ? new Conflict({ message: "the bot is asking a question: answer it first" })
              : undefined;
      if (early !== undefined) {
        // The upload may still be arriving: let it drain so the client reads this answer.
        req.resume();
        return Exit.fail(early);
      }
      const read = await readMultipart(req, FILE_UPLOAD_LIMITS);
      if (!read.ok) {
        const { status, path, message } = read.refusal;
        const code = status === 413 ? "payload_too_large" : status === 415 ? "unsupported_media_type" : "invalid_input";
        const body = { error: { code, message: path ? `${path}: ${message}` : message, ...(path ? { path } : {}) } };
        const refusal: Reply = { status, body, ...(status === 413 ? { headers: { Connection: "close" } } : {}) };
        return Exit.succeed(refusal);
      }
      const clientMessageId = read.fields.get("clientMessageId");
      if (clientMessageId === undefined || clientMessageId === "") return Exit.fail(invalid("clientMessageId", "a client message id is required"));
      const text = read.fields.get("text") ?? "";
      if (text.length > MAX_TEXT_LENGTH) {
        return Exit.fail(invalid("text", `a caption is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters`));
      }
      const file = read.file;
      if (file === null || file.content.length === 0) {
        return Exit.fail(invalid("file", file === null ? "attach a file in the field named file" : "the file is empty"));
      }
      return Effect.map(
        s.engine.visitorFile({ conversationId, visitorId: visitor.visitorId, clientMessageId, text, file }),
        (result) => reply(200, { messages: result.messages.map(publicMessage), awaiting: result.awaiting, status: result.status }),
      );
    });

  /**
   * One file of a visible message of the visitor's own conversation, with the inbox download's
   * safe headers (attachmentHeaders) and a private cache; anything else is the same 404.
   */
  const downloadAttachment = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string, attachmentId: string) => {
    let channelId: string | undefined;
    const program = Effect.gen(function* () {
      const visitor = yield* authenticate(s, req);
      channelId = visitor.channelId;
      yield* takeVisitorToken(visitor.visitorId);
      return yield* attachmentForVisitor(s.db.prepare, { conversationId, visitorId: visitor.visitorId, attachmentId });
    });
    return run(program).then((exit) => {
      const headers = cors(s, req, channelId);
      if (Exit.isFailure(exit)) {
        answer(res, exit as Exit.Exit<never, ApiError>, headers);
        return;
      }
      const file = exit.value;
      res.writeHead(200, { ...headers, ...attachmentHeaders(file), "Cache-Control": `private, max-age=${ATTACHMENT_CACHE_SECONDS}` });
      res.end(file.data);
    });
  };

  const leaveAwayMessage = (s: Services, req: IncomingMessage, res: ServerResponse) =>
    authed(s, req, res, undefined, (visitor) =>
      Effect.gen(function* () {
        const body = yield* readBody(req, decodeAwayMessage);
        yield* ensureOwnChannel(visitor, body.channel);
        const created = yield* s.visitors.leaveAwayMessage({
          visitorId: visitor.visitorId,
          channelId: body.channel,
          chatflowId: body.chatflowId,
          email: body.email,
          text: body.text,
          pageUrl: body.pageUrl,
        });
        return reply(201, { conversation: { id: created.conversationId, status: "open" } });
      }),
    );

  // ---------------------------------------------------------------------------------------
  // Server-sent events

  const stream = (s: Services, req: IncomingMessage, res: ServerResponse, conversationId: string, query: URLSearchParams) => {
    let channelId: string | undefined;
    // The header wins: a reconnecting EventSource sends the newest id there, while its URL still
    // holds the id it was opened with.
    const fromHeader = req.headers["last-event-id"] !== undefined;
    const lastEventId = req.headers["last-event-id"] ?? query.get("lastEventId") ?? undefined;
    const setup = Effect.gen(function* () {
      const visitor = yield* authenticate(s, req, query);
      channelId = visitor.channelId;
      yield* takeVisitorToken(visitor.visitorId);
      const after =
        lastEventId === undefined || lastEventId === ""
          ? undefined
          : yield* fromEither(decodeMessageIdAt(fromHeader ? "Last-Event-ID" : "lastEventId", String(lastEventId)));
      // Subscribe before reading the backlog so nothing committed in between is missed;
      // events that arrive meanwhile wait in `pending` and are de-duplicated by id.
      const pending: LiveEvent[] = [];
      let deliver: (event: LiveEvent) => void = (event) => pending.push(event);
      const unsubscribe = s.live.subscribeConversation(conversationId, (event) => deliver(event));
      const backlog = yield* Effect.either(
        after === undefined
          ? Effect.map(s.engine.getConversation({ conversationId, visitorId: visitor.visitorId }), () => [] as ApiMessage[])
          : s.engine.listMessages({ conversationId, visitorId: visitor.visitorId, after }),
      );
      if (Either.isLeft(backlog)) {
        unsubscribe();
        return yield* Effect.fail(backlog.left);
      }
      return {
        backlog: backlog.right,
        pending,
        unsubscribe,
        setDeliver: (fn: (event: LiveEvent) => void) => {
          deliver = fn;
        },
      };
    });

    return run(setup).then((exit) => {
      const headers = cors(s, req, channelId);
      if (Exit.isFailure(exit)) {
        answer(res, exit as Exit.Exit<never, ApiError>, headers);
        return;
      }
      const { backlog, pending, unsubscribe, setDeliver } = exit.value;
      if (req.destroyed || res.destroyed) {
        unsubscribe();
        return;
      }
      res.writeHead(200, {
        ...headers,
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
      res.write("retry: 3000\n\n");
      const sent = new Set<string>();
      const writeMessage = (message: ApiMessage) => {
        if (sent.has(message.id)) return;
        sent.add(message.id);
        res.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(publicMessage(message))}\n\n`);
      };
      const writeEvent = (event: LiveEvent) => {
        switch (event.kind) {
          case "message": {
            if (event.internal) return;
            const message = event.data as ApiMessage | undefined;
            if (message && typeof message.id === "string") writeMessage(message);
            return;
          }
          case "typing": {
            const data = event.data as { typing?: unknown } | undefined;
            res.write(`event: typing\ndata: ${JSON.stringify({ author: "agent", typing: data?.typing === true })}\n\n`);
            return;
          }
          case "status": {
            const data = event.data as { status?: unknown } | undefined;
            if (typeof data?.status === "string") res.write(`event: status\ndata: ${JSON.stringify({ status: data.status })}\n\n`);
            return;
          }
          default:
            return;
        }
      };
      for (const message of backlog) writeMessage(message);
      for (const event of pending) writeEvent(event);
      setDeliver(writeEvent);

      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
      heartbeat.unref();
      const end = () => {
        if (!streams.delete(end)) return;
        clearInterval(heartbeat);
        unsubscribe();
        if (!res.writableEnded) res.end();
      };
      streams.add(end);
      req.on("close", end);
      res.on("close", end);
    });
  };

  // ---------------------------------------------------------------------------------------
  // Routing

  const ROUTES =
    /^\/api\/(?:widget\/config|visitors(?:\/identify|\/attributes)?|conversations(?:\/[^/]+(?:\/messages|\/stream|\/seen|\/rating|\/transcript|\/files|\/attachments\/[^/]+)?)?|away-messages)\/?$/;

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const s = await services;
    const method = req.method ?? "GET";

    if (method === "OPTIONS") {
      const origin = req.headers.origin;
      if (origin && originAllowed(origin, originsOfAnyChannel(s))) res.writeHead(204, preflightHeaders(origin));
      else res.writeHead(204, { Vary: "Origin" });
      res.end();
      return;
    }

    const limited = limiter.take("ip", clientIp(req, options.trustedProxies ?? s.config.trustedProxies));
    if (limited) {
      sendError(res, limited, cors(s, req, undefined));
      return;
    }

    if (!ROUTES.test(path)) return sendRouteNotFound(res, cors(s, req, undefined));
    const segments = path.replace(/\/$/, "").split("/").slice(2); // ["conversations", id, "messages"]
    const [first, second, third, fourth] = segments;
    const wrong = (allow: string) => sendMethodNotAllowed(res, allow, cors(s, req, undefined));
    // Checked before the token and before a byte of the body is read, so it costs nothing.
    const post = (serve: () => unknown) => {
      if (method !== "POST") return wrong("POST");
      if (!isJsonContentType(req.headers["content-type"])) return sendUnsupportedMediaType(res, cors(s, req, undefined));
      return serve();
    };

    switch (first) {
      case "widget":
        return method === "GET" ? widgetConfig(s, req, res, query) : wrong("GET");
      case "visitors":
        if (second === undefined) return post(() => createVisitor(s, req, res));
        if (second === "identify") return post(() => identify(s, req, res));
        return post(() => setAttributes(s, req, res));
      case "away-messages":
        return post(() => leaveAwayMessage(s, req, res));
      case "conversations": {
        if (second === undefined) return post(() => startConversation(s, req, res));
        const conversationId = decodePathSegment(second);
        if (conversationId === undefined) return sendRouteNotFound(res, cors(s, req, undefined));
        if (third === undefined) return method === "GET" ? getConversation(s, req, res, conversationId) : wrong("GET");
        if (third === "stream") return method === "GET" ? stream(s, req, res, conversationId, query) : wrong("GET");
        if (third === "seen") return post(() => markSeen(s, req, res, conversationId));
        if (third === "rating") {
          if (method === "GET") return getRating(s, req, res, conversationId);
          return method === "POST" ? post(() => rate(s, req, res, conversationId)) : wrong("GET, POST");
        }
        if (third === "transcript") {
          if (method === "GET") return getTranscript(s, req, res, conversationId);
          return method === "POST" ? post(() => requestTranscript(s, req, res, conversationId)) : wrong("GET, POST");
        }
        if (third === "files") {
          if (method !== "POST") return wrong("POST");
          // Checked before the token and before a byte of the body is read, as JSON bodies are.
          if (!isMultipartFormData(req.headers["content-type"])) {
            return sendUnsupportedMediaType(res, cors(s, req, undefined), { type: "multipart/form-data", message: "send the file as multipart/form-data (a `file` part and a `clientMessageId` field)" });
          }
          return uploadFile(s, req, res, conversationId);
        }
        if (third === "attachments") {
          const attachmentId = fourth === undefined ? undefined : decodePathSegment(fourth);
          if (attachmentId === undefined) return sendRouteNotFound(res, cors(s, req, undefined));
          return method === "GET" ? downloadAttachment(s, req, res, conversationId, attachmentId) : wrong("GET");
        }
        if (method === "POST") return post(() => sendMessage(s, req, res, conversationId));
        if (method === "GET") return listMessages(s, req, res, conversationId, query);
        return wrong("GET, POST");
      }
    }
    sendRouteNotFound(res, cors(s, req, undefined));
  };

  return {
    // All of /api is the public API's (but /api/v1, which the REST API takes first): an unknown
    // path answers a JSON 404 (and a preflight to it the usual 204), not Remix's HTML page.
    handle: serveUnder("/api", "public API", route),
    close: () => {
      for (const end of [...streams]) end();
      stopListening?.();
      stopListening = () => {};
    },
    streamCount: () => streams.size,
    rateLimiter: limiter,
  };
};

const decodeMessageIdAt = (path: string, value: string) =>
  Either.mapLeft(decodeMessageId(value), (error) => new InvalidInput({ issues: error.issues.map((i) => ({ ...i, path })) }));

const stripUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
