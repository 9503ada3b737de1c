/**
 * Configuration from the environment, decoded by a Schema at start. A bad value stops the
 * process with a message naming the variable. SESSION_SECRET, when unset, is generated once
 * and kept in the data folder so sessions survive restarts.
 */
import { Context, Either, Layer, Schema as S } from "effect";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { decodeWith } from "../../flows/decode.js";
import { newSecret } from "./ids.js";

const Port = S.NumberFromString.pipe(S.int(), S.between(0, 65535, { message: () => "PORT must be a port number (0–65535)" }));

/** A shutdown wait in seconds (fractions too), 0–60, named in its message. */
const shutdownWait = (name: string) =>
  S.optional(S.NumberFromString.pipe(S.between(0, 60, { message: () => `${name} must be a number of seconds (0–60)` })));
const secondsToMs = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));

export const EnvSchema = S.Struct({
  PORT: S.optionalWith(Port, { default: () => 3000 }),
  HOST: S.optionalWith(S.String, { default: () => "0.0.0.0" }),
  DATABASE_PATH: S.optionalWith(S.String.pipe(S.minLength(1)), { default: () => "./data/parley.sqlite" }),
  PUBLIC_URL: S.optional(
    S.String.pipe(S.pattern(/^https?:\/\/[^\s/]+(\/.*)?$/, { message: () => "PUBLIC_URL must be an http(s) URL" })),
  ),
  SESSION_SECRET: S.optional(S.String.pipe(S.minLength(32, { message: () => "SESSION_SECRET must be at least 32 characters" }))),
  ADMIN_EMAIL: S.optionalWith(S.String, { default: () => "admin@parley.local" }),
  ADMIN_PASSWORD: S.optional(S.String.pipe(S.minLength(8, { message: () => "ADMIN_PASSWORD must be at least 8 characters" }))),
  NODE_ENV: S.optionalWith(S.String, { default: () => "production" }),
  /** Seed demo data on first start (default on); set to "0" for an empty workspace. */
  PARLEY_DEMO: S.optionalWith(S.Literal("0", "1"), { default: () => "1" as const }),
  /**
   * Set to "1" to seed the demo without its sample conversations (an empty inbox and empty
   * reports): for tests and benchmarks that count what they create. Read on the first start only.
   */
  PARLEY_NO_DEMO_CONVERSATIONS: S.optionalWith(S.Literal("0", "1"), { default: () => "0" as const }),
  /** Set to "1" to disable rate limits (benchmarks only). */
  PARLEY_NO_RATE_LIMIT: S.optionalWith(S.Literal("0", "1"), { default: () => "0" as const }),
  /**
   * How many reverse proxies stand in front of Parley (default 0): with 1 or more, the client's
   * address (per-IP rate limits) is read from X-Forwarded-For and https from X-Forwarded-Proto.
   */
  TRUST_PROXY: S.optionalWith(
    S.NumberFromString.pipe(S.int(), S.between(0, 10, { message: () => "TRUST_PROXY must be the number of reverse proxies in front of Parley (0–10)" })),
    { default: () => 0 },
  ),
  /**
   * The port of Parley's own SMTP server, which receives email channels' mail (forwarded from the
   * team's mailbox). Unset: no mail is received. 0: a port the OS picks (tests).
   */
  SMTP_PORT: S.optional(S.NumberFromString.pipe(S.int(), S.between(0, 65535, { message: () => "SMTP_PORT must be a port number (0–65535)" }))),
  /** The address the SMTP server binds (default: HOST). */
  SMTP_HOST: S.optional(S.String.pipe(S.minLength(1))),
  /**
   * PEM files of the SMTP server's own certificate (chain) and private key: with both, it offers
   * STARTTLS. Never the smtp-server package's built-in pair, whose private key is public.
   */
  SMTP_TLS_CERT: S.optional(S.String.pipe(S.minLength(1))),
  SMTP_TLS_KEY: S.optional(S.String.pipe(S.minLength(1))),
  /** "1": refuse mail from a sender that did not STARTTLS first (needs SMTP_TLS_CERT / SMTP_TLS_KEY). */
  SMTP_REQUIRE_TLS: S.optionalWith(S.Literal("0", "1"), { default: () => "0" as const }),
  /**
   * A user name and password a sender must sign in with (SMTP AUTH, PLAIN or LOGIN) before it may
   * deliver: for an MTA in front of Parley that relays with credentials, so nobody else who finds
   * the port can. Both or neither; unset: no sign-in (a provider's forwarding rule cannot sign in).
   */
  SMTP_AUTH_USER: S.optional(
    S.String.pipe(S.pattern(/^[^\s:]{1,128}$/, { message: () => "SMTP_AUTH_USER must be 1–128 characters without spaces or colons" })),
  ),
  SMTP_AUTH_PASSWORD: S.optional(
    S.String.pipe(
      S.minLength(16, { message: () => "SMTP_AUTH_PASSWORD must be at least 16 characters (e.g. openssl rand -hex 16)" }),
      S.maxLength(512, { message: () => "SMTP_AUTH_PASSWORD must be at most 512 characters" }),
    ),
  ),
  /**
   * "1": take the sign-in without STARTTLS, the password in the clear — only where nobody can
   * listen (loopback, a private network to the MTA). Without it, sign-in needs SMTP_TLS_CERT / SMTP_TLS_KEY.
   */
  SMTP_ALLOW_INSECURE_AUTH: S.optionalWith(S.Literal("0", "1"), { default: () => "0" as const }),
  /** The Messenger Graph API's base URL, version included (tests point it at a fake). */
  MESSENGER_GRAPH_URL: S.optionalWith(
    S.String.pipe(S.pattern(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: () => "MESSENGER_GRAPH_URL must be an http(s) URL" })),
    { default: () => "https://graph.facebook.com/v21.0" },
  ),
  /**
   * Whether outgoing webhooks (Settings → Webhooks) may POST to loopback and private network
   * addresses: "1" for a receiver on the same machine or LAN (n8n next to Parley; the e2e
   * tests), "0" never. Unset: refused in production, allowed otherwise, as for the webhook node.
   */
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: S.optional(S.Literal("0", "1")),
  /**
   * At shutdown, how long (seconds, 0–60, default 5) the sends under way — outgoing webhook
   * calls, and the email/Messenger outbox's replies — may take to be answered and have their
   * outcome recorded before they are let go (and sent again after the restart).
   */
  SHUTDOWN_WAIT_SECONDS: shutdownWait("SHUTDOWN_WAIT_SECONDS"),
  /** The older name of SHUTDOWN_WAIT_SECONDS (decision 040), still read when that one is unset. */
  WEBHOOKS_SHUTDOWN_WAIT_SECONDS: shutdownWait("WEBHOOKS_SHUTDOWN_WAIT_SECONDS"),
  /**
   * The bearer token a Prometheus scraper sends for GET /metrics (at least 24 characters).
   * Unset: /metrics answers only requests made to this process directly from the same machine.
   */
  METRICS_TOKEN: S.optional(
    S.String.pipe(S.minLength(24, { message: () => "METRICS_TOKEN must be at least 24 characters (e.g. openssl rand -hex 24)" })),
  ),
});

export interface AppConfigShape {
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly sessionSecret: string;
  readonly adminEmail: string;
  readonly adminPassword: string | undefined;
  readonly production: boolean;
  readonly demo: boolean;
  /** Seed the demo's sample conversations on first start (only with `demo`). */
  readonly demoConversations: boolean;
  readonly rateLimit: boolean;
  /** Reverse proxies in front of Parley whose X-Forwarded-For / -Proto entries are believed (0: none). */
  readonly trustedProxies: number;
  /** Where the inbound SMTP server listens (email channels); null: it does not run. */
  readonly smtp: {
    readonly port: number;
    readonly host: string;
    /** Its certificate and key (PEM) when it offers STARTTLS; null: it offers no TLS. */
    readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
    /** Refuse mail sent without STARTTLS first. */
    readonly requireTls: boolean;
    /**
     * The sign-in a sender must give before MAIL FROM (SMTP AUTH); null: none asked.
     * `allowInsecure`: accepted without STARTTLS (else only over it).
     */
    readonly auth?: { readonly user: string; readonly password: string; readonly allowInsecure: boolean } | null;
  } | null;
  /** The Messenger Graph API's base URL without a trailing slash, e.g. https://graph.facebook.com/v21.0. */
  readonly messengerGraphUrl: string;
  /** Outgoing webhooks may call private addresses (true/false), or undefined for the webhook client's default. */
  readonly webhooksAllowPrivateNetworks?: boolean | undefined;
  /** The bearer token GET /metrics asks for; undefined: only direct loopback requests may read it. */
  readonly metricsToken?: string | undefined;
  /** How long shutdown waits for the sends under way (webhooks, the outbox) (ms); undefined: the services' default. */
  readonly shutdownWaitMs?: number | undefined;
}

export class AppConfig extends Context.Tag("AppConfig")<AppConfig, AppConfigShape>() {}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Reads and validates the environment; throws ConfigError with one line per bad variable. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): AppConfigShape => {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const decoded = decodeWith(EnvSchema)(present);
  if (Either.isLeft(decoded)) {
    throw new ConfigError(
      "Invalid configuration:\n" + decoded.left.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n"),
    );
  }
  const e = decoded.right;
  if (e.SMTP_REQUIRE_TLS === "1" && (e.SMTP_TLS_CERT === undefined || e.SMTP_TLS_KEY === undefined)) {
    throw new ConfigError("Invalid configuration:\n  SMTP_REQUIRE_TLS: requiring STARTTLS needs SMTP_TLS_CERT and SMTP_TLS_KEY");
  }
  const smtpAuth = smtpAuthOf(e);
  const databasePath = e.DATABASE_PATH === ":memory:" ? ":memory:" : resolve(e.DATABASE_PATH);
  const dataDir = databasePath === ":memory:" ? resolve("./data") : dirname(databasePath);
  return {
    port: e.PORT,
    host: e.HOST,
    databasePath,
    dataDir,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    sessionSecret: e.SESSION_SECRET ?? sessionSecretFromDataDir(dataDir),
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    production: e.NODE_ENV === "production",
    demo: e.PARLEY_DEMO === "1",
    demoConversations: e.PARLEY_DEMO === "1" && e.PARLEY_NO_DEMO_CONVERSATIONS !== "1",
    rateLimit: e.PARLEY_NO_RATE_LIMIT !== "1",
    trustedProxies: e.TRUST_PROXY,
    smtp:
      e.SMTP_PORT === undefined
        ? null
        : {
            port: e.SMTP_PORT,
            host: e.SMTP_HOST ?? e.HOST,
            tls: smtpTls(e.SMTP_TLS_CERT, e.SMTP_TLS_KEY),
            requireTls: e.SMTP_REQUIRE_TLS === "1",
            auth: smtpAuth,
          },
    messengerGraphUrl: e.MESSENGER_GRAPH_URL.replace(/\/+$/, ""),
    webhooksAllowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS === undefined ? undefined : e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS === "1",
    metricsToken: e.METRICS_TOKEN,
    shutdownWaitMs: secondsToMs(e.SHUTDOWN_WAIT_SECONDS ?? e.WEBHOOKS_SHUTDOWN_WAIT_SECONDS),
  };
};

/**
 * The inbound SMTP server's sign-in, or null: both variables or neither, and over STARTTLS
 * unless SMTP_ALLOW_INSECURE_AUTH=1 says the network is private. ConfigError naming the variable otherwise.
 */
const smtpAuthOf = (e: typeof EnvSchema.Type): { user: string; password: string; allowInsecure: boolean } | null => {
  const bad = (name: string, message: string) => new ConfigError(`Invalid configuration:\n  ${name}: ${message}`);
  if (e.SMTP_AUTH_USER === undefined && e.SMTP_AUTH_PASSWORD === undefined) {
    if (e.SMTP_ALLOW_INSECURE_AUTH === "1") throw bad("SMTP_ALLOW_INSECURE_AUTH", "there is no sign-in to allow: set SMTP_AUTH_USER and SMTP_AUTH_PASSWORD");
    return null;
  }
  if (e.SMTP_AUTH_USER === undefined || e.SMTP_AUTH_PASSWORD === undefined) {
    const missing = e.SMTP_AUTH_USER === undefined ? "SMTP_AUTH_USER" : "SMTP_AUTH_PASSWORD";
    throw bad(missing, "set both SMTP_AUTH_USER and SMTP_AUTH_PASSWORD for a sign-in, or neither");
  }
  const tls = e.SMTP_TLS_CERT !== undefined && e.SMTP_TLS_KEY !== undefined;
  if (!tls && e.SMTP_ALLOW_INSECURE_AUTH !== "1") {
    throw bad(
      "SMTP_AUTH_USER",
      "a sign-in needs STARTTLS (SMTP_TLS_CERT and SMTP_TLS_KEY), or SMTP_ALLOW_INSECURE_AUTH=1 where nobody can listen (loopback, a private network)",
    );
  }
  return { user: e.SMTP_AUTH_USER, password: e.SMTP_AUTH_PASSWORD, allowInsecure: e.SMTP_ALLOW_INSECURE_AUTH === "1" };
};

/** Reads the SMTP server's certificate and key and checks that they are a pair; ConfigError naming the variable otherwise. */
const smtpTls = (certPath: string | undefined, keyPath: string | undefined): { cert: Buffer; key: Buffer } | null => {
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined) {
    const missing = certPath === undefined ? "SMTP_TLS_CERT" : "SMTP_TLS_KEY";
    throw new ConfigError(`Invalid configuration:\n  ${missing}: set both SMTP_TLS_CERT and SMTP_TLS_KEY (PEM files) for STARTTLS, or neither`);
  }
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(resolve(path));
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  const cert = read("SMTP_TLS_CERT", certPath);
  const key = read("SMTP_TLS_KEY", keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration:\n  SMTP_TLS_CERT / SMTP_TLS_KEY: not a PEM certificate and its private key (${(error as Error).message})`,
    );
  }
  return { cert, key };
};

const sessionSecretFromDataDir = (dataDir: string): string => {
  const file = join(dataDir, "session-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = newSecret();
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
};

/** A layer holding an already-loaded configuration. */
export const layer = (config: AppConfigShape): Layer.Layer<AppConfig> => Layer.succeed(AppConfig, config);
