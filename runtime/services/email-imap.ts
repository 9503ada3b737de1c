/**
 * Fetching a team mailbox over IMAP (imapflow), for email channels whose mail lives at a
 * provider Parley's SMTP server cannot receive for. The email channel service (email-channel.ts)
 * runs one poll per channel on a pass loop (and at once when a listening connection hears of new
 * mail: email-imap-idle.ts); this module holds the rule for what to fetch
 * (pure), the polling state's format, and the IMAP session itself, which hands each message's
 * raw source to a `store` callback and each step's progress to `commit`.
 *
 * What one poll takes (documented in docs/channels-email.md):
 * - The mailbox is named by its identity: host, user, folder and UIDVALIDITY. While that is the
 *   stored one, every message with a UID above the stored last UID (read or not: a person may
 *   open it at the provider before Parley polls), oldest first.
 * - On the first poll, or when the identity changed (another mailbox or folder, or the server
 *   rebuilt it: a new UIDVALIDITY), the UNSEEN messages only: old read mail is history, not
 *   new requests. Each taken one is marked \Seen, so a backlog larger than one poll's share is
 *   worked off over several polls; the new identity (and the highest UID then in the folder)
 *   is stored once no unseen message is left.
 * - At most IMAP_MAX_PER_POLL messages a poll; one at a time: store, mark \Seen, commit the
 *   UID, so a crash re-fetches at most one, which the Message-ID check keeps from being
 *   stored twice. Messages over the size cap are marked \Seen without being downloaded.
 * - Nothing is ever deleted or moved.
 */
import { Data, Effect } from "effect";
import { ImapFlow } from "imapflow";
import type { EmailImap } from "./email-settings.js";

/** How often every IMAP channel's mailbox is checked (and at once after its settings are saved). */
export const IMAP_POLL_INTERVAL_MS = 60_000;
/** How many mailboxes are polled at once (each on its own connection). */
export const IMAP_POLL_CONCURRENCY = 4;
/** Most messages taken from one mailbox in one poll, so a large backlog never holds the loop. */
export const IMAP_MAX_PER_POLL = 50;
/** How long connecting and the server's greeting may take, and the longest silence on the socket. */
export const IMAP_CONNECT_TIMEOUT_MS = 20_000;
export const IMAP_SOCKET_TIMEOUT_MS = 30_000;

/** The mailbox could not be read: the server's own words when it gave them (a wrong password, a missing folder), else the network's. */
export class ImapFailed extends Data.TaggedError("ImapFailed")<{ readonly message: string }> {}

/** Where a channel's polling stands (one row of email_imap_state). */
export interface ImapProgress {
  /** The mailbox's identity (`imapMailboxKey`) last worked through, or null before the first complete catch-up. */
  readonly mailboxKey: string | null;
  readonly lastUid: number;
}

/** The stored identity of a folder: another host, user, folder or UIDVALIDITY is another mailbox. Pure. */
export const imapMailboxKey = (mailbox: Pick<EmailImap, "host" | "user" | "folder">, uidValidity: string): string =>
  JSON.stringify([mailbox.host.toLowerCase(), mailbox.user, mailbox.folder, uidValidity]);

/** One poll's plan: the UIDs to take in order, and whether this is a catch-up on unseen mail. */
export interface ImapPlan {
  readonly catchUp: boolean;
  readonly uids: ReadonlyArray<number>;
  /** More than this poll's share is waiting. */
  readonly more: boolean;
}

/**
 * What to take this poll (see the module's doc): `newer` are the folder's UIDs above the stored
 * last UID, `unseen` its UNSEEN UIDs; only the one the mode needs is read. Pure.
 */
export const imapPlan = (
  progress: ImapProgress,
  currentKey: string,
  found: { readonly newer: ReadonlyArray<number>; readonly unseen: ReadonlyArray<number> },
  max: number = IMAP_MAX_PER_POLL,
): ImapPlan => {
  const catchUp = progress.mailboxKey !== currentKey;
  const wanted = catchUp ? found.unseen : found.newer.filter((uid) => uid > progress.lastUid);
  const sorted = [...new Set(wanted)].sort((a, b) => a - b);
  return { catchUp, uids: sorted.slice(0, max), more: sorted.length > max };
};

/** What a poll did: how many mails it handed to `store`, and notes on the ones it skipped. */
export interface ImapPollResult {
  readonly taken: number;
  readonly notes: ReadonlyArray<string>;
}

/** What `store` says of one mail: kept (or dropped as a duplicate or machine mail), or skipped with a reason for the admin. */
export type ImapStored = { readonly kind: "stored" } | { readonly kind: "skipped"; readonly note: string };

export interface ImapPollOptions<E> {
  readonly mailbox: EmailImap;
  readonly progress: ImapProgress;
  readonly maxBytes: number;
  readonly maxPerPoll?: number;
  /** Stores one mail's raw source; a failure ends the poll before the mail is marked \Seen (it is fetched again next time). */
  readonly store: (raw: Buffer, uid: number) => Effect.Effect<ImapStored, E>;
  /** Persists progress after each mail and at the end of a catch-up. */
  readonly commit: (progress: ImapProgress) => Effect.Effect<void>;
}

/** The text to record for an imapflow failure: the server's response when it sent one. Pure. */
export const imapErrorText = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error);
  const e = error as { responseText?: unknown; message?: unknown; code?: unknown; authenticationFailed?: unknown };
  const server = typeof e.responseText === "string" && e.responseText.trim() !== "" ? e.responseText.trim() : null;
  const base = server ?? (typeof e.message === "string" ? e.message : String(error));
  const prefix = e.authenticationFailed === true && server === null ? "login failed: " : "";
  const code = typeof e.code === "string" && server === null && !base.includes(e.code) ? ` (${e.code})` : "";
  return `${prefix}${base}${code}`.slice(0, 500);
};

/** An ImapFailed naming the step that failed (`what`) and the server's or the network's words. */
export const imapFailedWith = (what: string) => (error: unknown) => new ImapFailed({ message: `${what}: ${imapErrorText(error)}` });

/** How a connection differs from a poll's: a listening one stays quiet for long and must not hold a shutdown. */
export interface ImapConnectOptions {
  /** The longest silence on the socket before imapflow checks the server (NOOP), then gives up. */
  readonly socketTimeout?: number;
  /** Re-issue IDLE this often (imapflow's maxIdleTime); only for a connection that idles. */
  readonly maxIdleTime?: number;
  /** Give LOGOUT this long at the end, then drop the socket: a dead server must not hold a shutdown. Default: wait for LOGOUT. */
  readonly logoutTimeout?: number;
  /** Called when the client reports an error (the connection then closes): the last one names why a listening connection ended. */
  readonly onError?: (error: unknown) => void;
}

/**
 * A connected, logged-in client for `mailbox`; logged out (or dropped) when the scope closes.
 * TLS certificates are verified; imapflow's own IDLE is off (a listener calls `idle()` itself).
 */
export const imapConnected = (mailbox: EmailImap, options: ImapConnectOptions = {}) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const client = new ImapFlow({
          host: mailbox.host,
          port: mailbox.port,
          secure: mailbox.security === "tls",
          // STARTTLS chosen: required, never silently skipped; "none": never tried.
          doSTARTTLS: mailbox.security === "starttls" ? true : mailbox.security === "none" ? false : undefined,
          auth: { user: mailbox.user, pass: mailbox.password },
          // Said outright: a mailbox password is never sent to a server whose certificate does not check out.
          tls: { rejectUnauthorized: true },
          logger: false,
          disableAutoIdle: true,
          connectionTimeout: IMAP_CONNECT_TIMEOUT_MS,
          greetingTimeout: IMAP_CONNECT_TIMEOUT_MS,
          socketTimeout: options.socketTimeout ?? IMAP_SOCKET_TIMEOUT_MS,
          ...(options.maxIdleTime !== undefined ? { maxIdleTime: options.maxIdleTime } : {}),
        });
        // An unhandled 'error' event would end the whole server; the command that fails reports it.
        client.on("error", options.onError ?? (() => undefined));
        await client.connect();
        return client;
      },
      catch: imapFailedWith(`could not sign in to ${mailbox.host}:${mailbox.port}`),
    }),
    (client) =>
      Effect.promise(async () => {
        const logout = client.logout();
        const limit = options.logoutTimeout;
        try {
          await (limit === undefined
            ? logout
            : Promise.race([logout, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("logout timed out")), limit).unref())]));
        } catch {
          client.close();
        }
      }),
  );

/** Opens `mailbox.folder` (read-write) for the scope; its UIDVALIDITY as text. */
const opened = (client: ImapFlow, mailbox: EmailImap) =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => client.getMailboxLock(mailbox.folder), catch: imapFailedWith(`could not open the folder “${mailbox.folder}”`) }),
    (lock) => Effect.sync(() => lock.release()),
  ).pipe(
    Effect.flatMap(() => {
      const state = client.mailbox;
      return state === false
        ? Effect.fail(new ImapFailed({ message: `could not open the folder “${mailbox.folder}”` }))
        : Effect.succeed({ uidValidity: String(state.uidValidity), uidNext: state.uidNext });
    }),
  );

const searchUids = (client: ImapFlow, query: Parameters<ImapFlow["search"]>[0]) =>
  Effect.tryPromise({ try: () => client.search(query, { uid: true }), catch: imapFailedWith("could not list the folder’s messages") }).pipe(
    Effect.map((found): ReadonlyArray<number> => (Array.isArray(found) ? found : [])),
  );

/** Logs in and opens the folder, and nothing else: the settings page's "Check connection". */
export const imapCheck = (mailbox: EmailImap): Effect.Effect<{ readonly uidValidity: string }, ImapFailed> =>
  Effect.scoped(Effect.flatMap(imapConnected(mailbox), (client) => opened(client, mailbox)));

/**
 * One poll of one mailbox (see the module's doc): fetches what `imapPlan` names, hands each
 * message to `store`, marks it \Seen and commits its UID, one at a time. ImapFailed when the
 * mailbox cannot be read; a `store` failure ends the poll with that failure.
 */
export const imapPoll = <E>(options: ImapPollOptions<E>): Effect.Effect<ImapPollResult, ImapFailed | E> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { mailbox, maxBytes } = options;
      const client = yield* imapConnected(mailbox);
      const folder = yield* opened(client, mailbox);
      const key = imapMailboxKey(mailbox, folder.uidValidity);
      const catchUp = options.progress.mailboxKey !== key;
      const found = catchUp
        ? { newer: [], unseen: yield* searchUids(client, { seen: false }) }
        : { newer: yield* searchUids(client, { uid: `${options.progress.lastUid + 1}:*` }), unseen: [] };
      const plan = imapPlan(options.progress, key, found, options.maxPerPoll ?? IMAP_MAX_PER_POLL);
      if (plan.uids.length === 0) {
        // A caught-up new mailbox starts after everything in it now.
        if (catchUp) yield* options.commit({ mailboxKey: key, lastUid: Math.max(0, folder.uidNext - 1) });
        return { taken: 0, notes: [] } satisfies ImapPollResult;
      }
      const sizes = new Map<number, number>();
      yield* Effect.tryPromise({
        try: async () => {
          for await (const message of client.fetch(plan.uids.join(","), { uid: true, size: true }, { uid: true })) {
            if (typeof message.size === "number") sizes.set(message.uid, message.size);
          }
        },
        catch: imapFailedWith("could not read the messages’ sizes"),
      });
      const notes: string[] = [];
      let taken = 0;
      let lastUid = options.progress.lastUid;
      for (const uid of plan.uids) {
        const size = sizes.get(uid);
        if (size === undefined) continue; // Expunged meanwhile.
        if (size > maxBytes) {
          notes.push(`skipped a mail of ${(size / (1024 * 1024)).toFixed(1)} MB (UID ${uid}): larger than ${Math.round(maxBytes / (1024 * 1024))} MB`);
        } else {
          const fetched = yield* Effect.tryPromise({
            try: () => client.fetchOne(String(uid), { source: true }, { uid: true }),
            catch: imapFailedWith(`could not download message UID ${uid}`),
          });
          if (fetched === false || fetched.source === undefined) continue; // Expunged meanwhile.
          const stored = yield* options.store(fetched.source, uid);
          if (stored.kind === "skipped") notes.push(`skipped a mail (UID ${uid}): ${stored.note}`);
          else taken += 1;
        }
        yield* Effect.tryPromise({
          try: () => client.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true }),
          catch: imapFailedWith(`could not mark message UID ${uid} as read`),
        });
        lastUid = Math.max(lastUid, uid);
        // In a catch-up the \Seen flag is the progress; the identity is stored once it is done.
        if (!catchUp) yield* options.commit({ mailboxKey: key, lastUid });
      }
      if (catchUp && !plan.more) {
        yield* options.commit({ mailboxKey: key, lastUid: Math.max(lastUid, folder.uidNext - 1) });
      }
      return { taken, notes } satisfies ImapPollResult;
    }),
  );

/** One row of email_imap_state. */
export interface ImapStateRow {
  readonly uid_validity: string | null;
  readonly last_uid: number;
  readonly polled_at: number | null;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
}

/** What the settings page shows of a channel's polling. */
export interface ImapStatus {
  /** When the mailbox was last read through without a failure. */
  readonly checkedAt: number | null;
  /** The last poll failed (a wrong password, an unreachable host, a missing folder): its error and time. */
  readonly error: { readonly message: string; readonly at: number } | null;
  /** A note from a poll that went through: a mail it skipped (too large, unreadable). */
  readonly note: { readonly message: string; readonly at: number } | null;
}

/**
 * The status a state row says. A failure is recorded after the last complete poll (its time is
 * later than polled_at); a note is recorded by a complete poll, at its polled_at or before. Pure.
 */
export const imapStatusOf = (row: ImapStateRow | undefined): ImapStatus => {
  if (row === undefined) return { checkedAt: null, error: null, note: null };
  const problem = row.last_error !== null && row.last_error_at !== null ? { message: row.last_error, at: row.last_error_at } : null;
  const failing = problem !== null && (row.polled_at === null || problem.at > row.polled_at);
  return { checkedAt: row.polled_at, error: failing ? problem : null, note: failing ? null : problem };
};

/**
 * The state row's problem fields after a poll: a failure replaces them; a complete poll records
 * its notes, clears a failure, and keeps an earlier note (the admin may not have seen it yet). Pure.
 */
export const imapProblemAfter = (
  row: ImapStateRow | undefined,
  outcome: { readonly at: number } & ({ readonly failed: string } | { readonly notes: ReadonlyArray<string> }),
): { readonly last_error: string | null; readonly last_error_at: number | null } => {
  if ("failed" in outcome) return { last_error: outcome.failed.slice(0, 1000), last_error_at: outcome.at };
  if (outcome.notes.length > 0) return { last_error: outcome.notes.join("; ").slice(0, 1000), last_error_at: outcome.at };
  const before = imapStatusOf(row);
  return before.note === null ? { last_error: null, last_error_at: null } : { last_error: before.note.message, last_error_at: before.note.at };
};
