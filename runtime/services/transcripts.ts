/**
 * Transcripts: a copy of a chat conversation by email, asked for by the visitor (the widget) or
 * sent by an agent (the thread). Decision 043.
 *
 * A request is a row of `transcript_emails` (migration 44), written in the same write that
 * accepts it, together with an internal system line in the thread and an event: a crash after
 * the answer still sends it, once. A loop (every 15 s, and at once after a request) sends queued
 * rows through the conversation's inbox's first team email that can send — the follow-ups' path
 * (EmailChannel.sendToVisitor) — retries a relay's temporary failure with the outbox's backoff,
 * and ends each row sent, or not sent with the reason. The mail holds the conversation's own
 * visible messages (never internal comments or system lines, never another conversation's) up
 * to the newest one when asked, with their authors and times, plain text and escaped HTML,
 * English or German by the visitor's language. Each message names its files, and the files go
 * with the mail as many as one mail carries (ATTACHMENT_MAX_MAIL_BYTES, `attachmentsForMail` as
 * follow-ups attach theirs); the mail names those left out (a visitor's file links need their
 * token: there is no public link to give instead).
 *
 * A visitor may ask at most TRANSCRIPT_VISITOR_MAX times per conversation, TRANSCRIPT_VISITOR_GAP_MS
 * apart; an address they type is used for that mail only, never stored on their contact.
 *
 * At shutdown (the layer's finalizer, before the database closes) the sends drain as the outbox's
 * do (decision 042, send-drain.ts): no pass and no send starts any more, and the sends under way
 * get up to SHUTDOWN_WAIT_SECONDS to be answered and recorded, so a transcript the relay took is
 * not sent again after the restart. Sends still going then are let go: their rows stay queued
 * with no try counted, and go out after the restart.
 */
import { Context, Effect, Layer, Option, Schema as S } from "effect";
import { attachmentsForMail } from "./attachments.js";
import { parseJsonObject } from "./channels.js";
import { now } from "./clock.js";
import { AppConfig } from "./config.js";
import { ContactEmail } from "./contacts.js";
import { Database, type Sqlite } from "./database.js";
import { DELIVERY_SHUTDOWN_WAIT_MS, SendFailed } from "./deliveries.js";
import { EmailChannel, sendsMail } from "./email-channel.js";
import { Conflict, Forbidden, InvalidInput, NotFound, RateLimited } from "./errors.js";
import { settleSend } from "./follow-ups.js";
import { escapeHtml } from "./form-html.js";
import { conversationFor, logConversationEvent, type Actor, type ConversationAccessRow } from "./inbox-access.js";
import { LiveEvents } from "./live-events.js";
import { makePassLoop } from "./pass-loop.js";
import { drainedLoop, makeSendDrain } from "./send-drain.js";

/** Most transcripts a visitor may ask for in one conversation. */
export const TRANSCRIPT_VISITOR_MAX = 3;
/** The least time between two of a visitor's transcripts of one conversation. */
export const TRANSCRIPT_VISITOR_GAP_MS = 10 * 60_000;
/** Most messages one transcript holds (the newest); older ones are summed up in a line. */
export const TRANSCRIPT_MAX_MESSAGES = 500;
const MAX_REASON = 500;
const PASS_LIMIT = 50;
/** A conversation's messages a transcript may show (`conversation_id = ?`, through `id <= ?`): never internal ones or system lines. */
const VISIBLE = `conversation_id = ? AND id <= ? AND is_internal = 0 AND author IN ('visitor', 'bot', 'agent')`;
/** The messages one transcript lists: the newest TRANSCRIPT_MAX_MESSAGES of VISIBLE (same parameters). */
const LISTED = `SELECT * FROM messages WHERE ${VISIBLE} ORDER BY id DESC LIMIT ${TRANSCRIPT_MAX_MESSAGES}`;

/** An address as a visitor may be shown it without giving it away: `a•••@example.com`. Pure. */
export const maskEmail = (address: string): string => {
  const at = address.lastIndexOf("@");
  if (at < 1) return "•••";
  return `${address.slice(0, 1)}•••${address.slice(at)}`;
};

/** A request's body as the public API and the thread send it (the address is optional: the contact's by default). */
export const TranscriptRequest = S.Struct({
  email: S.optionalWith(ContactEmail, { exact: true }),
  timeZone: S.optionalWith(
    S.String.pipe(
      S.maxLength(64, { message: () => "a time zone is at most 64 characters" }),
      S.filter((zone) => (isTimeZone(zone) ? undefined : "expected an IANA time zone like Europe/Berlin")),
    ),
    { exact: true },
  ),
});
export type TranscriptRequest = typeof TranscriptRequest.Type;

/** True for a time zone this runtime can format in. Pure. */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** One message as the transcript shows it. */
export interface TranscriptLine {
  readonly author: "visitor" | "bot" | "agent";
  /** The agent's name; null for the visitor and the bot. */
  readonly name: string | null;
  readonly text: string;
  readonly files: ReadonlyArray<string>;
  readonly at: number;
}

/** "26 Nov 2026, 14:05" in `timeZone` (and the zone's name). Pure. */
const timeIn = (at: number, timeZone: string, german: boolean): string =>
  new Intl.DateTimeFormat(german ? "de-DE" : "en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" }).format(at);

/**
 * The subject, plain text and HTML of a transcript. Every text of visitors and agents is written
 * into the HTML escaped, never as markup. Times in `timeZone` when known, else UTC, the zone
 * named once at the top. Pure.
 */
export const transcriptMail = (input: {
  readonly teamName: string;
  readonly lines: ReadonlyArray<TranscriptLine>;
  /** Messages older than those listed (past TRANSCRIPT_MAX_MESSAGES). */
  readonly omitted: number;
  readonly language: string | null;
  readonly timeZone: string | null;
  /** Files the messages carried that did not fit the mail (by name). */
  readonly filesLeftOut?: ReadonlyArray<string>;
}): { readonly subject: string; readonly text: string; readonly html: string } => {
  const german = /^de\b/i.test(input.language ?? "");
  const team = input.teamName.replace(/[\r\n]+/g, " ").trim();
  const zone = input.timeZone !== null && isTimeZone(input.timeZone) ? input.timeZone : "UTC";
  const subject = german
    ? team
      ? `${team}: Ihr Chat-Verlauf`
      : "Ihr Chat-Verlauf"
    : team
      ? `${team}: Your chat transcript`
      : "Your chat transcript";
  const intro = german
    ? `Hier ist der Verlauf Ihres Chats${team ? ` mit ${team}` : ""}. Zeiten in ${zone}.`
    : `Here is the transcript of your chat${team ? ` with ${team}` : ""}. Times are in ${zone}.`;
  const who = (line: TranscriptLine) =>
    line.author === "visitor" ? (german ? "Sie" : "You") : line.author === "bot" ? "Bot" : (line.name ?? (team || "Support"));
  const filesWord = german ? "Dateien" : "Files";
  const omitted =
    input.omitted > 0
      ? german
        ? `(${input.omitted} frühere Nachricht${input.omitted === 1 ? "" : "en"} nicht aufgeführt)`
        : `(${input.omitted} earlier message${input.omitted === 1 ? "" : "s"} not listed)`
      : null;
  const leftOut = input.filesLeftOut ?? [];
  const notAttached =
    leftOut.length > 0
      ? german
        ? `Nicht angehängt (zu groß für eine E-Mail): ${leftOut.join(", ")}`
        : `Not attached (too large for one email): ${leftOut.join(", ")}`
      : null;
  const outro = german ? "Antworten Sie einfach auf diese E-Mail, um uns zu schreiben." : "Just reply to this email to write to us.";
  const textLines = input.lines.map((line) => {
    const head = `${who(line)} · ${timeIn(line.at, zone, german)}`;
    const files = line.files.length > 0 ? [`${filesWord}: ${line.files.join(", ")}`] : [];
    return [head, ...line.text.split(/\r?\n/).map((l) => (l === "" ? ">" : `> ${l}`)), ...files].join("\n");
  });
  const text = [intro, ...(omitted ? [omitted] : []), ...textLines, ...(notAttached ? [notAttached] : []), outro].join("\n\n");
  const htmlLines = input.lines.map((line) => {
    const files = line.files.length > 0 ? `<br><small>${escapeHtml(filesWord)}: ${line.files.map(escapeHtml).join(", ")}</small>` : "";
    return (
      `<p style="margin:0 0 12px"><strong>${escapeHtml(who(line))}</strong> <small style="color:#666">${escapeHtml(timeIn(line.at, zone, german))}</small><br>` +
      `${escapeHtml(line.text).replace(/\r?\n/g, "<br>")}${files}</p>`
    );
  });
  const html =
    `<div style="font-family:sans-serif;font-size:14px;line-height:1.4">` +
    `<p>${escapeHtml(intro)}</p>${omitted ? `<p><em>${escapeHtml(omitted)}</em></p>` : ""}${htmlLines.join("")}` +
    `${notAttached ? `<p><em>${escapeHtml(notAttached)}</em></p>` : ""}<p>${escapeHtml(outro)}</p></div>`;
  return { subject, text, html };
};

/** One transcript email as the inbox shows it. */
export interface TranscriptEmail {
  readonly id: string;
  readonly recipient: string;
  readonly requestedBy: "visitor" | "agent";
  readonly status: "queued" | "sent" | "not_sent";
  readonly reason: string | null;
  readonly lastError: string | null;
  readonly attempts: number;
  readonly at: number;
}

/** What the widget may offer for one conversation. */
export interface VisitorTranscriptState {
  /** A team email of the conversation's inbox can send. */
  readonly available: boolean;
  /** The visitor's contact address, masked; null when they have none. */
  readonly email: string | null;
  /** How many more transcripts they may ask for here. */
  readonly remaining: number;
}

/** What one pass did. */
export interface TranscriptPass {
  readonly sent: number;
  readonly notSent: number;
  readonly retrying: number;
}

export interface TranscriptsShape {
  /** The widget's view of one of the visitor's conversations: NotFound / Forbidden as for its messages. */
  readonly stateForVisitor: (input: { readonly conversationId: string; readonly visitorId: string }) => Effect.Effect<VisitorTranscriptState, NotFound | Forbidden>;
  /**
   * Queues a transcript the visitor asked for (to `email`, else their contact's address): 403/404
   * for a conversation not theirs, 409 when no team email can send, 400 at `email` when there is no
   * address, RateLimited past the conversation's limit. Answers the masked recipient.
   */
  readonly requestByVisitor: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly body: TranscriptRequest;
    /** The caller's own limits (per IP, per visitor), asked last, only for a request that would be queued. */
    readonly admit?: () => RateLimited | undefined;
  }) => Effect.Effect<{ readonly id: string; readonly recipient: string }, NotFound | Forbidden | Conflict | InvalidInput | RateLimited>;
  /** Queues a transcript an agent sends (to `email`, else the contact's address), with a line in the thread and an event. */
  readonly requestByAgent: (
    input: { readonly conversationId: string; readonly email?: string },
    actor: Actor & { readonly name?: string },
  ) => Effect.Effect<{ readonly id: string; readonly recipient: string }, NotFound | Forbidden | Conflict | InvalidInput>;
  /** The conversation's transcript emails, oldest first (the caller checks access). */
  readonly forConversation: (conversationId: string) => Effect.Effect<ReadonlyArray<TranscriptEmail>>;
  /** Whether a team email of the inbox can send (the widget's config says so). */
  readonly availableIn: (inboxId: string) => boolean;
  /** Sends every due row once; resolves when the pass is over. */
  readonly runDue: () => Effect.Effect<TranscriptPass>;
  /** Starts the loop (every `intervalMs`, default 15 s); returns its stop. Starts nothing once draining. */
  readonly start: (intervalMs?: number) => () => void;
  /**
   * Shutdown: stops the loop, starts no pass and no send, waits up to `waitMs` for the sends under
   * way to be answered and recorded, then interrupts the rest (their rows stay queued, no try
   * counted). Resolves with how many finished and how many were let go.
   */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
}

export class Transcripts extends Context.Tag("Transcripts")<Transcripts, TranscriptsShape>() {}

interface DueRow {
  readonly id: number;
  readonly conversation_id: string;
  readonly inbox_id: string;
  readonly through_message_id: number;
  readonly recipient: string;
  readonly time_zone: string | null;
  readonly attempts: number;
}

const decodeAddress = S.decodeUnknownOption(ContactEmail);

/**
 * Transcripts over the app's Database, LiveEvents and EmailChannel. Released before the database
 * (it depends on it), its finalizer drains the sends under way for the configured wait
 * (AppConfig's shutdownWaitMs, else DELIVERY_SHUTDOWN_WAIT_MS), so their outcomes are written.
 */
export const layer: Layer.Layer<Transcripts, never, Database | LiveEvents | EmailChannel> = Layer.scoped(
  Transcripts,
  Effect.gen(function* () {
    const db = yield* Database;
    const live = yield* LiveEvents;
    const email = yield* EmailChannel;
    const config = yield* Effect.serviceOption(AppConfig);
    const shutdownWaitMs = Option.match(config, { onNone: () => undefined, onSome: (c) => c.shutdownWaitMs }) ?? DELIVERY_SHUTDOWN_WAIT_MS;

    const announce = (conversationId: string, inboxId: string) =>
      live.publishNow({ conversationId, inboxId, kind: "conversation", internal: true, data: { change: "transcript" } });

    const availableIn: TranscriptsShape["availableIn"] = (inboxId) =>
      (db.prepare("SELECT config FROM channels WHERE inbox_id = ? AND kind = 'email'").all(inboxId) as Array<{ config: string }>).some((row) =>
        sendsMail(parseJsonObject(row.config)),
      );

    const contactEmailOf = (conversationId: string): string | null => {
      const row = db
        .prepare(
          `SELECT COALESCE(cc.email, vc.email) AS email FROM conversations c
             LEFT JOIN contacts cc ON cc.id = c.contact_id
             LEFT JOIN visitors v ON v.id = c.visitor_id
             LEFT JOIN contacts vc ON vc.id = v.contact_id
            WHERE c.id = ?`,
        )
        .get(conversationId) as { email: string | null } | undefined;
      return row?.email ? Option.getOrNull(decodeAddress(row.email)) : null;
    };

    const visitorsConversation = (conversationId: string, visitorId: string) =>
      Effect.suspend((): Effect.Effect<ConversationAccessRow, NotFound | Forbidden> => {
        const row = db
          .prepare("SELECT id, inbox_id, channel_id, visitor_id, contact_id, chatflow_id, chatflow_version_id, status, assignee_id, team_id, version, is_preview FROM conversations WHERE id = ?")
          .get(conversationId) as ConversationAccessRow | undefined;
        if (!row) return Effect.fail(new NotFound({ entity: "conversation", id: conversationId }));
        if (row.visitor_id !== visitorId) return Effect.fail(new Forbidden({ message: "this conversation belongs to another visitor" }));
        return Effect.succeed(row);
      });

    const visitorAsks = (conversationId: string): { count: number; last: number | null } => {
      const row = db
        .prepare("SELECT count(*) AS count, max(created_at) AS last FROM transcript_emails WHERE conversation_id = ? AND requested_by = 'visitor'")
        .get(conversationId) as { count: number; last: number | null };
      return row;
    };

    const stateForVisitor: TranscriptsShape["stateForVisitor"] = ({ conversationId, visitorId }) =>
      Effect.map(visitorsConversation(conversationId, visitorId), (row) => {
        const address = contactEmailOf(row.id);
        return {
          available: availableIn(row.inbox_id),
          email: address === null ? null : maskEmail(address),
          remaining: Math.max(0, TRANSCRIPT_VISITOR_MAX - visitorAsks(row.id).count),
        };
      });

    /** Writes the request, its thread line and its event in one write; wakes the loop after the commit. */
    const queue = (
      row: ConversationAccessRow,
      request: { readonly recipient: string; readonly by: "visitor" | "agent"; readonly userId: string | null; readonly timeZone: string | null; readonly line: string },
    ) =>
      Effect.gen(function* () {
        const id = yield* Effect.orDie(
          db.writeEffect((sqlite: Sqlite) => {
            const at = now();
            const through = sqlite
              .prepare("SELECT max(id) FROM messages WHERE conversation_id = ? AND is_internal = 0 AND author IN ('visitor', 'bot', 'agent')")
              .pluck()
              .get(row.id) as number | null;
            const inserted = sqlite
              .prepare(
                `INSERT INTO transcript_emails (conversation_id, through_message_id, recipient, requested_by, user_id, time_zone, next_attempt_at, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(row.id, through ?? 0, request.recipient, request.by, request.userId, request.timeZone, at, at);
            // Internal: the widget and the public API never list it; the thread shows it as an event line.
            sqlite
              .prepare("INSERT INTO messages (conversation_id, author, text, payload, is_internal, user_id, created_at) VALUES (?, 'system', ?, ?, 1, ?, ?)")
              .run(row.id, request.line, JSON.stringify({ transcript: Number(inserted.lastInsertRowid) }), request.userId, at);
            logConversationEvent(sqlite.prepare.bind(sqlite), "transcript_requested", row, at, {
              userId: request.userId,
              data: { by: request.by, transcriptId: Number(inserted.lastInsertRowid) },
            });
            return String(inserted.lastInsertRowid);
          }),
        );
        announce(row.id, row.inbox_id);
        loop.wake();
        return id;
      });

    const nothingToSend = (row: ConversationAccessRow) =>
      (db.prepare("SELECT 1 FROM messages WHERE conversation_id = ? AND is_internal = 0 AND author IN ('visitor', 'bot', 'agent') LIMIT 1").get(row.id) ===
        undefined);
    const noTeamEmail = () =>
      new Conflict({
        message: "transcripts go by email, and no team email channel of this conversation's inbox can send (an outgoing relay and a send-as address): nothing was queued",
      });

    const requestByVisitor: TranscriptsShape["requestByVisitor"] = ({ conversationId, visitorId, body, admit }) =>
      Effect.gen(function* () {
        const row = yield* visitorsConversation(conversationId, visitorId);
        if (!availableIn(row.inbox_id)) return yield* Effect.fail(noTeamEmail());
        if (nothingToSend(row)) return yield* Effect.fail(new Conflict({ message: "this conversation has no messages to send yet" }));
        const own = contactEmailOf(row.id);
        const recipient = body.email ?? own;
        if (recipient === null) {
          return yield* Effect.fail(new InvalidInput({ issues: [{ path: "email", message: "we have no email address for you: send one in `email`" }] }));
        }
        const asked = visitorAsks(row.id);
        const at = now();
        if (asked.count >= TRANSCRIPT_VISITOR_MAX) return yield* Effect.fail(new RateLimited({ retryAfterSeconds: 24 * 3600 }));
        if (asked.last !== null && at - asked.last < TRANSCRIPT_VISITOR_GAP_MS) {
          return yield* Effect.fail(new RateLimited({ retryAfterSeconds: Math.ceil((asked.last + TRANSCRIPT_VISITOR_GAP_MS - at) / 1000) }));
        }
        const limited = admit?.();
        if (limited !== undefined) return yield* Effect.fail(limited);
        const masked = maskEmail(recipient);
        const id = yield* queue(row, {
          recipient,
          by: "visitor",
          userId: null,
          timeZone: body.timeZone ?? null,
          line: `The visitor asked for a transcript by email (to ${masked}${recipient !== own ? ", an address they typed" : ""})`,
        });
        return { id, recipient: masked };
      });

    const requestByAgent: TranscriptsShape["requestByAgent"] = (input, actor) =>
      Effect.gen(function* () {
        const row = yield* conversationFor(db.prepare, actor, input.conversationId);
        let recipient: string | null;
        if (input.email !== undefined && input.email.trim() !== "") {
          const decoded = decodeAddress(input.email);
          if (Option.isNone(decoded)) return yield* Effect.fail(new InvalidInput({ issues: [{ path: "email", message: "expected an email address like name@example.com" }] }));
          recipient = decoded.value;
        } else recipient = contactEmailOf(row.id);
        if (recipient === null) {
          return yield* Effect.fail(new InvalidInput({ issues: [{ path: "email", message: "this conversation's contact has no email address: type one" }] }));
        }
        if (!availableIn(row.inbox_id)) return yield* Effect.fail(noTeamEmail());
        if (nothingToSend(row)) return yield* Effect.fail(new Conflict({ message: "this conversation has no messages to send yet" }));
        const name =
          actor.name ??
          ((db.prepare("SELECT COALESCE(NULLIF(display_name, ''), name) FROM users WHERE id = ?").pluck().get(actor.id) as string | undefined) ?? "An agent");
        const id = yield* queue(row, { recipient, by: "agent", userId: actor.id, timeZone: null, line: `${name} emailed the transcript to ${recipient}` });
        return { id, recipient };
      });

    const forConversation: TranscriptsShape["forConversation"] = (conversationId) =>
      Effect.sync(() =>
        (
          db
            .prepare(
              "SELECT id, recipient, requested_by, status, reason, last_error, attempts, created_at FROM transcript_emails WHERE conversation_id = ? ORDER BY id",
            )
            .all(conversationId) as Array<{
            id: number;
            recipient: string;
            requested_by: "visitor" | "agent";
            status: "queued" | "sent" | "not_sent";
            reason: string | null;
            last_error: string | null;
            attempts: number;
            created_at: number;
          }>
        ).map((r) => ({
          id: String(r.id),
          recipient: r.recipient,
          requestedBy: r.requested_by,
          status: r.status,
          reason: r.reason,
          lastError: r.last_error,
          attempts: r.attempts,
          at: r.created_at,
        })),
      );

    /** The transcript's lines (the newest TRANSCRIPT_MAX_MESSAGES through `through`), and how many older ones were left out. */
    const linesOf = (conversationId: string, through: number): { lines: TranscriptLine[]; omitted: number } => {
      const total = db.prepare(`SELECT count(*) FROM messages WHERE ${VISIBLE}`).pluck().get(conversationId, through) as number;
      const rows = db
        .prepare(
          `SELECT m.id, m.author, m.text, m.created_at, COALESCE(NULLIF(u.display_name, ''), u.name) AS name,
                  (SELECT json_group_array(a.filename) FROM attachments a WHERE a.message_id = m.id) AS files
             FROM (${LISTED}) m
             LEFT JOIN users u ON u.id = m.user_id
            ORDER BY m.id`,
        )
        .all(conversationId, through) as Array<{ author: "visitor" | "bot" | "agent"; text: string; created_at: number; name: string | null; files: string }>;
      return {
        lines: rows.map((r) => ({
          author: r.author,
          name: r.author === "agent" ? r.name : null,
          text: r.text,
          files: (JSON.parse(r.files) as Array<string | null>).filter((f): f is string => typeof f === "string"),
          at: r.created_at,
        })),
        omitted: Math.max(0, total - rows.length),
      };
    };

    /**
     * The listed lines' files that fit one mail, read whole (only those: a long chat's files may
     * not fit in memory at once), and the names of the rest, in the order they were sent.
     */
    const filesOf = (conversationId: string, through: number) => {
      const listed = db
        .prepare(`SELECT a.id, a.filename, a.content_type, a.size FROM attachments a WHERE a.message_id IN (SELECT id FROM (${LISTED})) ORDER BY a.message_id, a.rowid`)
        .all(conversationId, through) as Array<{ id: string; filename: string; content_type: string; size: number }>;
      const { attached, leftOut } = attachmentsForMail(listed);
      const read = db.prepare("SELECT data FROM attachments WHERE id = ?").pluck();
      return {
        // A file erased since the listing (the contact's erasure) is simply not attached.
        attached: attached.flatMap((file) => {
          const data = read.get(file.id) as Buffer | undefined;
          return data === undefined ? [] : [{ filename: file.filename, contentType: file.content_type, data }];
        }),
        leftOut,
      };
    };

    const finish = (row: DueRow, outcome: { readonly sent: { readonly externalId: string; readonly channelId: string } } | { readonly notSent: string }) =>
      Effect.orDie(
        db.writeEffect((sqlite) => {
          const at = now();
          const sent = "sent" in outcome ? outcome.sent : null;
          sqlite
            .prepare("UPDATE transcript_emails SET status = ?, reason = ?, channel_id = ?, external_id = ?, attempts = attempts + 1, finished_at = ? WHERE id = ? AND status = 'queued'")
            .run(sent ? "sent" : "not_sent", "notSent" in outcome ? outcome.notSent.slice(0, MAX_REASON) : null, sent?.channelId ?? null, sent?.externalId ?? null, at, row.id);
          // The visitor's answer to the transcript threads back into this conversation.
          if (sent && row.through_message_id > 0) {
            sqlite
              .prepare(
                `INSERT OR IGNORE INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
                 VALUES (?, ?, ?, ?, 'out', ?)`,
              )
              .run(sent.channelId, sent.externalId, row.conversation_id, row.through_message_id, at);
          }
        }),
      );

    const handle = (row: DueRow) =>
      Effect.gen(function* () {
        const language = db
          .prepare("SELECT v.language FROM conversations c LEFT JOIN visitors v ON v.id = c.visitor_id WHERE c.id = ?")
          .pluck()
          .get(row.conversation_id) as string | null | undefined;
        const { lines, omitted } = linesOf(row.conversation_id, row.through_message_id);
        const files = filesOf(row.conversation_id, row.through_message_id);
        const sent = yield* Effect.either(
          email
            .sendToVisitor({
              conversationId: row.conversation_id,
              to: row.recipient,
              what: "the chat's transcript",
              key: `transcript:${row.id}`,
              agentName: null,
              files: files.attached,
              compose: (teamName) =>
                transcriptMail({ teamName, lines, omitted, language: language ?? null, timeZone: row.time_zone, filesLeftOut: files.leftOut }),
            })
            .pipe(Effect.catchAllDefect((defect) => Effect.fail(new SendFailed({ reason: `unexpected error: ${String(defect)}`, permanent: false })))),
        );
        const settled = yield* settleSend(sent, row.attempts, {
          sent: (value) => finish(row, { sent: value }),
          notSent: (reason) => finish(row, { notSent: reason }),
          retry: (attempts, at, error) =>
            Effect.orDie(
              db.writeEffect((sqlite) => {
                sqlite.prepare("UPDATE transcript_emails SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'queued'").run(attempts, at, error, row.id);
              }),
            ),
        });
        announce(row.conversation_id, row.inbox_id);
        return settled;
      });

    /** Shutdown: no pass and no send starts once draining; a send not started is "held" (left queued and due). */
    const shutdown = makeSendDrain();
    const idle: TranscriptPass = { sent: 0, notSent: 0, retrying: 0 };

    const pass = () =>
      Effect.gen(function* () {
        const rows = db
          .prepare(
            `SELECT t.id, t.conversation_id, c.inbox_id, t.through_message_id, t.recipient, t.time_zone, t.attempts
               FROM transcript_emails t JOIN conversations c ON c.id = t.conversation_id
              WHERE t.status = 'queued' AND t.next_attempt_at <= ? ORDER BY t.next_attempt_at, t.id LIMIT ${PASS_LIMIT}`,
          )
          .all(now()) as DueRow[];
        const results = yield* Effect.forEach(rows, (row) => shutdown.guard(handle(row)), { concurrency: 4 });
        const tally = { sent: 0, notSent: 0, retrying: 0 };
        for (const result of results) if (result !== "held") tally[result]++;
        return tally;
      });

    // A pass races shutdown's letting go: interrupted then, the sends it was waiting on are not recorded (still queued).
    const runDue: TranscriptsShape["runDue"] = () =>
      shutdown.pass(pass(), idle);

    const loop = makePassLoop("Transcripts", () => db.sqlite.open, runDue);
    const drained = drainedLoop(shutdown, loop.start);
    const start: TranscriptsShape["start"] = (intervalMs = 15_000) => drained.start(intervalMs);
    // What is still going after the wait is let go: interrupted, its row left queued (sent after the restart).
    const drain: TranscriptsShape["drain"] = drained.drain;
    yield* Effect.addFinalizer(() => drain(shutdownWaitMs));

    return {
      stateForVisitor,
      requestByVisitor,
      requestByAgent,
      forConversation,
      availableIn,
      runDue,
      start,
      drain,
    };
  }),
);
