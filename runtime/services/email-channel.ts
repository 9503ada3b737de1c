/**
 * Email channels: a team address (support@…) whose mail becomes conversations in the inbox,
 * and whose agents' replies go back out as email in the same thread.
 *
 * - Settings (email-settings.ts): the team addresses the channel receives, the send-as name
 *   and address, a signature, and the outgoing SMTP relay (its password stored, shown again
 *   only as a four-character hint).
 * - Receiving: Parley's own SMTP server (server/email-inbound.ts) asks `channelFor` at RCPT
 *   and hands each accepted mail to `receive`, which parses it (mailparser), drops machine
 *   mail and the inbox's blocked senders, finds or creates the sender's contact and visitor,
 *   and stores the new text (email-message.ts `newText`) in the thread its In-Reply-To /
 *   References name, or in a new conversation, once per Message-ID — with its attachments and
 *   inline images (attachments.ts) in the message's own write.
 * - Fetching (email-imap.ts): a channel may instead fetch its team mailbox over IMAP; a pass
 *   loop polls each such mailbox and hands every new mail to `receiveFor`, which stores it in
 *   that channel by the same path as `receive`, whatever address its To names. Where the server
 *   offers IDLE, a listening connection per mailbox (email-imap-idle.ts) runs that poll as soon
 *   as new mail arrives; the loop then only polls it every few minutes, as a safety net.
 * - Downloads: `attachmentDownload` serves one stored file to an agent who may open its
 *   conversation, with headers that never let a customer's file run as a page of Parley.
 * - Sending: the channel's Sender for the outbox (deliveries.ts) mails bot and agent messages
 *   through the relay with nodemailer, threaded with In-Reply-To / References, under a
 *   Message-ID on the send-as domain that replies to it thread back by, with the files an
 *   agent attached to the reply (stored with the message, attachments.ts).
 *
 * Every name this module exports starts with Email/email: app/runtime.server.ts re-exports
 * them all.
 */
import { createHash } from "node:crypto";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import nodemailer from "nodemailer";
import { Context, Data, Effect, Either, Fiber, Layer, Option, Schema as S } from "effect";
import {
  ATTACHMENT_MAX_LISTED,
  attachmentAssignIds,
  attachmentFilesOf,
  attachmentForActor,
  attachmentHeaders,
  attachmentPrepare,
  type AttachmentEntry,
  type AttachmentPrepared,
  type AttachmentRow,
} from "./attachments.js";
import { now } from "./clock.js";
import { Channels, parseJsonObject } from "./channels.js";
import { AppConfig } from "./config.js";
import { ContactEmail } from "./contacts.js";
import { Database } from "./database.js";
import { Deliveries, SendFailed, type Outbound, type Sender } from "./deliveries.js";
import { makeKeyedLock } from "./engine.js";
import { InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import type { Actor } from "./inbox-access.js";
import {
  attachmentNote,
  domainOf,
  fromName as replyFromName,
  judgeRelayError,
  machineMailReason,
  newText,
  normalizeMessageId,
  outgoingMessageId,
  replyBody,
  replySubject,
  replyThreadHeaders,
  threadIds,
} from "./email-message.js";
import {
  IMAP_POLL_CONCURRENCY,
  IMAP_POLL_INTERVAL_MS,
  ImapFailed,
  imapCheck,
  imapPoll,
  imapProblemAfter,
  imapStatusOf,
  type ImapStateRow,
  type ImapStatus,
  type ImapStored,
} from "./email-imap.js";
import { IMAP_IDLE_RESTART_MS, IMAP_RECONNECT_MIN_MS, imapListen, type ImapListening } from "./email-imap-idle.js";
import { checkSettings, hintOf, readStoredConfig, type EmailIncomingMode, type EmailSecurity } from "./email-settings.js";
import { escapeHtml } from "./form-html.js";
import { makePassLoop } from "./pass-loop.js";
import { OutsideConversations } from "./outside-conversations.js";
import { EmailFilters, isBlockedSender } from "./workspace.js";

/**
 * Largest mail accepted (bytes): bigger ones get SMTP 552. Base64 makes the 25 MB of files a
 * person may attach (ATTACHMENT_MAX_MAIL_BYTES) about 34 MB on the wire; the rest leaves room
 * for the text and for a file past the limits, which is listed as not stored rather than
 * bouncing the whole mail.
 */
export const EMAIL_MAX_BYTES = 40 * 1024 * 1024;
/** How long one relay conversation may take before the send is tried again later. */
export const EMAIL_SEND_TIMEOUT_MS = 30_000;

/** What the settings page shows: never the password itself. */
export interface EmailSettings {
  readonly channelId: string;
  readonly addresses: ReadonlyArray<string>;
  readonly fromName: string;
  readonly fromAddress: string;
  readonly signature: string;
  readonly relay: { readonly host: string; readonly port: number; readonly security: EmailSecurity; readonly user: string } | null;
  readonly password: { readonly configured: boolean; readonly hint: string | null };
  /** Where to forward mail to: Parley's SMTP server, or null when it does not run (SMTP_PORT unset). */
  readonly inbound: {
    readonly host: string;
    readonly port: number;
    /** Whether the server offers STARTTLS (its own certificate), and whether it refuses senders without it. */
    readonly tls: "none" | "offered" | "required";
  } | null;
  /** The inbox whose email filters (blocked senders and domains) apply to this channel. */
  readonly inboxId: string;
  /** Where its mail comes from: Parley's SMTP server, or fetched from the team's mailbox (`imap`). */
  readonly incoming: EmailIncomingMode;
  /** The mailbox fetched from (kept while SMTP is chosen), without its password. */
  readonly imap: { readonly host: string; readonly port: number; readonly security: EmailSecurity; readonly user: string; readonly folder: string } | null;
  readonly imapPassword: { readonly configured: boolean; readonly hint: string | null };
  /** How fetching went: the last complete check (and how many mails it brought, while this server has run it), or its error. */
  readonly imapStatus: EmailImapStatus;
}

/** The settings page's view of a channel's IMAP polling. */
export interface EmailImapStatus extends ImapStatus {
  /** Mails the last complete check brought in, when this server process ran it (not kept across restarts). */
  readonly newCount: number | null;
  /** Whether this server process listens to the mailbox (IDLE) or polls it, and why; null while it does neither (not fetching, or the loop is not started). */
  readonly listening: ImapListening | null;
}

/** How often a listening mailbox is still polled in full, should the server have missed telling of a mail. */
export const EMAIL_IMAP_SAFETY_POLL_MS = 5 * 60_000;
/** How long after the server's word of new mail the poll starts, so a burst of mails makes one poll. */
export const EMAIL_IMAP_DEBOUNCE_MS = 500;
/**
 * Most mailboxes listened to at once (one connection each, the oldest channels first); the
 * others are polled every minute.
 */
export const EMAIL_IMAP_MAX_LISTENING = 50;

/** The loop's timing; tests shorten or lengthen it. */
export interface EmailPollingOptions {
  /** How often the loop runs (polls the mailboxes nobody listens to); default IMAP_POLL_INTERVAL_MS. */
  readonly intervalMs?: number;
  /** Poll a listening mailbox after this long without a poll; default EMAIL_IMAP_SAFETY_POLL_MS. */
  readonly safetyPollMs?: number;
  /** Listen to at most this many mailboxes; default EMAIL_IMAP_MAX_LISTENING. */
  readonly maxListening?: number;
  /** The listening connections' timing (email-imap-idle.ts); defaults there. */
  readonly reconnectMinMs?: number;
  readonly restartMs?: number;
}

/** A mail refused at the SMTP level: the server answers `code` and `message`, and nothing is stored. */
export class EmailRejected extends Data.TaggedError("EmailRejected")<{ readonly code: number; readonly message: string }> {}

/** One accepted mail as the SMTP server hands it over. */
export interface EmailIncoming {
  readonly raw: Buffer;
  /** MAIL FROM; null for the empty return path `<>`. */
  readonly envelopeFrom: string | null;
  /** The accepted RCPT TO addresses (each one some email channel receives). */
  readonly recipients: ReadonlyArray<string>;
}

/** What happened to a mail in one channel. */
export type EmailOutcome =
  | {
      readonly channelId: string;
      readonly kind: "opened" | "appended";
      readonly conversationId: string;
      readonly messageId: number;
      /** The mail's stored files, in the order the payload lists them. */
      readonly attachmentIds: ReadonlyArray<string>;
    }
  | { readonly channelId: string; readonly kind: "duplicate"; readonly conversationId: string }
  | { readonly channelId: string; readonly kind: "dropped"; readonly reason: string };

export interface EmailChannelShape {
  readonly settings: (channelId: string) => Effect.Effect<EmailSettings, NotFound>;
  /** Saves the admin's form (all strings; addresses one a line; an empty password keeps the stored one). */
  readonly saveSettings: (channelId: string, input: unknown) => Effect.Effect<EmailSettings, NotFound | InvalidInput>;
  /** The email channel that receives `address`, or null (the SMTP server refuses the recipient). */
  readonly channelFor: (address: string) => Effect.Effect<string | null>;
  /**
   * Stores one mail in each channel its recipients belong to, before it succeeds. EmailRejected
   * (nothing stored): unreadable, or no valid From address. Machine mail and blocked senders
   * succeed as `dropped`: they are accepted and never open a conversation.
   */
  readonly receive: (mail: EmailIncoming) => Effect.Effect<ReadonlyArray<EmailOutcome>, EmailRejected>;
  /**
   * `receive` for a mail fetched from channel `channelId`'s own mailbox (IMAP): stored in that
   * channel whatever its To names (a BCC, a group alias). With no envelope, the Return-Path
   * header tells a bounce. NotFound when the channel is not an email channel.
   */
  readonly receiveFor: (channelId: string, raw: Buffer) => Effect.Effect<EmailOutcome, EmailRejected | NotFound>;
  /** One pass over every channel that fetches by IMAP: each polled on its own, a failure recorded on its channel only. */
  readonly pollMailboxes: () => Effect.Effect<void>;
  /**
   * Starts fetching: a listening connection per mailbox whose server offers IDLE (polled as soon
   * as mail arrives, and every few minutes regardless), a poll every minute of the others, and
   * one at once after an IMAP channel's settings are saved. Returns its stop, which also closes
   * the listening connections (as does disposing the layer). One channel is never polled twice at once.
   */
  readonly startPolling: (options?: EmailPollingOptions) => () => void;
  /** Signs in to the channel's stored mailbox and opens its folder, fetching nothing: OK, or the server's error. */
  readonly checkMailbox: (channelId: string) => Effect.Effect<{ readonly ok: true } | { readonly ok: false; readonly message: string }, NotFound>;
  /** The outbox's sender for email channels (registered when the layer is built). */
  readonly send: Sender;
  /**
   * Mails a chat's visitor (a follow-up, follow-ups.ts; a transcript, transcripts.ts) through the
   * conversation's inbox's first team email that can send; the sending channel and mail id when it went.
   */
  readonly sendToVisitor: (mail: VisitorMail) => Effect.Effect<{ readonly externalId: string; readonly channelId: string }, SendFailed>;
  /**
   * Mails a scheduled report to workspace users (report-schedules.ts) through `channelId` when it
   * can send, or, with null, the workspace's first team email channel that can (oldest first);
   * NoSendingChannel when that channel, or every one, cannot send. The sending channel and mail id when it went.
   */
  readonly sendReport: (mail: ReportMail) => Effect.Effect<{ readonly externalId: string; readonly channelId: string }, SendFailed | NoSendingChannel>;
  /**
   * One stored attachment as a download (its bytes and the response headers), when the actor
   * may open its conversation; NotFound for an unknown id and for one outside their inboxes alike.
   */
  readonly attachmentDownload: (attachmentId: string, actor: Actor) => Effect.Effect<EmailAttachmentDownload, NotFound>;
}

/** A mail to a chat's visitor as its service composes it (a follow-up, a transcript); the channel adds its signature. */
export interface VisitorMail {
  readonly conversationId: string;
  readonly to: string;
  /** What is sent, for the reason when no team email can ("the visitor's unseen replies"). */
  readonly what: string;
  /** Who wrote the newest reply, for the From name ("Ann (Acme Support)"). */
  readonly agentName: string | null;
  /** The subject and text (and an HTML part, all of it escaped), given the send-as name of the channel that sends it. */
  readonly compose: (teamName: string) => { readonly subject: string; readonly text: string; readonly html?: string };
  /** The files the replies carried, attached to the mail. */
  readonly files: ReadonlyArray<{ readonly filename: string; readonly contentType: string; readonly data: Buffer }>;
  /** What this mail is, the same at every try ("transcript:<its row id>"): it names the Message-ID. */
  readonly key: string;
}

/** A scheduled report's mail (report-schedules.ts); the channel adds its signature. */
export interface ReportMail {
  /** The team email channel to send through; null: the workspace's first that can send. */
  readonly channelId: string | null;
  readonly to: ReadonlyArray<string>;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly files: ReadonlyArray<{ readonly filename: string; readonly contentType: string; readonly data: Buffer }>;
  /** The schedule and the period ("report-schedule:<id>", "2026-11-16..2026-11-22"): the same at every try, they name the Message-ID. */
  readonly source: string;
  readonly key: string;
}

/** No team email channel can send a report (none has a relay and a send-as address, or the chosen one lost them). */
export class NoSendingChannel extends Data.TaggedError("NoSendingChannel")<{ readonly message: string }> {}

/** A download of an email's attachment: the bytes and the headers to serve them with. */
export interface EmailAttachmentDownload {
  readonly filename: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export class EmailChannel extends Context.Tag("EmailChannel")<EmailChannel, EmailChannelShape>() {}

const decodeAddress = S.decodeUnknownOption(ContactEmail);
const decodeFilters = S.decodeUnknownOption(S.parseJson(EmailFilters));

const addressesOf = (value: AddressObject | AddressObject[] | undefined): Array<{ address: string; name: string }> =>
  (value === undefined ? [] : Array.isArray(value) ? value : [value])
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .filter((entry) => typeof entry.address === "string" && entry.address !== "")
    .map((entry) => ({ address: entry.address!.toLowerCase(), name: entry.name ?? "" }));

const headerText = (mail: ParsedMail, name: string): string | undefined => {
  const value = mail.headers.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "object" && "value" in value && typeof (value as { value: unknown }).value === "string") return (value as { value: string }).value;
  if (typeof value === "object" && "text" in value && typeof (value as { text: unknown }).text === "string") return (value as { text: string }).text;
  return String(value);
};

/** The text to store: the new part of the plain text (mailparser makes it from HTML-only mail), then its attachments' names. */
const storedText = (mail: ParsedMail, files: ReadonlyArray<AttachmentPrepared>, unlisted: number): string => {
  const text = newText(mail.text ?? "");
  const note = attachmentNote(
    files.map((f) => ({ name: f.name, size: f.size, ...(f.skipped === null ? {} : { skipped: f.skipped }) })),
    unlisted,
  );
  if (text === "") return note === "" ? "(empty email)" : note;
  return note === "" ? text : `${text}\n\n${note}`;
};

/** True when an email channel's stored config can send mail: a relay, a send-as name and address. Pure. */
export const sendsMail = (stored: Record<string, unknown>): boolean => {
  const c = readStoredConfig(stored);
  return c.relay !== null && c.fromAddress !== null && c.fromName !== null;
};

/** An HTML body with the channel's signature under it, the signature escaped (plain text in the settings). Pure. */
const htmlWithSignature = (html: string, signature: string): string =>
  signature.trim() === "" ? html : `${html}<p style="color:#555">${escapeHtml(signature).replace(/\r?\n/g, "<br>")}</p>`;

const wildcardHosts = new Set(["", "0.0.0.0", "::", "[::]"]);

export const emailChannelLayer = Layer.scoped(
  EmailChannel,
  Effect.gen(function* () {
    const config = yield* AppConfig;
    const db = yield* Database;
    const channels = yield* Channels;
    const outside = yield* OutsideConversations;
    const deliveries = yield* Deliveries;
    // One sender's mail in a channel is stored one at a time: two quick mails cannot open two threads' worth of visitors.
    const lock = makeKeyedLock();

    // ---- settings ----

    const inboundAddress = (): EmailSettings["inbound"] => {
      if (config.smtp === null) return null;
      const host = wildcardHosts.has(config.smtp.host) ? new URL(config.publicUrl).hostname : config.smtp.host;
      const tls = config.smtp.tls === null ? "none" : config.smtp.requireTls ? "required" : "offered";
      return { host, port: config.smtp.port, tls };
    };

    const imapState = (channelId: string) =>
      db
        .prepare("SELECT uid_validity, last_uid, polled_at, last_error, last_error_at FROM email_imap_state WHERE channel_id = ?")
        .get(channelId) as ImapStateRow | undefined;
    // Mails each channel's last complete poll brought, by that poll's time: only this process's polls.
    const lastTaken = new Map<string, { at: number; taken: number }>();
    // Each fetching channel's listening connection's state (email-imap-idle.ts), while the loop runs.
    const listening = new Map<string, ImapListening>();

    const view = (channelId: string, inboxId: string, stored: Record<string, unknown>): EmailSettings => {
      const c = readStoredConfig(stored);
      const status = imapStatusOf(imapState(channelId));
      const taken = lastTaken.get(channelId);
      return {
        channelId,
        addresses: c.addresses,
        fromName: c.fromName ?? "",
        fromAddress: c.fromAddress ?? "",
        signature: c.signature,
        relay: c.relay === null ? null : { host: c.relay.host, port: c.relay.port, security: c.relay.security, user: c.relay.user ?? "" },
        password: { configured: c.relay?.password != null, hint: hintOf(c.relay?.password ?? null) },
        inbound: inboundAddress(),
        inboxId,
        incoming: c.incoming,
        imap: c.imap === null ? null : { host: c.imap.host, port: c.imap.port, security: c.imap.security, user: c.imap.user, folder: c.imap.folder },
        imapPassword: { configured: c.imap !== null, hint: hintOf(c.imap?.password ?? null) },
        imapStatus: {
          ...status,
          newCount: taken !== undefined && taken.at === status.checkedAt ? taken.taken : null,
          listening: c.incoming === "imap" && c.imap !== null ? (listening.get(channelId) ?? null) : null,
        },
      };
    };

    const emailChannels = () =>
      (db.prepare("SELECT id, inbox_id, config FROM channels WHERE kind = 'email' ORDER BY created_at, id").all() as Array<{
        id: string;
        inbox_id: string;
        config: string;
      }>).map((row) => ({ id: row.id, inboxId: row.inbox_id, config: readStoredConfig(parseJsonObject(row.config)) }));

    const settings: EmailChannelShape["settings"] = Effect.fn("EmailChannel.settings")(function* (channelId: string) {
      const channel = yield* channels.get(channelId);
      const stored = yield* channels.readConfig(channelId, "email");
      return view(channelId, channel.inboxId, stored);
    });

    const saveSettings: EmailChannelShape["saveSettings"] = Effect.fn("EmailChannel.saveSettings")(function* (channelId: string, input: unknown) {
      const channel = yield* channels.get(channelId);
      const others = emailChannels().filter((c) => c.id !== channelId);
      const taken = (address: string) => others.some((c) => c.config.addresses.includes(address));
      const stored = yield* channels.writeConfig(channelId, "email", (current) =>
        Either.mapLeft(checkSettings(current, input, taken), (issues) => new InvalidInput({ issues })),
      );
      // A mailbox just set up (or changed) is read at once rather than at the next minute.
      if (readStoredConfig(stored).incoming === "imap") pollSoon(channelId);
      return view(channelId, channel.inboxId, stored);
    });

    const channelFor: EmailChannelShape["channelFor"] = (address) =>
      Effect.sync(() => {
        const wanted = address.trim().toLowerCase();
        return emailChannels().find((c) => c.config.addresses.includes(wanted))?.id ?? null;
      });

    // ---- receiving ----

    /** Finds the contact with `email` (filling an empty name) or creates it, in one write. */
    const contactFor = (email: string, name: string | null) =>
      Effect.orDie(
        db.writeEffect((sqlite) => {
          const at = now();
          const found = sqlite.prepare("SELECT id FROM contacts WHERE email = ? COLLATE NOCASE").get(email) as { id: string } | undefined;
          if (found) {
            if (name !== null) {
              sqlite.prepare("UPDATE contacts SET name = ?, updated_at = ? WHERE id = ? AND COALESCE(name, '') = ''").run(name, at, found.id);
            }
            return found.id;
          }
          const id = newId("contact");
          sqlite
            .prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES (?, ?, ?, NULL, '{}', ?, ?)")
            .run(id, email, name, at, at);
          return id;
        }),
      );

    const blockedBy = (inboxId: string, sender: string): boolean => {
      const row = db.prepare("SELECT email_filters FROM inboxes WHERE id = ?").get(inboxId) as { email_filters: string } | undefined;
      const filters = Option.getOrNull(decodeFilters(row?.email_filters ?? ""));
      return filters !== null && isBlockedSender(filters, sender);
    };

    const storeIn = (
      channelId: string,
      mail: ParsedMail,
      sender: { address: string; name: string | null },
      messageId: string,
      text: string,
      payload: Record<string, unknown>,
      attachments: ReadonlyArray<AttachmentRow>,
    ): Effect.Effect<EmailOutcome, NotFound> =>
      Effect.gen(function* () {
        const contactId = yield* contactFor(sender.address, sender.name);
        const { visitorId } = yield* outside.visitorFor({ channelId, externalId: sender.address, contactId });
        const thread = threadIds(mail.inReplyTo, mail.references);
        const conversationId = thread.length === 0 ? null : yield* outside.conversationForExternalId(channelId, thread);
        if (conversationId !== null) {
          const appended = yield* outside.append({ conversationId, text, payload, externalMessageId: messageId, attachments });
          return appended.duplicate
            ? { channelId, kind: "duplicate" as const, conversationId }
            : { channelId, kind: "appended" as const, conversationId, messageId: appended.messageId, attachmentIds: appended.attachmentIds };
        }
        const subject = typeof payload.subject === "string" ? payload.subject : "";
        const opened = yield* outside.open({
          channelId,
          visitorId,
          contactId,
          text,
          payload,
          via: "email",
          externalMessageId: messageId,
          pageUrl: subject === "" ? null : subject.slice(0, 500),
          attachments,
        });
        return opened.duplicate
          ? { channelId, kind: "duplicate" as const, conversationId: opened.conversationId }
          : { channelId, kind: "opened" as const, conversationId: opened.conversationId, messageId: opened.messageId, attachmentIds: opened.attachmentIds };
      });

    /**
     * What `receive` and `receiveFor` share: parse, judge the sender, and store in each channel
     * `channelsOf` names for the parsed mail. `envelopeFrom` undefined: no envelope (fetched by
     * IMAP), so the sender's address stands in and the Return-Path header tells a bounce.
     */
    const receiveInto = <E>(
      raw: Buffer,
      envelopeFrom: string | null | undefined,
      channelsOf: () => Effect.Effect<ReadonlyArray<string>, E>,
    ): Effect.Effect<ReadonlyArray<EmailOutcome>, EmailRejected | E> =>
      Effect.gen(function* () {
        const mail = yield* Effect.tryPromise({
          try: () => simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true }),
          catch: (error) =>
            new EmailRejected({ code: 554, message: `5.6.0 could not read this message: ${error instanceof Error ? error.message : String(error)}` }),
        });
        const fromEntry = addressesOf(mail.from)[0];
        const fromAddress = fromEntry === undefined ? Option.none() : decodeAddress(fromEntry.address);
        if (Option.isNone(fromAddress)) {
          return yield* Effect.fail(new EmailRejected({ code: 550, message: "5.6.0 the message has no valid From address, so it cannot be answered" }));
        }
        const sender = { address: fromAddress.value, name: fromEntry?.name.trim() ? fromEntry.name.trim().slice(0, 200) : null };
        const channelIds = yield* channelsOf();

        // A mail without a Message-ID still de-duplicates: a redelivery of the same bytes has the same digest.
        const messageId =
          normalizeMessageId(mail.messageId) ?? `<${createHash("sha256").update(raw).digest("hex").slice(0, 40)}@no-message-id.parley.invalid>`;
        const machine = machineMailReason({
          envelopeFrom: envelopeFrom === undefined ? sender.address : envelopeFrom,
          from: sender.address,
          autoSubmitted: headerText(mail, "auto-submitted"),
          precedence: headerText(mail, "precedence"),
          returnPath: headerText(mail, "return-path"),
        });
        if (machine !== null) return channelIds.map((channelId) => ({ channelId, kind: "dropped" as const, reason: `machine mail: ${machine}` }));

        // Inline images (a cid: part of the HTML) are files too: mailparser lists them among the attachments.
        // Files past the payload's list are neither listed nor stored (a stored file without a link is lost); the note counts them.
        const files = attachmentPrepare(mail.attachments.slice(0, ATTACHMENT_MAX_LISTED));
        const unlisted = Math.max(0, mail.attachments.length - ATTACHMENT_MAX_LISTED);
        const text = storedText(mail, files, unlisted);
        const payloadWith = (attachments: ReadonlyArray<AttachmentEntry>): Record<string, unknown> => ({
          subject: (mail.subject ?? "").slice(0, 1000),
          from: { address: sender.address, name: sender.name },
          to: addressesOf(mail.to).slice(0, 50),
          cc: addressesOf(mail.cc).slice(0, 50),
          messageId,
          attachments,
          ...(unlisted > 0 ? { attachmentsNotListed: unlisted } : {}),
        });
        return yield* Effect.forEach(channelIds, (channelId) => {
          const channel = emailChannels().find((c) => c.id === channelId);
          // The team's own address writing to itself (a forward rule pointing back, a reply CC'd to the team) would loop.
          if (channel && (channel.config.addresses.includes(sender.address) || channel.config.fromAddress?.toLowerCase() === sender.address)) {
            return Effect.succeed<EmailOutcome>({ channelId, kind: "dropped", reason: `mail from this channel's own address ${sender.address}` });
          }
          const inboxId = channel?.inboxId;
          if (inboxId !== undefined && blockedBy(inboxId, sender.address)) {
            return Effect.succeed<EmailOutcome>({ channelId, kind: "dropped", reason: `blocked sender ${sender.address} (the inbox's email filters)` });
          }
          // Fresh ids per channel: a mail to two channels stores its files in each conversation.
          const { entries, rows } = attachmentAssignIds(files);
          return lock.withLock(`${channelId}:${sender.address}`, storeIn(channelId, mail, sender, messageId, text, payloadWith(entries), rows));
        }).pipe(
          // The channel was there at RCPT; a NotFound now means it was deleted meanwhile.
          Effect.catchTag("NotFound", (error) => Effect.die(error)),
          Effect.ensuring(Effect.sync(() => deliveries.wake())),
        );
      });

    const receive: EmailChannelShape["receive"] = Effect.fn("EmailChannel.receive")(function* (incoming: EmailIncoming) {
      return yield* receiveInto(incoming.raw, incoming.envelopeFrom, () =>
        Effect.gen(function* () {
          const ids = [...new Set((yield* Effect.forEach(incoming.recipients, channelFor)).filter((id): id is string => id !== null))];
          if (ids.length === 0) return yield* Effect.fail(new EmailRejected({ code: 550, message: "5.1.1 no email channel receives these recipients" }));
          return ids;
        }),
      );
    });

    const receiveFor: EmailChannelShape["receiveFor"] = Effect.fn("EmailChannel.receiveFor")(function* (channelId: string, raw: Buffer) {
      if (!emailChannels().some((c) => c.id === channelId)) return yield* Effect.fail(new NotFound({ entity: "email channel", id: channelId }));
      const [outcome] = yield* receiveInto(raw, undefined, () => Effect.succeed([channelId]));
      return outcome!;
    });

    // ---- fetching by IMAP (email-imap.ts) ----

    const writeImapState = (channelId: string, change: (row: ImapStateRow | undefined) => Partial<ImapStateRow>) =>
      Effect.orDie(
        db.writeEffect((sqlite) => {
          const row = sqlite
            .prepare("SELECT uid_validity, last_uid, polled_at, last_error, last_error_at FROM email_imap_state WHERE channel_id = ?")
            .get(channelId) as ImapStateRow | undefined;
          // The channel was deleted meanwhile: nothing to record.
          if (sqlite.prepare("SELECT 1 FROM channels WHERE id = ?").get(channelId) === undefined) return;
          const next = { uid_validity: null, last_uid: 0, polled_at: null, last_error: null, last_error_at: null, ...row, ...change(row) };
          sqlite
            .prepare(
              `INSERT INTO email_imap_state (channel_id, uid_validity, last_uid, polled_at, last_error, last_error_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (channel_id) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
                 polled_at = excluded.polled_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
            )
            .run(channelId, next.uid_validity, next.last_uid, next.polled_at, next.last_error, next.last_error_at);
        }),
      );

    /** One channel's poll, its outcome recorded in its state row; never fails. */
    const pollChannel = (channelId: string, mailbox: NonNullable<ReturnType<typeof readStoredConfig>["imap"]>) =>
      Effect.gen(function* () {
        const row = imapState(channelId);
        const store = (raw: Buffer) =>
          receiveFor(channelId, raw).pipe(
            Effect.map((): ImapStored => ({ kind: "stored" })),
            // Unreadable, or no From to answer: it can never be stored, so it is skipped (and marked read) with a note.
            Effect.catchTag("EmailRejected", (rejected) => Effect.succeed<ImapStored>({ kind: "skipped", note: rejected.message.replace(/^\d\.\d\.\d /, "") })),
          );
        const result = yield* imapPoll({
          mailbox,
          progress: { mailboxKey: row?.uid_validity ?? null, lastUid: row?.last_uid ?? 0 },
          maxBytes: EMAIL_MAX_BYTES,
          store,
          commit: (progress) => writeImapState(channelId, () => ({ uid_validity: progress.mailboxKey, last_uid: progress.lastUid })),
        }).pipe(Effect.either);
        const at = now();
        if (Either.isLeft(result)) {
          const message = result.left._tag === "ImapFailed" ? result.left.message : `could not store a fetched mail: ${String(result.left)}`;
          return yield* writeImapState(channelId, (current) => imapProblemAfter(current, { at, failed: message }));
        }
        lastTaken.set(channelId, { at, taken: result.right.taken });
        yield* writeImapState(channelId, (current) => ({ polled_at: at, ...imapProblemAfter(current, { at, notes: result.right.notes }) }));
      }).pipe(
        // A defect (a write that failed, a bug) is recorded on this channel too: the other channels are still polled.
        Effect.catchAllDefect((defect) =>
          writeImapState(channelId, (current) =>
            imapProblemAfter(current, { at: now(), failed: `a fault in Parley while fetching: ${defect instanceof Error ? defect.message : String(defect)}` }),
          ).pipe(Effect.catchAllDefect(() => Effect.void)),
        ),
      );

    const fetching = () => emailChannels().filter((c) => c.config.incoming === "imap" && c.config.imap !== null);

    // One poll of a channel at a time, whoever asks (the loop, a listening connection, a save):
    // the next waits for it, so two never take the same mail or write the progress row at once.
    const pollLock = makeKeyedLock();
    // At most IMAP_POLL_CONCURRENCY polls at once, whoever asked for them (the loop's pass, news of mail).
    const pollPermits = yield* Effect.makeSemaphore(IMAP_POLL_CONCURRENCY);
    // When each channel's last poll by this process ended, for the safety net of listening ones.
    const lastPolled = new Map<string, number>();
    /** A poll of the channel (inside its lock), its end time recorded. */
    const pollRecorded = (channelId: string, mailbox: NonNullable<ReturnType<typeof readStoredConfig>["imap"]>) =>
      pollPermits.withPermits(1)(pollChannel(channelId, mailbox)).pipe(Effect.ensuring(Effect.sync(() => lastPolled.set(channelId, now()))));
    const pollGuarded = (channelId: string, mailbox: NonNullable<ReturnType<typeof readStoredConfig>["imap"]>) =>
      pollLock.withLock(channelId, pollRecorded(channelId, mailbox));

    const pollMailboxes: EmailChannelShape["pollMailboxes"] = () =>
      Effect.suspend(() =>
        Effect.forEach(
          fetching(),
          (c) => pollGuarded(c.id, c.config.imap!),
          // A mailbox that does not answer holds its own poll up to the timeouts, not every other channel's.
          { discard: true, concurrency: IMAP_POLL_CONCURRENCY },
        ),
      );

    // ---- listening for new mail (IMAP IDLE, email-imap-idle.ts) ----

    /** The loop's settings while it runs; null when stopped (nothing listens, nothing is polled on its own). */
    let running: Required<EmailPollingOptions> | null = null;
    /** Stops the running loop (startPolling's stop); null when none runs. */
    let stopRunning: (() => void) | null = null;
    // A fetching channel's listener: the mailbox it was started for, and its fiber (interrupting it logs out).
    const listeners = new Map<string, { readonly key: string; fiber: Fiber.RuntimeFiber<void> | null }>();
    // Channels whose poll is asked for and has not started yet: more news of mail joins that poll.
    const pollAsked = new Set<string>();

    /**
     * Polls a channel soon (after EMAIL_IMAP_DEBOUNCE_MS, so a burst of mails makes one poll), after
     * any poll of it that is running; nothing when the loop is stopped or the channel no longer fetches.
     */
    const pollSoon = (channelId: string) => {
      if (running === null || pollAsked.has(channelId)) return;
      pollAsked.add(channelId);
      setTimeout(() => {
        if (running === null || !db.sqlite.open) {
          pollAsked.delete(channelId);
          return;
        }
        const poll = pollLock.withLock(
          channelId,
          Effect.suspend(() => {
            // From here on, news of mail asks for another poll: this one may have listed the folder already.
            pollAsked.delete(channelId);
            const channel = running === null || !db.sqlite.open ? undefined : fetching().find((c) => c.id === channelId);
            return channel === undefined ? Effect.void : pollRecorded(channelId, channel.config.imap!);
          }),
        );
        Effect.runPromise(poll).catch((error: unknown) => {
          if (db.sqlite.open) console.error("Email IMAP: a poll after new mail failed:", error);
        });
      }, EMAIL_IMAP_DEBOUNCE_MS).unref();
    };

    const mailboxKey = (mailbox: NonNullable<ReturnType<typeof readStoredConfig>["imap"]>) =>
      JSON.stringify([mailbox.host, mailbox.port, mailbox.security, mailbox.user, mailbox.password, mailbox.folder]);

    // Listeners told to stop whose logout has not finished: shutdown waits for them too.
    const stopping = new Set<Fiber.RuntimeFiber<void>>();
    const stopListener = (channelId: string) => {
      const fiber = listeners.get(channelId)?.fiber;
      listeners.delete(channelId);
      listening.delete(channelId);
      if (!fiber) return;
      stopping.add(fiber);
      Effect.runFork(Fiber.interrupt(fiber).pipe(Effect.ensuring(Effect.sync(() => stopping.delete(fiber)))));
    };

    /**
     * Makes the listeners match the channels: one per fetching channel (the oldest
     * `maxListening`), started again when its mailbox's settings changed, stopped for a channel
     * that no longer fetches. Cheap when nothing changed; run at start, on every channel change and every pass.
     */
    const syncListeners = () => {
      const options = running;
      if (options === null || !db.sqlite.open) return;
      const wanted = fetching();
      const wantedIds = new Set(wanted.map((c) => c.id));
      for (const channelId of [...listeners.keys()]) if (!wantedIds.has(channelId)) stopListener(channelId);
      for (const channelId of [...listening.keys()]) if (!wantedIds.has(channelId)) listening.delete(channelId);
      wanted.forEach((channel, index) => {
        if (index >= options.maxListening) {
          stopListener(channel.id);
          listening.set(channel.id, { state: "over-limit", limit: options.maxListening });
          return;
        }
        const mailbox = channel.config.imap!;
        const key = mailboxKey(mailbox);
        if (listeners.get(channel.id)?.key === key) return;
        stopListener(channel.id);
        const listener: { readonly key: string; fiber: Fiber.RuntimeFiber<void> | null } = { key, fiber: null };
        listeners.set(channel.id, listener);
        // Only the current listener of a channel speaks for it: a stopped one's last words are dropped.
        const current = () => listeners.get(channel.id) === listener;
        listener.fiber = Effect.runFork(
          imapListen({
            mailbox,
            onNewMail: () => {
              if (current()) pollSoon(channel.id);
            },
            onState: (state) => {
              if (current()) listening.set(channel.id, state);
            },
            reconnectMinMs: options.reconnectMinMs,
            restartMs: options.restartMs,
          }),
        );
      });
    };

    /** Closes every listening connection and waits until each has logged out (or was dropped). */
    const closeListeners = Effect.suspend(() => {
      const fibers = [...listeners.values()].flatMap((l) => (l.fiber === null ? [] : [l.fiber])).concat([...stopping]);
      listeners.clear();
      listening.clear();
      return Effect.forEach(fibers, Fiber.interrupt, { discard: true, concurrency: "unbounded" });
    });
    // Shutdown (the runtime disposed): no connection outlives the server.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        stopRunning?.();
        running = null;
        return closeListeners;
      }),
    );

    /** The loop's pass: the mailboxes nobody listens to, and listening ones not polled for the safety interval. */
    const pollDue = () =>
      Effect.suspend(() => {
        syncListeners();
        const options = running;
        if (options === null) return Effect.void;
        const at = now();
        const due = fetching().filter(
          (c) => listening.get(c.id)?.state !== "listening" || at - (lastPolled.get(c.id) ?? 0) >= options.safetyPollMs,
        );
        return Effect.forEach(due, (c) => pollGuarded(c.id, c.config.imap!), { discard: true, concurrency: IMAP_POLL_CONCURRENCY });
      });

    const polling = makePassLoop("Email IMAP polling", () => db.sqlite.open, pollDue);

    const startPolling: EmailChannelShape["startPolling"] = (options = {}) => {
      // Started again (a test with other timing): the earlier loop and its connections end first.
      stopRunning?.();
      running = {
        intervalMs: options.intervalMs ?? IMAP_POLL_INTERVAL_MS,
        safetyPollMs: options.safetyPollMs ?? EMAIL_IMAP_SAFETY_POLL_MS,
        maxListening: options.maxListening ?? EMAIL_IMAP_MAX_LISTENING,
        reconnectMinMs: options.reconnectMinMs ?? IMAP_RECONNECT_MIN_MS,
        restartMs: options.restartMs ?? IMAP_IDLE_RESTART_MS,
      };
      // A channel switched to forwarding, or to another mailbox, closes or moves its connection at once.
      const unsubscribe = channels.onChange(() => syncListeners());
      const stopLoop = polling.start(running.intervalMs);
      syncListeners();
      const stop = () => {
        if (stopRunning !== stop) return;
        stopRunning = null;
        running = null;
        unsubscribe();
        stopLoop();
        for (const channelId of [...listeners.keys()]) stopListener(channelId);
        listening.clear();
      };
      stopRunning = stop;
      return stop;
    };

    const checkMailbox: EmailChannelShape["checkMailbox"] = Effect.fn("EmailChannel.checkMailbox")(function* (channelId: string) {
      yield* channels.get(channelId);
      const c = readStoredConfig(yield* channels.readConfig(channelId, "email"));
      if (c.imap === null) return { ok: false as const, message: "no mailbox is saved yet: choose IMAP, fill in the mailbox and save first" };
      return yield* imapCheck(c.imap).pipe(
        Effect.as({ ok: true as const }),
        Effect.catchTag("ImapFailed", (error: ImapFailed) => Effect.succeed({ ok: false as const, message: error.message })),
      );
    });

    // ---- sending ----

    const permanent = (reason: string) => Effect.fail(new SendFailed({ reason, permanent: true }));

    // Every mail id of the conversation, whichever channel recorded it: a form conversation
    // answered by email keeps its replies' ids under the email channel, the answers under its own.
    const threadOf = (conversationId: string): ReadonlyArray<string> =>
      (
        db
          .prepare("SELECT external_id FROM external_messages WHERE conversation_id = ? AND external_id LIKE '<%>' ORDER BY created_at, message_id")
          .all(conversationId) as Array<{ external_id: string }>
      ).map((row) => row.external_id);

    /**
     * Mails one message through a channel's relay, threaded under `thread` (its Message-IDs,
     * oldest first), under a fresh Message-ID on the send-as domain, which it answers with.
     */
    const transmit = (
      c: ReturnType<typeof readStoredConfig>,
      mail: {
        readonly to: string;
        readonly agent: string | null;
        readonly subject: string;
        readonly text: string;
        readonly html?: string;
        readonly thread: ReadonlyArray<string>;
        readonly files: ReadonlyArray<{ readonly filename: string; readonly data: Buffer; readonly contentType: string }>;
        readonly autoReplied: boolean;
        /** The conversation and what is sent, which name the Message-ID (the same at every try). */
        readonly conversationId: string;
        readonly key: string;
      },
    ): Effect.Effect<string, SendFailed> => {
      const relay = c.relay;
      const fromAddress = c.fromAddress;
      const sendAs = c.fromName;
      if (relay === null) return permanent("this email channel has no outgoing mail relay; add one in Settings → Channels");
      if (fromAddress === null || sendAs === null) return permanent("this email channel has no send-as name and address; add them in Settings → Channels");
      const { inReplyTo, references } = replyThreadHeaders(mail.thread);
      const outgoingId = outgoingMessageId(mail.conversationId, mail.key, domainOf(fromAddress));
      return Effect.tryPromise({
        try: async () => {
          const transport = nodemailer.createTransport({
            host: relay.host,
            port: relay.port,
            secure: relay.security === "tls",
            requireTLS: relay.security === "starttls",
            ignoreTLS: relay.security === "none",
            ...(relay.user !== null ? { auth: { user: relay.user, pass: relay.password ?? "" } } : {}),
            connectionTimeout: 15_000,
            greetingTimeout: 15_000,
            socketTimeout: EMAIL_SEND_TIMEOUT_MS,
          });
          try {
            await transport.sendMail({
              from: { name: replyFromName(sendAs, mail.agent), address: fromAddress },
              to: mail.to,
              subject: mail.subject,
              text: mail.text,
              ...(mail.html !== undefined ? { html: mail.html } : {}),
              messageId: outgoingId,
              ...(inReplyTo !== null ? { inReplyTo, references } : {}),
              ...(mail.files.length > 0
                ? { attachments: mail.files.map((f) => ({ filename: f.filename, content: f.data, contentType: f.contentType })) }
                : {}),
              ...(mail.autoReplied ? { headers: { "Auto-Submitted": "auto-replied" } } : {}),
            });
          } finally {
            transport.close();
          }
        },
        catch: (error) => {
          const verdict = judgeRelayError(error);
          return new SendFailed({ reason: verdict.reason, permanent: verdict.permanent });
        },
      }).pipe(Effect.as(outgoingId));
    };

    const send: Sender = (message: Outbound) =>
      Effect.gen(function* () {
        const c = readStoredConfig(message.config);
        const to = db
          .prepare(
            `SELECT COALESCE(ct.email, ci.external_id) AS address FROM conversations c
               LEFT JOIN contacts ct ON ct.id = c.contact_id
               LEFT JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
              WHERE c.id = ? LIMIT 1`,
          )
          .get(message.conversationId) as { address: string | null } | undefined;
        const recipient = to?.address ? Option.getOrNull(decodeAddress(to.address)) : null;
        if (recipient === null) return yield* permanent("this conversation has no email address to reply to");
        const first = db
          .prepare("SELECT payload FROM messages WHERE conversation_id = ? AND author = 'visitor' AND payload IS NOT NULL ORDER BY id LIMIT 1")
          .get(message.conversationId) as { payload: string } | undefined;
        let subject: string | null = null;
        try {
          const parsed: unknown = first ? JSON.parse(first.payload) : null;
          if (typeof parsed === "object" && parsed !== null && typeof (parsed as { subject?: unknown }).subject === "string") {
            subject = (parsed as { subject: string }).subject;
          }
        } catch {
          subject = null;
        }
        // No mail started it (a form, an away message): its ticket names the request.
        subject ??=
          (db.prepare("SELECT subject FROM tickets WHERE conversation_id = ? ORDER BY created_at, id LIMIT 1").get(message.conversationId) as
            | { subject: string }
            | undefined)?.subject ?? null;
        const agent =
          message.author === "agent" && message.userId !== null
            ? ((db.prepare("SELECT COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE id = ?").get(message.userId) as { name: string } | undefined)
                ?.name ?? null)
            : null;
        // The files an agent attached (stored with the message, in its write): read at each try, so a retry sends them too.
        const files = attachmentFilesOf(db.prepare, message.messageId);
        const externalId = yield* transmit(c, {
          to: recipient,
          agent,
          subject: replySubject(subject),
          text: replyBody(message.text, c.signature),
          thread: threadOf(message.conversationId),
          files,
          // RFC 3834: the bot's replies are automatic, so the customer's own auto-responder does not answer them.
          autoReplied: message.author === "bot",
          conversationId: message.conversationId,
          key: `message:${message.messageId}`,
        });
        return { externalId };
      });


    /**
     * The outbox's sender for conversations answered by email that did not come by email (a
     * form's submission, an away message; migration 19): sent as a reply of the first team
     * email channel of the conversation's inbox that can send, to the contact's address. Its
     * mail id is recorded under that channel, so the customer's answer threads back here.
     */
    /**
     * The first team email channel of the conversation's inbox that can send (a relay, a
     * send-as name and address), or a permanent failure that says what is missing; `what`
     * names what was to be sent ("this reply", "the visitor's unseen replies").
     */
    const sendingChannelOf = (conversationId: string, what: string) => {
      const candidates = db
        .prepare(
          `SELECT ch.id, ch.config FROM channels ch JOIN conversations c ON c.inbox_id = ch.inbox_id
            WHERE c.id = ? AND ch.kind = 'email' ORDER BY ch.created_at, ch.id`,
        )
        .all(conversationId) as Array<{ id: string; config: string }>;
      const ready = candidates
        .map((row) => ({ id: row.id, config: parseJsonObject(row.config) }))
        .find((row) => sendsMail(row.config));
      if (ready) return Effect.succeed(ready);
      return permanent(
        candidates.length === 0
          ? `${what} goes by email, and this inbox has no team email channel to send it: add one in Settings → Channels, then retry`
          : `${what} goes by email, and no team email channel of this inbox has an outgoing relay and a send-as address yet: add them in Settings → Channels, then retry`,
      );
    };

    /**
     * The outbox's sender for conversations answered by email that did not come by email (a
     * form's submission, an away message; migration 19): sent as a reply of the first team
     * email channel of the conversation's inbox that can send, to the contact's address. Its
     * mail id is recorded under that channel, so the customer's answer threads back here.
     */
    const sendByEmail: Sender = (message: Outbound) =>
      Effect.gen(function* () {
        const ready = yield* sendingChannelOf(message.conversationId, "this reply");
        const sent = yield* send({ ...message, channelId: ready.id, kind: "email", config: ready.config });
        return { ...sent, externalChannelId: ready.id };
      });

    /**
     * A mail to a chat's visitor (follow-ups.ts, transcripts.ts): through the inbox's first team
     * email that can send, threaded after the conversation's earlier mails. The caller records
     * the id under the channel, so an answer threads back.
     */
    const sendToVisitor: EmailChannelShape["sendToVisitor"] = (mail) =>
      Effect.gen(function* () {
        const ready = yield* sendingChannelOf(mail.conversationId, mail.what);
        const c = readStoredConfig(ready.config);
        const { subject, text, html } = mail.compose(c.fromName ?? "");
        const externalId = yield* transmit(c, {
          to: mail.to,
          agent: mail.agentName,
          subject,
          text: replyBody(text, c.signature),
          ...(html !== undefined ? { html: htmlWithSignature(html, c.signature) } : {}),
          thread: threadOf(mail.conversationId),
          files: mail.files,
          autoReplied: false,
          conversationId: mail.conversationId,
          key: mail.key,
        });
        return { externalId, channelId: ready.id };
      });

    const sendReport: EmailChannelShape["sendReport"] = (mail) =>
      Effect.gen(function* () {
        const candidates = (
          mail.channelId === null
            ? db.prepare("SELECT id, name, config FROM channels WHERE kind = 'email' ORDER BY created_at, id").all()
            : db.prepare("SELECT id, name, config FROM channels WHERE kind = 'email' AND id = ?").all(mail.channelId)
        ) as Array<{ id: string; name: string; config: string }>;
        const ready = candidates.map((row) => ({ ...row, stored: parseJsonObject(row.config) })).find((row) => sendsMail(row.stored));
        if (ready === undefined) {
          return yield* Effect.fail(
            new NoSendingChannel({
              message:
                mail.channelId !== null && candidates.length > 0
                  ? `the team email “${candidates[0]!.name}” has no outgoing relay and send-as address any more: add them in Settings → Channels, or pick another`
                  : "no team email channel can send (an outgoing relay and a send-as address): add one in Settings → Channels",
            }),
          );
        }
        const c = readStoredConfig(ready.stored);
        const externalId = yield* transmit(c, {
          to: mail.to.join(", "),
          agent: null,
          subject: mail.subject,
          text: replyBody(mail.text, c.signature),
          html: htmlWithSignature(mail.html, c.signature),
          thread: [],
          files: mail.files,
          autoReplied: false,
          conversationId: mail.source,
          key: mail.key,
        });
        return { externalId, channelId: ready.id };
      });

    deliveries.register("email", send);
    deliveries.register("reply_by_email", sendByEmail);

    // ---- downloads ----

    const attachmentDownload: EmailChannelShape["attachmentDownload"] = Effect.fn("EmailChannel.attachmentDownload")(function* (
      attachmentId: string,
      actor: Actor,
    ) {
      const file = yield* attachmentForActor(db.prepare, actor, attachmentId);
      return { filename: file.filename, body: file.data, headers: attachmentHeaders({ ...file, size: file.data.length }) };
    });

    return {
      settings,
      saveSettings,
      channelFor,
      receive,
      receiveFor,
      pollMailboxes,
      startPolling,
      checkMailbox,
      send,
      sendToVisitor,
      sendReport,
      attachmentDownload,
    };
  }),
);
