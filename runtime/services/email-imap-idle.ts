/**
 * Listening to a team mailbox (IMAP IDLE, RFC 2177), so a customer's mail is fetched within
 * seconds instead of at the next minute's poll. One connection per mailbox stays signed in, with
 * the folder opened read-only, in IDLE; when the server says the folder holds more messages
 * (an untagged EXISTS: imapflow's `exists` event) it calls `onNewMail`, and the email channel
 * service runs the channel's ordinary poll (email-imap.ts `imapPoll`, on its own connection:
 * the same plan, Message-ID check, \Seen marking and progress row). This connection never
 * fetches, flags or deletes anything.
 *
 * - A server that does not announce IDLE: the connection is closed and the listener ends in
 *   `unsupported` (the channel is polled every minute, as before).
 * - IDLE is re-issued at least every IMAP_IDLE_RESTART_MS (servers end it after ~29 minutes), and
 *   after IMAP_IDLE_QUIET_MS of silence imapflow checks the server with a NOOP (which also keeps
 *   NAT and firewall state alive) and IDLE starts again; a server that does not answer it is a
 *   dropped connection.
 * - A dropped connection, a refused sign-in or a missing folder: tried again after a wait that
 *   doubles from IMAP_RECONNECT_MIN_MS to IMAP_RECONNECT_MAX_MS (back to the start once a
 *   connection has listened for a minute).
 * - Each time listening starts (the first time and after every reconnect), `onNewMail` is called
 *   once: mail that came while nobody listened is fetched at once.
 */
import { Effect, Either } from "effect";
import { now } from "./clock.js";
import { ImapFailed, imapConnected, imapErrorText, imapFailedWith } from "./email-imap.js";
import type { EmailImap } from "./email-settings.js";

/** Re-issue IDLE this often: RFC 2177 asks for at least every 29 minutes. */
export const IMAP_IDLE_RESTART_MS = 25 * 60_000;
/** Silence on a listening connection after which the server is checked (NOOP) and IDLE re-issued. */
export const IMAP_IDLE_QUIET_MS = 5 * 60_000;
/** First wait before connecting again after a failure; it doubles up to IMAP_RECONNECT_MAX_MS. */
export const IMAP_RECONNECT_MIN_MS = 2_000;
export const IMAP_RECONNECT_MAX_MS = 5 * 60_000;
/** A connection that listened this long was healthy: the next failure waits the shortest time again. */
const HEALTHY_MS = 60_000;
/** How long LOGOUT may take when a listener stops (a settings change, shutdown) before the socket is dropped. */
const LOGOUT_TIMEOUT_MS = 2_000;
/** An IDLE shorter than this ended at once (see `session`). */
const QUICK_IDLE_MS = 1_000;

/** Where a channel's listening connection stands, for the settings page. */
export type ImapListening =
  | { readonly state: "connecting"; readonly since: number }
  /** In IDLE on the folder since `since`: new mail is fetched within seconds. */
  | { readonly state: "listening"; readonly since: number }
  /** The server does not offer IDLE: the channel is polled every minute. */
  | { readonly state: "unsupported"; readonly since: number }
  /** The connection failed or dropped at `at` with `error`; the next try is at `retryAt`. */
  | { readonly state: "reconnecting"; readonly error: string; readonly at: number; readonly retryAt: number }
  /** More mailboxes fetch by IMAP than may listen at once (`limit`): this one is polled every minute. */
  | { readonly state: "over-limit"; readonly limit: number };

/** The wait before connecting again after `failures` failures in a row (1, 2, …): doubling from `min`, at most `max`. Pure. */
export const imapReconnectDelay = (failures: number, min: number = IMAP_RECONNECT_MIN_MS, max: number = IMAP_RECONNECT_MAX_MS): number =>
  Math.min(max, min * 2 ** Math.min(30, Math.max(0, failures - 1)));

export interface ImapListenOptions {
  readonly mailbox: EmailImap;
  /** The server reported new mail (or listening just started): fetch now. Called often in a burst; the caller debounces. */
  readonly onNewMail: () => void;
  /** Each change of state, as it happens. */
  readonly onState: (state: ImapListening) => void;
  readonly restartMs?: number;
  readonly quietMs?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

/**
 * One connection's life: sign in, check for IDLE, open the folder read-only and idle until the
 * connection ends. Succeeds with `unsupported` when the server offers no IDLE (or refuses it);
 * fails with ImapFailed when it could not sign in or open the folder, or once the connection ended.
 */
const session = (options: ImapListenOptions, listened: (since: number) => void) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { mailbox } = options;
      let lastError: unknown = null;
      const client = yield* imapConnected(mailbox, {
        socketTimeout: options.quietMs ?? IMAP_IDLE_QUIET_MS,
        maxIdleTime: options.restartMs ?? IMAP_IDLE_RESTART_MS,
        logoutTimeout: LOGOUT_TIMEOUT_MS,
        onError: (error) => {
          lastError = error;
        },
      });
      if (!client.capabilities.has("IDLE")) return "unsupported" as const;
      yield* Effect.tryPromise({
        try: () => client.mailboxOpen(mailbox.folder, { readOnly: true }),
        catch: imapFailedWith(`could not open the folder “${mailbox.folder}”`),
      });
      client.on("exists", () => options.onNewMail());
      const since = now();
      listened(since);
      options.onState({ state: "listening", since });
      options.onNewMail();
      // idle() returns when IDLE ends: a quiet-socket NOOP, a restart imapflow did not resume, a
      // closed connection. It is re-issued for as long as the connection is usable with the folder open.
      const ended = yield* Effect.promise(async () => {
        let quick = 0;
        for (;;) {
          const started = Date.now();
          let result: boolean | undefined;
          try {
            result = await client.idle();
          } catch (error) {
            lastError ??= error;
            return "closed" as const;
          }
          if (!client.usable || client.mailbox === false) return "closed" as const;
          if (result === false) return "refused" as const;
          // An IDLE that ends as soon as it starts, again and again, would spin: such a connection is given up.
          quick = Date.now() - started < QUICK_IDLE_MS ? quick + 1 : 0;
          if (quick >= 3) {
            lastError ??= new Error("IDLE kept ending at once");
            return "closed" as const;
          }
          if (quick > 0) await new Promise((resolve) => setTimeout(resolve, QUICK_IDLE_MS));
        }
      });
      if (ended === "refused") return "unsupported" as const;
      const where = `${mailbox.host}:${mailbox.port}`;
      const message = lastError === null ? `${where} closed the connection` : `the connection to ${where} failed: ${imapErrorText(lastError)}`;
      return yield* Effect.fail(new ImapFailed({ message }));
    }),
  );

/**
 * Listens to `options.mailbox` until interrupted (which logs out: see the module's doc), or until
 * it finds the server has no IDLE (it then reports `unsupported` and ends). Never fails.
 */
export const imapListen = (options: ImapListenOptions): Effect.Effect<void> =>
  Effect.gen(function* () {
    let failures = 0;
    for (;;) {
      options.onState({ state: "connecting", since: now() });
      let listenedSince: number | null = null;
      const outcome = yield* Effect.either(
        session(options, (since) => {
          listenedSince = since;
        }).pipe(
          // A fault of ours while listening is shown and retried like a dropped connection, not a listener gone quiet.
          Effect.catchAllDefect((defect) =>
            Effect.fail(new ImapFailed({ message: `a fault in Parley while listening: ${defect instanceof Error ? defect.message : String(defect)}` })),
          ),
        ),
      );
      if (Either.isRight(outcome)) {
        options.onState({ state: "unsupported", since: now() });
        return;
      }
      const at = now();
      failures = listenedSince !== null && at - listenedSince >= HEALTHY_MS ? 1 : failures + 1;
      const delay = imapReconnectDelay(failures, options.reconnectMinMs, options.reconnectMaxMs);
      options.onState({ state: "reconnecting", error: outcome.left.message, at, retryAt: at + delay });
      yield* Effect.sleep(delay);
    }
  });
