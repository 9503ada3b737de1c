/**
 * Follow-ups: an agent's chat reply that the visitor has not seen follows them by email.
 *
 * A chat visitor who asked a question and closed the tab never reads the answer, unless it
 * reaches them where they are. When an agent replies in a chat conversation, the conversation
 * joins `follow_up_queue` in the reply's own write (migration 20). Once the chat channel's wait
 * has passed (`followUpMinutes`, 5 by default, 0 = off) this service looks again: replies the
 * visitor has seen since (the widget marks what it showed with its panel open and the page in
 * view: `visitor_reads`), or answered after, are left alone; the rest go to the visitor's
 * contact address in one email, through the first team email of the conversation's inbox that
 * can send, threaded after the conversation's earlier mails, in the visitor's language (English
 * or German). Its Message-ID is recorded under that email channel, so the visitor's answer by
 * email lands in the same conversation. Each email, sent or not (no address, no team email, a
 * relay that kept refusing), is a row of `follow_up_emails`, which the inbox shows under the
 * replies it covered; a relay's temporary failure is tried again with the outbox's backoff.
 *
 * Queue rows are taken out in the same write that records the outcome, and a reply written
 * meanwhile queues the conversation again there, so no reply slips between two looks.
 *
 * At shutdown (the layer's finalizer, before the database closes) the sends drain as the outbox's
 * do (decision 042, send-drain.ts): no pass and no send starts any more, and the sends under way
 * get up to SHUTDOWN_WAIT_SECONDS to be answered and recorded, so an email the relay took is not
 * sent again after the restart. Sends still going then are let go: their conversations stay
 * queued with no try counted, and are looked at again after the restart.
 */
import { Context, Effect, Either, Layer, Option } from "effect";
import { attachmentFilesOf, attachmentsForMail } from "./attachments.js";
import { CHAT_FOLLOW_UP_DEFAULT_MINUTES, CHAT_FOLLOW_UP_MAX_MINUTES } from "./channels.js";
import { now } from "./clock.js";
import { AppConfig } from "./config.js";
import { Database } from "./database.js";
import { DELIVERY_SHUTDOWN_WAIT_MS, RETRY_DELAYS_MS, SendFailed } from "./deliveries.js";
import { EmailChannel } from "./email-channel.js";
import { LiveEvents } from "./live-events.js";
import { makePassLoop } from "./pass-loop.js";
import { drainedLoop, makeSendDrain } from "./send-drain.js";

/** Most replies one follow-up email quotes; older unseen ones are summed up in a line. */
export const FOLLOW_UP_MAX_REPLIES = 10;
/** The longest a reply's text is quoted in the email. */
const MAX_QUOTED = 4000;
/** The longest a failure reason is kept. */
const MAX_REASON = 500;
/** Most conversations looked at in one pass (the oldest first). */
const PASS_LIMIT = 100;

/** One reply as the follow-up email quotes it. */
export interface FollowUpReply {
  readonly authorName: string;
  readonly text: string;
  readonly createdAt: number;
}

/** The subject and text of a follow-up email (the channel adds its signature). Pure. */
export const followUpMail = (input: {
  readonly teamName: string;
  readonly replies: ReadonlyArray<FollowUpReply>;
  /** Files of the replies too large to go with the mail (their names); they wait in the chat. */
  readonly filesLeftOut?: ReadonlyArray<string>;
  /** Replies older than those quoted, not seen either. */
  readonly omitted: number;
  /** Where the visitor chatted (http(s) only), to continue there; null when unknown. */
  readonly pageUrl: string | null;
  /** The visitor's language tag ("de-DE"); German for de, English otherwise. */
  readonly language: string | null;
}): { readonly subject: string; readonly text: string } => {
  const german = /^de\b/i.test(input.language ?? "");
  const team = input.teamName.replace(/[\r\n]+/g, " ").trim();
  const authors = [...new Set(input.replies.map((r) => r.authorName))];
  const who = authors.length === 1 ? authors[0]! : team || (german ? "Unser Team" : "Our team");
  const subject = german
    ? team
      ? `${team}: Neue Antwort auf Ihren Chat`
      : "Neue Antwort auf Ihren Chat"
    : team
      ? `${team}: New reply to your chat`
      : "New reply to your chat";
  const intro = german
    ? `${who} hat auf Ihren Chat geantwortet, als Sie nicht mehr da waren:`
    : `${who} replied to your chat after you left:`;
  const quoted = input.replies.map((r) => {
    const text = r.text.length > MAX_QUOTED ? `${r.text.slice(0, MAX_QUOTED - 1).trimEnd()}…` : r.text;
    return `${r.authorName}:\n${text
      .split(/\r?\n/)
      .map((line) => (line === "" ? ">" : `> ${line}`))
      .join("\n")}`;
  });
  const omitted =
    input.omitted > 0
      ? [german ? `(und ${input.omitted} frühere Nachricht${input.omitted === 1 ? "" : "en"})` : `(and ${input.omitted} earlier message${input.omitted === 1 ? "" : "s"})`]
      : [];
  const leftOut = input.filesLeftOut ?? [];
  const files =
    leftOut.length > 0
      ? [
          german
            ? `Zu groß für diese E-Mail, im Chat für Sie bereit: ${leftOut.join(", ")}`
            : `Too large for this email, waiting for you in the chat: ${leftOut.join(", ")}`,
        ]
      : [];
  const page = input.pageUrl !== null && /^https?:\/\//i.test(input.pageUrl) ? input.pageUrl : null;
  const outro = german
    ? page
      ? `Antworten Sie einfach auf diese E-Mail, oder setzen Sie den Chat fort: ${page}`
      : "Antworten Sie einfach auf diese E-Mail."
    : page
      ? `Just reply to this email, or continue the chat: ${page}`
      : "Just reply to this email.";
  return { subject, text: [intro, ...omitted, ...quoted, ...files, outro].join("\n\n") };
};

/** What the inbox shows about a chat conversation's replies and the visitor. */
export interface ConversationFollowUps {
  /** The newest message the visitor has seen, and when; null when they have seen none. */
  readonly seen: { readonly messageId: string; readonly at: number } | null;
  /** Each follow-up email, oldest first. */
  readonly emails: ReadonlyArray<FollowUpEmail>;
  /** Unseen replies waiting for their look, when; null when nothing waits. */
  readonly waiting: { readonly dueAt: number; readonly attempts: number; readonly lastError: string | null } | null;
  /** The chat channel's wait in minutes; 0 when follow-ups are off. */
  readonly minutes: number;
}

export interface FollowUpEmail {
  readonly fromMessageId: string;
  readonly throughMessageId: string;
  readonly status: "sent" | "not_sent";
  /** Why it was not sent. */
  readonly reason: string | null;
  readonly recipient: string | null;
  readonly at: number;
}

/** What one pass did. */
export interface FollowUpPass {
  readonly sent: number;
  readonly notSent: number;
  /** Looked at and left alone: every reply seen or answered, or follow-ups off. */
  readonly cleared: number;
  readonly retrying: number;
}

export interface FollowUpsShape {
  /** Looks at every conversation whose wait is over, once; resolves when the pass is over. */
  readonly runDue: () => Effect.Effect<FollowUpPass>;
  /** Starts the loop (every `intervalMs`, default 15 s); returns its stop. Starts nothing once draining. */
  readonly start: (intervalMs?: number) => () => void;
  /**
   * Shutdown: stops the loop, starts no pass and no send, waits up to `waitMs` for the sends under
   * way to be answered and recorded, then interrupts the rest (their conversations stay queued, no
   * try counted). Resolves with how many finished and how many were let go.
   */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
  /** The visitor's seen mark and the follow-up emails of one conversation (the caller checks access). */
  readonly forConversation: (conversationId: string) => Effect.Effect<ConversationFollowUps>;
}

export class FollowUps extends Context.Tag("FollowUps")<FollowUps, FollowUpsShape>() {}

/** The channel's wait as SQL, read from its config like `readChatConfig` does (the default when absent or bad). */
const MINUTES_SQL = `CASE WHEN json_type(ch.config, '$.followUpMinutes') = 'integer'
       AND json_extract(ch.config, '$.followUpMinutes') BETWEEN 0 AND ${CHAT_FOLLOW_UP_MAX_MINUTES}
     THEN json_extract(ch.config, '$.followUpMinutes') ELSE ${CHAT_FOLLOW_UP_DEFAULT_MINUTES} END`;

const SELECT_DUE = `
SELECT q.conversation_id, q.first_message_id, q.attempts, c.inbox_id, ${MINUTES_SQL} AS minutes
  FROM follow_up_queue q
  JOIN conversations c ON c.id = q.conversation_id
  JOIN channels ch ON ch.id = c.channel_id
 WHERE q.first_at + (${MINUTES_SQL}) * 60000 <= ?
   AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= ?)
 ORDER BY q.first_at
 LIMIT ${PASS_LIMIT}`;

interface DueRow {
  readonly conversation_id: string;
  readonly first_message_id: number;
  readonly attempts: number;
  readonly inbox_id: string;
  readonly minutes: number;
}

interface ReplyRow {
  readonly id: number;
  readonly text: string;
  readonly created_at: number;
  readonly name: string | null;
}

/** What a look at one conversation found, before anything is sent. */
type Look =
  | { readonly kind: "clear" }
  | {
      readonly kind: "mail";
      readonly from: number;
      readonly through: number;
      /** The quoted replies' message ids. */
      readonly messageIds: ReadonlyArray<number>;
      readonly replies: ReadonlyArray<FollowUpReply>;
      readonly omitted: number;
      readonly recipient: string | null;
      readonly pageUrl: string | null;
      readonly language: string | null;
      readonly agentName: string | null;
    };

/**
 * What a failed mail to a visitor means after `attempts` tries (follow-ups, transcripts): try
 * again after the outbox's backoff (RETRY_DELAYS_MS), or give up with the reason — at once for
 * a permanent refusal, else once the delays run out. Pure.
 */
export const afterFailedSend = (failure: SendFailed, attempts: number): { readonly retryInMs: number } | { readonly gaveUp: string } => {
  const delay = failure.permanent ? undefined : RETRY_DELAYS_MS[attempts - 1];
  if (delay !== undefined) return { retryInMs: delay };
  return { gaveUp: failure.permanent ? failure.reason : `gave up after ${attempts} tries: ${failure.reason}` };
};

/**
 * Records what one try of a mail to a visitor came to (follow-ups, transcripts), `earlier` tries
 * before it: `sent`, `notSent` with the reason (refused for good, or the tries ran out), or
 * `retry` at the outbox's next time with the error (cut to MAX_REASON); answers which.
 */
export const settleSend = <A>(
  outcome: Either.Either<A, SendFailed>,
  earlier: number,
  record: {
    readonly sent: (value: A) => Effect.Effect<void>;
    readonly notSent: (reason: string) => Effect.Effect<void>;
    readonly retry: (attempts: number, at: number, error: string) => Effect.Effect<void>;
  },
): Effect.Effect<"sent" | "notSent" | "retrying"> => {
  if (Either.isRight(outcome)) return Effect.as(record.sent(outcome.right), "sent" as const);
  const attempts = earlier + 1;
  const verdict = afterFailedSend(outcome.left, attempts);
  if ("gaveUp" in verdict) return Effect.as(record.notSent(verdict.gaveUp.slice(0, MAX_REASON)), "notSent" as const);
  return Effect.as(record.retry(attempts, now() + verdict.retryInMs, outcome.left.reason.slice(0, MAX_REASON)), "retrying" as const);
};

/**
 * Follow-ups over the app's Database, LiveEvents and EmailChannel. Released before the database
 * (it depends on it), its finalizer drains the sends under way for the configured wait
 * (AppConfig's shutdownWaitMs, else DELIVERY_SHUTDOWN_WAIT_MS), so their outcomes are written.
 */
export const layer: Layer.Layer<FollowUps, never, Database | LiveEvents | EmailChannel> = Layer.scoped(
  FollowUps,
  Effect.gen(function* () {
    const db = yield* Database;
    const live = yield* LiveEvents;
    const email = yield* EmailChannel;
    const config = yield* Effect.serviceOption(AppConfig);
    const shutdownWaitMs = Option.match(config, { onNone: () => undefined, onSome: (c) => c.shutdownWaitMs }) ?? DELIVERY_SHUTDOWN_WAIT_MS;

    /** Tells the agents' pages (never the visitor's stream) that a conversation's follow-ups changed. After the commit. */
    const announce = (conversationId: string, inboxId: string) =>
      live.publishNow({ conversationId, inboxId, kind: "conversation", internal: true, data: { change: "follow_up" } });

    const look = (row: DueRow): Look => {
      if (row.minutes === 0) return { kind: "clear" };
      const seen = (db.prepare("SELECT last_seen_message_id FROM visitor_reads WHERE conversation_id = ?").pluck().get(row.conversation_id) as number | undefined) ?? 0;
      const emailed = (db.prepare("SELECT max(through_message_id) FROM follow_up_emails WHERE conversation_id = ?").pluck().get(row.conversation_id) as number | null) ?? 0;
      // A visitor who wrote after a reply was there to see it.
      const answered =
        (db.prepare("SELECT max(id) FROM messages WHERE conversation_id = ? AND author = 'visitor'").pluck().get(row.conversation_id) as number | null) ?? 0;
      const after = Math.max(seen, emailed, answered, row.first_message_id - 1);
      const unseen = db
        .prepare(
          `SELECT m.id, m.text, m.created_at, COALESCE(NULLIF(u.display_name, ''), u.name) AS name
             FROM messages m LEFT JOIN users u ON u.id = m.user_id
            WHERE m.conversation_id = ? AND m.id > ? AND m.author = 'agent' AND m.is_internal = 0
            ORDER BY m.id`,
        )
        .all(row.conversation_id, after) as ReplyRow[];
      if (unseen.length === 0) return { kind: "clear" };
      const quoted = unseen.slice(-FOLLOW_UP_MAX_REPLIES);
      const who = db
        .prepare(
          `SELECT COALESCE(cc.email, vc.email) AS email, v.last_page_url, v.language
             FROM conversations c
             LEFT JOIN contacts cc ON cc.id = c.contact_id
             LEFT JOIN visitors v ON v.id = c.visitor_id
             LEFT JOIN contacts vc ON vc.id = v.contact_id
            WHERE c.id = ?`,
        )
        .get(row.conversation_id) as { email: string | null; last_page_url: string | null; language: string | null } | undefined;
      const newest = quoted[quoted.length - 1]!;
      return {
        kind: "mail",
        from: unseen[0]!.id,
        through: newest.id,
        messageIds: quoted.map((r) => r.id),
        replies: quoted.map((r) => ({ authorName: r.name ?? "Support", text: r.text, createdAt: r.created_at })),
        omitted: unseen.length - quoted.length,
        recipient: who?.email ?? null,
        pageUrl: who?.last_page_url ?? null,
        language: who?.language ?? null,
        agentName: newest.name,
      };
    };

    /**
     * Takes the conversation out of the queue and, when an agent replied after `through`
     * meanwhile, queues it again from that reply. Inside a write.
     */
    const requeueAfter = (sqlite: typeof db.sqlite, conversationId: string, through: number) => {
      sqlite.prepare("DELETE FROM follow_up_queue WHERE conversation_id = ?").run(conversationId);
      sqlite
        .prepare(
          `INSERT INTO follow_up_queue (conversation_id, first_message_id, first_at)
           SELECT conversation_id, id, created_at FROM messages
            WHERE conversation_id = ? AND id > ? AND author = 'agent' AND is_internal = 0
            ORDER BY id LIMIT 1`,
        )
        .run(conversationId, through);
    };

    const recordEmail = (
      row: DueRow,
      mail: Extract<Look, { kind: "mail" }>,
      outcome: { readonly sent: { readonly externalId: string; readonly channelId: string } } | { readonly notSent: string },
    ) =>
      db.writeEffect((sqlite) => {
        const at = now();
        const sent = "sent" in outcome ? outcome.sent : null;
        sqlite
          .prepare(
            `INSERT INTO follow_up_emails (conversation_id, from_message_id, through_message_id, status, reason, recipient, channel_id, external_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            row.conversation_id,
            mail.from,
            mail.through,
            sent ? "sent" : "not_sent",
            "notSent" in outcome ? outcome.notSent.slice(0, MAX_REASON) : null,
            mail.recipient,
            sent?.channelId ?? null,
            sent?.externalId ?? null,
            at,
          );
        if (sent) {
          sqlite
            .prepare(
              `INSERT OR IGNORE INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
               VALUES (?, ?, ?, ?, 'out', ?)`,
            )
            .run(sent.channelId, sent.externalId, row.conversation_id, mail.through, at);
        }
        requeueAfter(sqlite, row.conversation_id, mail.through);
      });

    const handle = (row: DueRow) =>
      Effect.gen(function* () {
        const found = look(row);
        if (found.kind === "clear") {
          // Everything up to the newest agent reply is settled (seen, answered, or off).
          const newest =
            (db
              .prepare("SELECT max(id) FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 0")
              .pluck()
              .get(row.conversation_id) as number | null) ?? row.first_message_id;
          yield* Effect.orDie(db.writeEffect((sqlite) => requeueAfter(sqlite, row.conversation_id, newest)));
          return "cleared" as const;
        }
        if (found.recipient === null) {
          yield* Effect.orDie(recordEmail(row, found, { notSent: "the visitor left no email address" }));
          announce(row.conversation_id, row.inbox_id);
          return "notSent" as const;
        }
        // The replies' files (a PDF the agent sent) go with the mail, as many as one mail carries.
        const files = attachmentsForMail(found.messageIds.flatMap((id) => attachmentFilesOf(db.prepare, id)));
        const sent = yield* Effect.either(
          email
            .sendToVisitor({
              conversationId: row.conversation_id,
              to: found.recipient,
              what: "the visitor's unseen replies",
              key: `follow-up:${found.through}`,
              agentName: found.agentName,
              files: files.attached,
              compose: (teamName) =>
                followUpMail({
                  teamName,
                  replies: found.replies,
                  omitted: found.omitted,
                  pageUrl: found.pageUrl,
                  language: found.language,
                  filesLeftOut: files.leftOut,
                }),
            })
            .pipe(Effect.catchAllDefect((defect) => Effect.fail(new SendFailed({ reason: `unexpected error: ${String(defect)}`, permanent: false })))),
        );
        const settled = yield* settleSend(sent, row.attempts, {
          sent: (value) => Effect.orDie(recordEmail(row, found, { sent: value })),
          notSent: (reason) => Effect.orDie(recordEmail(row, found, { notSent: reason })),
          retry: (attempts, at, error) =>
            Effect.orDie(
              db.writeEffect((sqlite) => {
                sqlite
                  .prepare("UPDATE follow_up_queue SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE conversation_id = ?")
                  .run(attempts, at, error, row.conversation_id);
              }),
            ),
        });
        announce(row.conversation_id, row.inbox_id);
        return settled;
      });

    /** Shutdown: no pass and no send starts once draining; a conversation not looked at is "held" (left queued and due). */
    const shutdown = makeSendDrain();
    const idle: FollowUpPass = { sent: 0, notSent: 0, cleared: 0, retrying: 0 };

    const pass = () =>
      Effect.gen(function* () {
        const at = now();
        const rows = db.prepare(SELECT_DUE).all(at, at) as DueRow[];
        const results = yield* Effect.forEach(rows, (row) => shutdown.guard(handle(row)), { concurrency: 4 });
        const tally = { sent: 0, notSent: 0, cleared: 0, retrying: 0 };
        for (const result of results) if (result !== "held") tally[result]++;
        return tally;
      });

    // A pass races shutdown's letting go: interrupted then, the sends it was waiting on are not recorded (still queued).
    const runDue: FollowUpsShape["runDue"] = () =>
      shutdown.pass(pass(), idle);

    const loop = makePassLoop("FollowUps", () => db.sqlite.open, runDue);
    const drained = drainedLoop(shutdown, loop.start);
    const start: FollowUpsShape["start"] = (intervalMs = 15_000) => drained.start(intervalMs);
    // What is still going after the wait is let go: interrupted, its conversation left queued (looked at after the restart).
    const drain: FollowUpsShape["drain"] = drained.drain;
    yield* Effect.addFinalizer(() => drain(shutdownWaitMs));

    const forConversation: FollowUpsShape["forConversation"] = (conversationId) =>
      Effect.sync(() => {
        const seen = db.prepare("SELECT last_seen_message_id, seen_at FROM visitor_reads WHERE conversation_id = ?").get(conversationId) as
          | { last_seen_message_id: number; seen_at: number }
          | undefined;
        const emails = db
          .prepare(
            `SELECT from_message_id, through_message_id, status, reason, recipient, created_at FROM follow_up_emails
              WHERE conversation_id = ? ORDER BY through_message_id, id`,
          )
          .all(conversationId) as Array<{
          from_message_id: number;
          through_message_id: number;
          status: "sent" | "not_sent";
          reason: string | null;
          recipient: string | null;
          created_at: number;
        }>;
        const queued = db
          .prepare(
            `SELECT q.first_at + (${MINUTES_SQL}) * 60000 AS due_at, q.next_attempt_at, q.attempts, q.last_error, ${MINUTES_SQL} AS minutes
               FROM follow_up_queue q JOIN conversations c ON c.id = q.conversation_id JOIN channels ch ON ch.id = c.channel_id
              WHERE q.conversation_id = ?`,
          )
          .get(conversationId) as { due_at: number; next_attempt_at: number | null; attempts: number; last_error: string | null; minutes: number } | undefined;
        const minutes =
          queued?.minutes ??
          ((db
            .prepare(`SELECT ${MINUTES_SQL} FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE c.id = ?`)
            .pluck()
            .get(conversationId) as number | undefined) ?? 0);
        return {
          seen: seen ? { messageId: String(seen.last_seen_message_id), at: seen.seen_at } : null,
          emails: emails.map((e) => ({
            fromMessageId: String(e.from_message_id),
            throughMessageId: String(e.through_message_id),
            status: e.status,
            reason: e.reason,
            recipient: e.recipient,
            at: e.created_at,
          })),
          waiting:
            queued && minutes > 0
              ? { dueAt: Math.max(queued.due_at, queued.next_attempt_at ?? 0), attempts: queued.attempts, lastError: queued.last_error }
              : null,
          minutes,
        };
      });

    return { runDue, start, drain, forConversation };
  }),
);
