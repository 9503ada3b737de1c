/**
 * Channels: the admin's view of the workspace's channels and the chat channel's configuration —
 * which site origins may embed the widget, the branding defaults, and the identity secret.
 *
 * The chat config is stored in `channels.config` as `{"allowedOrigins":[...],"branding":{...}}`,
 * the shape the public API (server/public-api.ts) reads for CORS and branding. Other keys in that
 * object are kept as they are. The identity secret is stored raw in `channels.identity_secret`,
 * because Visitors needs it to verify each identify HMAC; it leaves this service only once, as
 * the value `rotateIdentitySecret` returns. Everything else sees a four-character hint.
 *
 * Listeners registered with `onChange` hear about a change after it committed, so caches (the
 * public API keeps channel configs for CORS) can drop their entry at once.
 */
import { Context, Effect, Either, Layer, ParseResult, Schema as S } from "effect";
import { decodeWith } from "../../flows/decode.js";
import { auditActor, recordAudit, type AuditAction, type AuditActor } from "./audit-log.js";
import { Database, type Sqlite } from "./database.js";
import { InvalidInput, NotFound } from "./errors.js";
import { now } from "./clock.js";
import { newId, newSecret } from "./ids.js";

// ---------------------------------------------------------------------------------------------
// Schemas

export const channelKinds = ["chat", "form", "email", "messenger"] as const;
export type ChannelKind = (typeof channelKinds)[number];

export const launcherPositions = ["bottom_right", "bottom_left"] as const;
export type LauncherPosition = (typeof launcherPositions)[number];

/** Most origins one chat channel lists. */
export const MAX_ALLOWED_ORIGINS = 100;

const ORIGIN_MESSAGE = "expected an origin like https://example.com (scheme and host, no path), or *";

/**
 * The origin a line names, normalised as a browser sends it in `Origin` (lower-case host,
 * punycode, no default port), or an error message. `*` stands for every origin. Pure.
 */
export const parseOrigin = (input: string): Either.Either<string, string> => {
  const text = input.trim();
  if (text === "*") return Either.right("*");
  if (!/^https?:\/\//i.test(text)) return Either.left(ORIGIN_MESSAGE);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return Either.left(ORIGIN_MESSAGE);
  }
  if (url.username !== "" || url.password !== "") return Either.left("an origin has no user name or password");
  // `new URL` turns "https://example.com" into ".../" — one trailing slash is the same origin.
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(text)) {
    return Either.left(`an origin has no path: use ${url.origin}, not ${text}`);
  }
  return Either.right(url.origin);
};

const AllowedOrigin = S.transformOrFail(S.String, S.String, {
  strict: true,
  decode: (input, _options, ast) =>
    Either.match(parseOrigin(input), {
      onLeft: (message) => Either.left(new ParseResult.Type(ast, input, message)),
      onRight: Either.right,
    }),
  encode: Either.right,
});

const isHttpUrl = (text: string): boolean => {
  if (!/^https?:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname !== "";
  } catch {
    return false;
  }
};

// Exact: a field is given or absent; `undefined` is not a value (and would double each issue).
const exact = { exact: true } as const;

/** Branding a chat channel gives its chatflows unless a chatflow sets its own; "" clears a field. */
export const ChatBrandingInput = S.Struct({
  /** The name in the widget's heading when agents' names are not shown. */
  name: S.optionalWith(S.Trim.pipe(S.maxLength(100, { message: () => "a name is at most 100 characters" })), exact),
  logoUrl: S.optionalWith(
    S.Trim.pipe(
      S.maxLength(2000, { message: () => "a logo URL is at most 2,000 characters" }),
      S.filter((text) => text === "" || isHttpUrl(text), { message: () => "expected an http(s) URL like https://example.com/logo.png" }),
    ),
    exact,
  ),
  accentColor: S.optionalWith(
    S.Trim.pipe(S.filter((text) => text === "" || /^#[0-9a-fA-F]{6}$/.test(text), { message: () => "a colour is #rrggbb, like #0b7285" })),
    exact,
  ),
  launcherPosition: S.optionalWith(
    S.String.pipe(
      S.filter((text) => text === "" || (launcherPositions as ReadonlyArray<string>).includes(text), {
        message: () => `expected one of ${launcherPositions.join(", ")}`,
      }),
    ),
    exact,
  ),
  showPoweredBy: S.optionalWith(S.Boolean, exact),
});

/**
 * Minutes after an agent's reply that a chat visitor who has not seen it gets it by email
 * (follow-ups.ts), when they are a contact with an address; 0 turns it off. On by default, as
 * in the hosted suites: an answer nobody reads is the worst outcome of a chat.
 */
export const CHAT_FOLLOW_UP_DEFAULT_MINUTES = 5;
/** The longest wait an admin may set: a day. */
export const CHAT_FOLLOW_UP_MAX_MINUTES = 1440;

/** What an admin sends to change a chat channel: the whole list of origins and the branding (and the follow-up wait, kept when absent). */
export const ChatConfigInput = S.Struct({
  allowedOrigins: S.Array(AllowedOrigin).pipe(
    S.maxItems(MAX_ALLOWED_ORIGINS, { message: () => `at most ${MAX_ALLOWED_ORIGINS} origins` }),
  ),
  branding: ChatBrandingInput,
  followUpMinutes: S.optionalWith(
    S.Number.pipe(
      S.filter((n) => Number.isInteger(n) && n >= 0 && n <= CHAT_FOLLOW_UP_MAX_MINUTES, {
        message: () => `a whole number of minutes from 0 (off) to ${CHAT_FOLLOW_UP_MAX_MINUTES}`,
      }),
    ),
    exact,
  ),
});

/** Branding as stored and shown: empty fields are absent; `showPoweredBy` always says. */
export interface ChatBranding {
  readonly name?: string;
  readonly logoUrl?: string;
  readonly accentColor?: string;
  readonly launcherPosition?: LauncherPosition;
  readonly showPoweredBy: boolean;
}

export interface ChatChannelConfig {
  readonly allowedOrigins: ReadonlyArray<string>;
  readonly branding: ChatBranding;
  /** Minutes before unseen agent replies are emailed to the visitor; 0 = never. */
  readonly followUpMinutes: number;
}

/** A chat channel's settings as the admin screen shows them; the secret only as a hint. */
export interface ChatSettings extends ChatChannelConfig {
  readonly identitySecret: {
    readonly configured: boolean;
    /** The secret's last four characters, to tell secrets apart; null when there is none. */
    readonly hint: string | null;
  };
}

export interface ChannelListItem {
  readonly id: string;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly inboxId: string;
  readonly inboxName: string;
  readonly createdAt: number;
}

export interface ChannelDetails extends ChannelListItem {
  /** Present for chat channels only. */
  readonly chat: ChatSettings | null;
}

// Stored configs are read leniently: a hand-edited or older row must still open in the settings.
const StoredConfig = S.Struct({
  allowedOrigins: S.optionalWith(S.Array(S.String), { default: () => [] }),
  branding: S.optionalWith(
    S.Struct({
      name: S.optional(S.String),
      logoUrl: S.optional(S.String),
      accentColor: S.optional(S.String),
      launcherPosition: S.optional(S.String),
      showPoweredBy: S.optional(S.Boolean),
    }),
    { default: () => ({}) },
  ),
  followUpMinutes: S.optional(S.Unknown),
});
const decodeStored = S.decodeUnknownEither(StoredConfig);

/** A stored JSON object (a channel's config); anything unreadable or not an object reads as empty. Pure. */
export const parseJsonObject = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** The chat config a stored `channels.config` text holds (bad parts read as empty). Pure. */
export const readChatConfig = (configText: string): ChatChannelConfig => {
  const decoded = decodeStored(parseJsonObject(configText));
  const stored = Either.isRight(decoded) ? decoded.right : { allowedOrigins: [], branding: {}, followUpMinutes: undefined };
  return { allowedOrigins: stored.allowedOrigins, branding: cleanBranding(stored.branding), followUpMinutes: followUpMinutesOf(stored.followUpMinutes) };
};

/** A stored follow-up wait, or the default when it is absent or not a valid number of minutes. Pure. */
export const followUpMinutesOf = (value: unknown): number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= CHAT_FOLLOW_UP_MAX_MINUTES ? value : CHAT_FOLLOW_UP_DEFAULT_MINUTES;

const cleanBranding = (input: {
  readonly name?: string | undefined;
  readonly logoUrl?: string | undefined;
  readonly accentColor?: string | undefined;
  readonly launcherPosition?: string | undefined;
  readonly showPoweredBy?: boolean | undefined;
}): ChatBranding => {
  const text = (value: string | undefined) => (value !== undefined && value.trim() !== "" ? value.trim() : undefined);
  const name = text(input.name);
  const logoUrl = text(input.logoUrl);
  const accentColor = text(input.accentColor)?.toLowerCase();
  const position = text(input.launcherPosition);
  const launcherPosition = (launcherPositions as ReadonlyArray<string>).includes(position ?? "") ? (position as LauncherPosition) : undefined;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(logoUrl !== undefined ? { logoUrl } : {}),
    ...(accentColor !== undefined ? { accentColor } : {}),
    ...(launcherPosition !== undefined ? { launcherPosition } : {}),
    showPoweredBy: input.showPoweredBy ?? true,
  };
};

/**
 * The stored config text after an admin's change: `allowedOrigins` and `branding` replaced,
 * every other key of the stored object kept. Pure.
 */
export const mergeChatConfig = (configText: string, config: ChatConfigChange): string =>
  JSON.stringify({
    ...parseJsonObject(configText),
    allowedOrigins: config.allowedOrigins,
    branding: config.branding,
    ...(config.followUpMinutes !== undefined ? { followUpMinutes: config.followUpMinutes } : {}),
  });

/** An admin's change of a chat channel: the follow-up wait stays as stored when it is not given. */
export type ChatConfigChange = Omit<ChatChannelConfig, "followUpMinutes"> & { readonly followUpMinutes?: number | undefined };

/** The hint shown for a stored secret: its last four characters. Pure. */
export const secretHint = (secret: string | null): string | null => (secret ? secret.slice(-4) : null);

// ---------------------------------------------------------------------------------------------
// Service

export interface ChannelsShape {
  /** Every channel with its inbox's name, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<ChannelListItem>>;
  /** One channel; for a chat channel also its origins, branding and a hint of its secret. */
  readonly get: (id: string) => Effect.Effect<ChannelDetails, NotFound>;
  /**
   * Replaces a chat channel's allowed origins and branding (decoded from `input`, origins
   * normalised and de-duplicated); other config keys stay. Fails NotFound for a channel that
   * is not a chat channel.
   */
  readonly updateChatConfig: (id: string, input: unknown) => Effect.Effect<ChatSettings, NotFound | InvalidInput>;
  /**
   * Gives a chat channel a new random identity secret (256 bits, hex) and returns it — the only
   * time it is handed out. The old secret stops verifying at once.
   */
  readonly rotateIdentitySecret: (id: string) => Effect.Effect<string, NotFound>;
  /**
   * Adds a channel of `kind` (decoded from `input`: `{kind, name, inboxId}`) delivering into an
   * existing inbox. A chat channel starts with no allowed origins and a fresh identity secret;
   * other kinds start with an empty config that their own settings fill in.
   */
  readonly create: (input: unknown) => Effect.Effect<ChannelListItem, InvalidInput>;
  /** Renames a channel or moves it to another inbox (decoded from `input`: `{name, inboxId}`). */
  readonly update: (id: string, input: unknown) => Effect.Effect<ChannelListItem, NotFound | InvalidInput>;
  /**
   * Rewrites a channel's stored config (a JSON object) in one transaction: `change` receives the
   * stored object (`{}` when unreadable) and returns the new one. For the kinds' own services
   * (email, Messenger, forms), which keep their settings in `channels.config`. Fails NotFound when
   * the channel does not exist or is of another kind; listeners hear about it after the commit.
   */
  readonly writeConfig: <E = never>(
    id: string,
    kind: ChannelKind,
    change: (stored: Record<string, unknown>) => Either.Either<Record<string, unknown>, E>,
  ) => Effect.Effect<Record<string, unknown>, NotFound | E>;
  /** The stored config object of a channel of `kind` (`{}` when unreadable). */
  readonly readConfig: (id: string, kind: ChannelKind) => Effect.Effect<Record<string, unknown>, NotFound>;
  /** Calls `listener` with a channel's id after a change to it committed; returns the unsubscribe function. */
  readonly onChange: (listener: (channelId: string) => void) => () => void;
}

export class Channels extends Context.Tag("Channels")<Channels, ChannelsShape>() {}

interface ChannelRow {
  readonly id: string;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly inbox_id: string;
  readonly inbox_name: string;
  readonly config: string;
  readonly identity_secret: string | null;
  readonly created_at: number;
}

const SELECT_CHANNEL = `SELECT c.id, c.name, c.kind, c.inbox_id, i.name AS inbox_name, c.config, c.identity_secret, c.created_at
  FROM channels c JOIN inboxes i ON i.id = c.inbox_id`;

const toListItem = (row: ChannelRow): ChannelListItem => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  inboxId: row.inbox_id,
  inboxName: row.inbox_name,
  createdAt: row.created_at,
});

const chatSettings = (config: ChatChannelConfig, secret: string | null): ChatSettings => ({
  ...config,
  identitySecret: { configured: secret !== null && secret !== "", hint: secretHint(secret) },
});

const decodeInput = decodeWith(ChatConfigInput);

const ChannelName = S.Trim.pipe(
  S.minLength(1, { message: () => "a channel needs a name" }),
  S.maxLength(80, { message: () => "a channel name is at most 80 characters" }),
);
const InboxId = S.String.pipe(S.minLength(1, { message: () => "choose an inbox" }), S.maxLength(100));
export const CreateChannelInput = S.Struct({
  kind: S.Literal(...channelKinds).annotations({ message: () => ({ message: "choose a kind: chat, form, email or messenger", override: true }) }),
  name: ChannelName,
  inboxId: InboxId,
});
export const UpdateChannelInput = S.Struct({ name: ChannelName, inboxId: InboxId });
const decodeCreate = decodeWith(CreateChannelInput);
const decodeUpdate = decodeWith(UpdateChannelInput);

/** The service over the app's Database. */
const SETTINGS_ACTION = {
  chat: "channel.chat_settings_changed",
  email: "channel.email_settings_changed",
  messenger: "channel.messenger_settings_changed",
  form: "channel.form_settings_changed",
} as const satisfies Record<ChannelKind, AuditAction>;

/**
 * The audit line of a channel's settings change, inside its write: which settings changed, by
 * name only (their values can be passwords and tokens). Nothing when nothing changed.
 */
const auditConfigChange = (
  sqlite: Sqlite,
  audit: AuditActor,
  channel: { readonly id: string; readonly kind: ChannelKind; readonly name: string },
  before: Record<string, unknown>,
  after: Record<string, unknown>,
) => {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).sort();
  if (changed.length === 0) return;
  recordAudit(sqlite, now(), audit, { action: SETTINGS_ACTION[channel.kind], target: { type: "channel", id: channel.id, label: channel.name }, data: { changed } });
};

export const layer: Layer.Layer<Channels, never, Database> = Layer.effect(
  Channels,
  Effect.gen(function* () {
    const db = yield* Database;
    const listeners = new Set<(channelId: string) => void>();

    const notify = (channelId: string) => {
      for (const listener of [...listeners]) {
        try {
          listener(channelId);
        } catch (error) {
          // A broken cache must not fail the admin's save, which already committed.
          console.error("Channels listener failed:", error);
        }
      }
    };

    const loadRow = (id: string): Effect.Effect<ChannelRow, NotFound> =>
      Effect.suspend(() => {
        const row = db.prepare(`${SELECT_CHANNEL} WHERE c.id = ?`).get(id) as ChannelRow | undefined;
        return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "channel", id }));
      });

    const loadChatRow = (id: string): Effect.Effect<ChannelRow, NotFound> =>
      Effect.flatMap(loadRow(id), (row) => (row.kind === "chat" ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "chat channel", id }))));

    const list: ChannelsShape["list"] = () =>
      Effect.sync(() => (db.prepare(`${SELECT_CHANNEL} ORDER BY c.created_at, c.id`).all() as ChannelRow[]).map(toListItem));

    const get: ChannelsShape["get"] = Effect.fn("Channels.get")(function* (id) {
      const row = yield* loadRow(id);
      return { ...toListItem(row), chat: row.kind === "chat" ? chatSettings(readChatConfig(row.config), row.identity_secret) : null };
    });

    const updateChatConfig: ChannelsShape["updateChatConfig"] = Effect.fn("Channels.updateChatConfig")(function* (id, input) {
      yield* loadChatRow(id);
      const decoded = decodeInput(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const config: ChatConfigChange = {
        allowedOrigins: [...new Set(decoded.right.allowedOrigins)],
        branding: cleanBranding(decoded.right.branding),
        followUpMinutes: decoded.right.followUpMinutes,
      };
      const channel = yield* loadChatRow(id);
      const audit = yield* auditActor;
      const secret = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          // Read and write in one transaction, so a concurrent change to other keys is not lost.
          const row = sqlite.prepare("SELECT config, identity_secret FROM channels WHERE id = ?").get(id) as
            | { config: string; identity_secret: string | null }
            | undefined;
          if (!row) return undefined;
          const merged = mergeChatConfig(row.config, config);
          sqlite.prepare("UPDATE channels SET config = ? WHERE id = ?").run(merged, id);
          auditConfigChange(sqlite, audit, channel, parseJsonObject(row.config), parseJsonObject(merged));
          return { secret: row.identity_secret, config: readChatConfig(merged) };
        }),
      );
      if (!secret) return yield* Effect.fail(new NotFound({ entity: "chat channel", id }));
      notify(id);
      return chatSettings(secret.config, secret.secret);
    });

    const rotateIdentitySecret: ChannelsShape["rotateIdentitySecret"] = Effect.fn("Channels.rotateIdentitySecret")(function* (id) {
      const channel = yield* loadChatRow(id);
      const secret = newSecret();
      const audit = yield* auditActor;
      const changed = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          const changes = sqlite.prepare("UPDATE channels SET identity_secret = ? WHERE id = ? AND kind = 'chat'").run(secret, id).changes;
          if (changes > 0) recordAudit(sqlite, now(), audit, { action: "channel.identity_secret_rotated", target: { type: "channel", id, label: channel.name } });
          return changes;
        }),
      );
      if (changed === 0) return yield* Effect.fail(new NotFound({ entity: "chat channel", id }));
      notify(id);
      return secret;
    });

    const onChange: ChannelsShape["onChange"] = (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    };

    const inboxExists = (inboxId: string): boolean => db.prepare("SELECT 1 FROM inboxes WHERE id = ?").get(inboxId) !== undefined;
    const unknownInbox = new InvalidInput({ issues: [{ path: "inboxId", message: "no such inbox" }] });

    const create: ChannelsShape["create"] = Effect.fn("Channels.create")(function* (input) {
      const decoded = decodeCreate(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const { kind, name, inboxId } = decoded.right;
      if (!inboxExists(inboxId)) return yield* Effect.fail(unknownInbox);
      const id = newId("chan");
      const config = kind === "chat" ? JSON.stringify({ allowedOrigins: [], branding: {} }) : "{}";
      const audit = yield* auditActor;
      const created = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          // Checked again in the transaction: the inbox could have gone since the read above.
          if (sqlite.prepare("SELECT 1 FROM inboxes WHERE id = ?").get(inboxId) === undefined) return false;
          sqlite
            .prepare("INSERT INTO channels (id, inbox_id, kind, name, config, identity_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(id, inboxId, kind, name, config, kind === "chat" ? newSecret() : null, now());
          recordAudit(sqlite, now(), audit, { action: "channel.created", target: { type: "channel", id, label: name }, data: { kind, inboxId } });
          return true;
        }),
      );
      if (!created) return yield* Effect.fail(unknownInbox);
      notify(id);
      return toListItem(yield* Effect.orDie(loadRow(id)));
    });

    const update: ChannelsShape["update"] = Effect.fn("Channels.update")(function* (id, input) {
      yield* loadRow(id);
      const decoded = decodeUpdate(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const { name, inboxId } = decoded.right;
      if (!inboxExists(inboxId)) return yield* Effect.fail(unknownInbox);
      const audit = yield* auditActor;
      const changed = yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          const before = sqlite.prepare("SELECT name, inbox_id FROM channels WHERE id = ?").get(id) as { name: string; inbox_id: string } | undefined;
          const changes = sqlite.prepare("UPDATE channels SET name = ?, inbox_id = ? WHERE id = ?").run(name, inboxId, id).changes;
          if (before !== undefined && (before.name !== name || before.inbox_id !== inboxId)) {
            recordAudit(sqlite, now(), audit, {
              action: "channel.updated",
              target: { type: "channel", id, label: name },
              data: { ...(before.name !== name ? { renamedFrom: before.name } : {}), ...(before.inbox_id !== inboxId ? { inboxFrom: before.inbox_id, inboxTo: inboxId } : {}) },
            });
          }
          return changes;
        }),
      );
      if (changed === 0) return yield* Effect.fail(new NotFound({ entity: "channel", id }));
      notify(id);
      return toListItem(yield* loadRow(id));
    });

    const loadKindRow = (id: string, kind: ChannelKind): Effect.Effect<ChannelRow, NotFound> =>
      Effect.flatMap(loadRow(id), (row) => (row.kind === kind ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: `${kind} channel`, id }))));

    const readConfig: ChannelsShape["readConfig"] = (id, kind) => Effect.map(loadKindRow(id, kind), (row) => parseJsonObject(row.config));

    const writeConfig: ChannelsShape["writeConfig"] = <E>(
      id: string,
      kind: ChannelKind,
      change: (stored: Record<string, unknown>) => Either.Either<Record<string, unknown>, E>,
    ) =>
      Effect.gen(function* () {
        const channel = yield* loadKindRow(id, kind);
        const audit = yield* auditActor;
        const result = yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            // Read and write in one transaction, so a concurrent change to other keys is not lost.
            const row = sqlite.prepare("SELECT config FROM channels WHERE id = ? AND kind = ?").get(id, kind) as { config: string } | undefined;
            if (!row) return undefined;
            const before = parseJsonObject(row.config);
            const next = change(before);
            if (Either.isRight(next)) {
              sqlite.prepare("UPDATE channels SET config = ? WHERE id = ?").run(JSON.stringify(next.right), id);
              auditConfigChange(sqlite, audit, channel, before, next.right);
            }
            return next;
          }),
        );
        if (result === undefined) return yield* Effect.fail(new NotFound({ entity: `${kind} channel`, id }));
        if (Either.isLeft(result)) return yield* Effect.fail(result.left);
        notify(id);
        return result.right;
      });

    return { list, get, create, update, writeConfig, readConfig, updateChatConfig, rotateIdentitySecret, onChange };
  }),
);
