/**
 * Files that came with an outside message (an email's attachments and inline images) or went
 * with an agent's reply by email, stored in the `attachments` table (migration 18) in the same
 * write as their message, and served back to agents who may open the message's conversation.
 *
 * - Storing: `attachmentPrepare` names, types, hashes and sizes a mail's files and decides
 *   which fit the limits (pure but for the hash); `attachmentAssignIds` gives each stored one
 *   its random id (once per conversation it is written to); OutsideConversations inserts the
 *   rows with `attachmentInsert` inside its write, right after the message.
 * - Replies: `attachmentReplyRefusal` holds an agent's files to `attachmentReplyLimits` (the
 *   thread's upload while it streams) and to `attachmentReplyLimitsFor` the reply's way out
 *   (Inbox.reply: chat and email alike, Messenger whose Send API also caps each file),
 *   `attachmentReplyRows` readies them for Engine.replyAsAgent's write, and `attachmentFilesOf`
 *   hands them to the email and Messenger senders.
 * - The chat widget: a visitor uploads one file of at most ATTACHMENT_CHAT_UPLOAD_MAX_BYTES per
 *   message (`attachmentChatUploadRows`, Engine.visitorFile), and downloads the files of their
 *   own conversation's visible messages (`attachmentForVisitor`).
 * - Serving: `attachmentForActor` reads one file when the actor may open its conversation
 *   (the inbox's own rule, inbox-access.ts) and answers NotFound otherwise — an agent outside
 *   the inbox learns nothing, not even that the id exists; `attachmentHeaders` decides how a
 *   browser may handle the bytes: only a short allow-list of types is served as itself, and
 *   only images are shown inline, so a customer's HTML, SVG or script never runs on Parley's
 *   origin.
 *
 * Every name this module exports starts with Attachment/attachment: it may be re-exported
 * wholesale by app/runtime.server.ts.
 */
import { createHash } from "node:crypto";
import { Effect } from "effect";
import type { Sqlite } from "./database.js";
import { NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { conversationFor, type Actor, type Prepare } from "./inbox-access.js";

/** Largest single file stored (bytes): an invoice or a phone screenshot fits; a video does not belong in the inbox. */
export const ATTACHMENT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Largest total of files stored per mail (bytes): what Gmail and Outlook let a person attach, so a person's mail fits whole. */
export const ATTACHMENT_MAX_MAIL_BYTES = 25 * 1024 * 1024;
/** Most files stored per mail: more is a bulk export or a signature full of logos, not something an agent reads one by one. */
export const ATTACHMENT_MAX_FILES = 20;
/** Most files listed in a message's payload; the rest are counted (a mail of thousands of tiny parts must not bloat every thread read). */
export const ATTACHMENT_MAX_LISTED = 100;
/** Longest stored file name (characters). */
export const ATTACHMENT_MAX_NAME = 200;
/** The name of a file that has none (or whose name sanitises to nothing). */
export const ATTACHMENT_FALLBACK_NAME = "attachment";
const OCTET_STREAM = "application/octet-stream";

/** The limits a mail's files are held to (parameters so tests can use small ones). */
export interface AttachmentLimits {
  readonly maxFileBytes: number;
  readonly maxMailBytes: number;
  readonly maxFiles: number;
}

export const attachmentLimits: AttachmentLimits = {
  maxFileBytes: ATTACHMENT_MAX_FILE_BYTES,
  maxMailBytes: ATTACHMENT_MAX_MAIL_BYTES,
  maxFiles: ATTACHMENT_MAX_FILES,
};

// C0 and C1 controls, and the bidirectional overrides and isolates that make "invoice‮fdp.exe" read as "invoice.exe.pdf".
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// Characters Windows refuses in a file name (the download is saved under this name).
const RESERVED_CHARACTERS = /[<>:"|?*]/g;

/**
 * A file name safe to store and to offer as a download's name: the last path part only
 * (no "../" or "C:\"), controls and bidi overrides removed, Windows' reserved characters as
 * "_", no leading or trailing dots and spaces, at most ATTACHMENT_MAX_NAME characters (the
 * extension kept), and ATTACHMENT_FALLBACK_NAME when nothing is left. Pure.
 */
export const attachmentFilename = (raw: string | null | undefined): string => {
  if (typeof raw !== "string") return ATTACHMENT_FALLBACK_NAME;
  const cleaned = raw.normalize("NFC").replace(UNSAFE_CHARACTERS, "");
  const last = cleaned.split(/[/\\]/).pop() ?? "";
  const name = last.replace(RESERVED_CHARACTERS, "_").replace(/\s+/g, " ").replace(/^[\s.]+|[\s.]+$/g, "");
  if (name === "") return ATTACHMENT_FALLBACK_NAME;
  const characters = Array.from(name);
  if (characters.length <= ATTACHMENT_MAX_NAME) return name;
  // Cut the stem, not the extension: "….pdf" still opens as a PDF.
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? Array.from(name.slice(dot)) : [];
  const kept = extension.length > 0 && extension.length <= 16 ? extension : [];
  return characters.slice(0, ATTACHMENT_MAX_NAME - kept.length).join("").replace(/[\s.]+$/, "") + kept.join("");
};

// RFC 6838's restricted-name: a type and a subtype, letters, digits and !#$&^_.+- only.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The `type/subtype` of a declared content type (lower-cased, parameters dropped), or application/octet-stream when it is not one. Pure. */
export const attachmentContentType = (raw: string | null | undefined): string => {
  if (typeof raw !== "string") return OCTET_STREAM;
  const bare = raw.split(";")[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(bare) ? bare : OCTET_STREAM;
};

/** One file of a mail as the parser hands it over. */
export interface AttachmentSource {
  readonly filename?: string | null | undefined;
  readonly contentType?: string | null | undefined;
  readonly content: Buffer;
}

/** A file of a mail after `attachmentPrepare`: stored (`data` present) or skipped with a reason. */
export interface AttachmentPrepared {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly sha256: string | null;
  readonly data: Buffer | null;
  readonly skipped: string | null;
}

const megabytes = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/**
 * Names, types and sizes a mail's files, in order, and decides which are stored: a file over
 * the per-file limit, one that would take the mail past its total, or one past the file count
 * is kept in the list with the reason it was not stored. A later, smaller file may still fit.
 * Pure (but for hashing the stored files).
 */
export const attachmentPrepare = (
  files: ReadonlyArray<AttachmentSource>,
  limits: AttachmentLimits = attachmentLimits,
): ReadonlyArray<AttachmentPrepared> => {
  let storedBytes = 0;
  let storedFiles = 0;
  return files.map((file) => {
    const name = attachmentFilename(file.filename);
    const type = attachmentContentType(file.contentType);
    const size = file.content.length;
    const skip = (skipped: string): AttachmentPrepared => ({ name, type, size, sha256: null, data: null, skipped });
    if (size > limits.maxFileBytes) return skip(`too large: over ${megabytes(limits.maxFileBytes)} per file`);
    if (storedBytes + size > limits.maxMailBytes) return skip(`too large: the mail's files pass ${megabytes(limits.maxMailBytes)} together`);
    if (storedFiles >= limits.maxFiles) return skip(`too many files: only ${limits.maxFiles} are stored per mail`);
    storedBytes += size;
    storedFiles += 1;
    return { name, type, size, sha256: createHash("sha256").update(file.content).digest("hex"), data: file.content, skipped: null };
  });
};

/** An attachment as a message's payload lists it: `id` exactly when it was stored (the inbox links `/inbox/attachments/<id>`). */
export interface AttachmentEntry {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly skipped?: string;
}

/** A file to insert with its message. */
export interface AttachmentRow {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
}

/** A new random id for a stored file: 128 bits, base64url, so a link cannot be guessed. */
export const attachmentNewId = (): string => newId("att");

/**
 * The payload's list and the rows to insert, with a fresh id for each stored file (call it
 * once per conversation the mail is written to: ids are primary keys). Pure given `makeId`.
 */
export const attachmentAssignIds = (
  prepared: ReadonlyArray<AttachmentPrepared>,
  makeId: () => string = attachmentNewId,
): { readonly entries: ReadonlyArray<AttachmentEntry>; readonly rows: ReadonlyArray<AttachmentRow> } => {
  const entries: AttachmentEntry[] = [];
  const rows: AttachmentRow[] = [];
  for (const file of prepared) {
    if (file.data === null || file.sha256 === null) {
      entries.push({ name: file.name, type: file.type, size: file.size, skipped: file.skipped ?? "not stored" });
      continue;
    }
    const id = makeId();
    entries.push({ id, name: file.name, type: file.type, size: file.size });
    rows.push({ id, filename: file.name, contentType: file.type, size: file.size, sha256: file.sha256, data: file.data });
  }
  return { entries, rows };
};

/** Inserts a message's files (inside the caller's write, after the message's own insert). */
export const attachmentInsert = (sqlite: Sqlite, conversationId: string, messageId: number, rows: ReadonlyArray<AttachmentRow>, at: number): void => {
  if (rows.length === 0) return;
  const insert = sqlite.prepare(
    `INSERT INTO attachments (id, conversation_id, message_id, filename, content_type, size, sha256, data, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const row of rows) insert.run(row.id, conversationId, messageId, row.filename, row.contentType, row.size, row.sha256, row.data, at);
};

/** The ids of a message's stored files, in the order they were listed. */
export const attachmentIdsOf = (sqlite: Sqlite, messageId: number): ReadonlyArray<string> =>
  (sqlite.prepare("SELECT id FROM attachments WHERE message_id = ? ORDER BY rowid").all(messageId) as Array<{ id: string }>).map((r) => r.id);

/**
 * The limits of the files an agent attaches to one reply (by email as they are; on Messenger
 * within the Send API's cap too: `attachmentReplyLimitsFor`), and so the most any reply's
 * upload may stream in. The bytes are the inbound
 * ones (what a person may attach at Gmail or Outlook, so the customer's mailbox takes it);
 * fewer files than a mail may bring: a reply carries the few documents it is about, and the
 * composer lists each one before it goes.
 */
export const attachmentReplyLimits: AttachmentLimits = {
  maxFileBytes: ATTACHMENT_MAX_FILE_BYTES,
  maxMailBytes: ATTACHMENT_MAX_MAIL_BYTES,
  maxFiles: 10,
};

/** Largest file Meta's Send API takes in one attachment upload (bytes); Messenger refuses a larger one. */
export const ATTACHMENT_MESSENGER_MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * Largest file a chat visitor may send from the widget (bytes): the inbox's per-file limit, so a
 * screenshot or a PDF fits, and one file per message keeps each upload one short request.
 */
export const ATTACHMENT_CHAT_UPLOAD_MAX_BYTES = ATTACHMENT_MAX_FILE_BYTES;

/** Where an agent's reply goes (ConversationSummary.replyVia). */
export type AttachmentReplyVia = "chat" | "email" | "messenger";

/**
 * The limits of the files one reply that goes `via` may carry, or null when it may carry none:
 * an email or chat reply is held to `base` (attachmentReplyLimits: the widget lists each file and
 * the visitor downloads it with their token); a Messenger reply to the same count and total, each
 * file also within what the Send API takes (it goes as its own upload). Null is kept in the type
 * for a way out that takes no files. Pure.
 */
export const attachmentReplyLimitsFor = (via: AttachmentReplyVia, base: AttachmentLimits = attachmentReplyLimits): AttachmentLimits | null => {
  if (via === "email" || via === "chat") return base;
  if (via === "messenger") return { ...base, maxFileBytes: Math.min(base.maxFileBytes, ATTACHMENT_MESSENGER_MAX_FILE_BYTES) };
  return null;
};

/** Why a reply's files are refused: the HTTP status (413 too large, 400 too many), the field path (`files[2]`) and a sentence for the agent. */
export interface AttachmentRefusal {
  readonly status: 400 | 413;
  readonly path: string;
  readonly message: string;
}

/**
 * The first reason a reply's files break the limits, or null when they fit: too many files,
 * a file over the per-file limit, or the file that takes the total over. Callable while the
 * files are still arriving (sizes so far), so an upload stops at the first byte too many. Pure.
 */
export const attachmentReplyRefusal = (
  files: ReadonlyArray<{ readonly name: string; readonly size: number }>,
  limits: AttachmentLimits = attachmentReplyLimits,
): AttachmentRefusal | null => {
  if (files.length > limits.maxFiles) {
    return { status: 400, path: `files[${limits.maxFiles}]`, message: `at most ${limits.maxFiles} files can be attached to one reply` };
  }
  let total = 0;
  for (const [i, file] of files.entries()) {
    const name = attachmentFilename(file.name);
    if (file.size > limits.maxFileBytes) {
      return { status: 413, path: `files[${i}]`, message: `“${name}” is over ${megabytes(limits.maxFileBytes)}; a reply's files are at most ${megabytes(limits.maxFileBytes)} each` };
    }
    total += file.size;
    if (total > limits.maxMailBytes) {
      return { status: 413, path: `files[${i}]`, message: `with “${name}” the files pass ${megabytes(limits.maxMailBytes)} together, the most one reply can carry` };
    }
  }
  return null;
};

/**
 * A reply's files made ready to store with its message (names and types sanitised, hashed,
 * fresh ids), and the payload's list of them. Check `attachmentReplyRefusal` first: a reply
 * is refused whole, never sent with a file left out. Pure given `makeId` (but for hashing).
 */
export const attachmentReplyRows = (
  files: ReadonlyArray<AttachmentSource>,
  makeId: () => string = attachmentNewId,
): { readonly entries: ReadonlyArray<AttachmentEntry>; readonly rows: ReadonlyArray<AttachmentRow> } =>
  attachmentAssignIds(attachmentPrepare(files, attachmentReplyLimits), makeId);

/**
 * The one file a chat visitor sent, made ready to store with their message (name and type
 * sanitised, hashed, a fresh id) and its payload entry. Null when it is over
 * ATTACHMENT_CHAT_UPLOAD_MAX_BYTES (the upload refuses it before that: this is the last word).
 * Pure given `makeId` (but for hashing).
 */
export const attachmentChatUploadRows = (
  file: AttachmentSource,
  makeId: () => string = attachmentNewId,
): { readonly entry: AttachmentEntry & { readonly id: string }; readonly row: AttachmentRow } | null => {
  const limits = { maxFileBytes: ATTACHMENT_CHAT_UPLOAD_MAX_BYTES, maxMailBytes: ATTACHMENT_CHAT_UPLOAD_MAX_BYTES, maxFiles: 1 };
  const { entries, rows } = attachmentAssignIds(attachmentPrepare([file], limits), makeId);
  const row = rows[0];
  const entry = entries[0];
  return row === undefined || entry?.id === undefined ? null : { entry: { ...entry, id: entry.id }, row };
};

/**
 * The files that fit one mail (`maxBytes` in all, ATTACHMENT_MAX_MAIL_BYTES unless told), taken
 * in order — one too large is passed over and a smaller one after it may still go — and the
 * names of those left out, for the mail to list. Chat follow-ups and transcripts attach with it. Pure.
 */
export const attachmentsForMail = <F extends { readonly filename: string; readonly size: number }>(
  files: ReadonlyArray<F>,
  maxBytes = ATTACHMENT_MAX_MAIL_BYTES,
): { readonly attached: ReadonlyArray<F>; readonly leftOut: ReadonlyArray<string> } => {
  const attached: F[] = [];
  const leftOut: string[] = [];
  let total = 0;
  for (const file of files) {
    if (total + file.size <= maxBytes) {
      attached.push(file);
      total += file.size;
    } else leftOut.push(file.filename);
  }
  return { attached, leftOut };
};

/** A message's stored files as a sender attaches them, in the order they were listed. */
export const attachmentFilesOf = (
  prepare: Prepare,
  messageId: number,
): ReadonlyArray<{ readonly filename: string; readonly contentType: string; readonly size: number; readonly data: Buffer }> =>
  (
    prepare("SELECT filename, content_type, data FROM attachments WHERE message_id = ? ORDER BY rowid").all(messageId) as Array<{
      filename: string;
      content_type: string;
      data: Buffer;
    }>
  ).map((row) => ({ filename: row.filename, contentType: row.content_type, size: row.data.length, data: row.data }));

/** One stored file, as a download serves it. */
export interface AttachmentFile {
  readonly id: string;
  readonly conversationId: string;
  readonly messageId: number;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
}

/** An `attachments` row as the two lookups below read it. */
interface AttachmentFileRow {
  readonly id: string;
  readonly conversation_id: string;
  readonly message_id: number;
  readonly filename: string;
  readonly content_type: string;
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
}

const attachmentFileOf = (row: AttachmentFileRow): AttachmentFile => ({
  id: row.id,
  conversationId: row.conversation_id,
  messageId: row.message_id,
  filename: row.filename,
  contentType: row.content_type,
  size: row.size,
  sha256: row.sha256,
  data: row.data,
});

/**
 * The file when the actor may open its conversation (admins every inbox, agents their
 * inboxes' — the inbox's own rule); NotFound for an unknown id AND for a conversation the
 * actor may not open, so an id's existence is not revealed.
 */
export const attachmentForActor = (prepare: Prepare, actor: Actor, attachmentId: string): Effect.Effect<AttachmentFile, NotFound> =>
  Effect.suspend(() => {
    const notFound = Effect.fail(new NotFound({ entity: "attachment", id: attachmentId }));
    const row = prepare(
      "SELECT id, conversation_id, message_id, filename, content_type, size, sha256, data FROM attachments WHERE id = ?",
    ).get(attachmentId) as
      | AttachmentFileRow
      | undefined;
    if (!row) return notFound;
    return conversationFor(prepare, actor, row.conversation_id).pipe(
      Effect.catchTags({ NotFound: () => notFound, Forbidden: () => notFound }),
      Effect.as(attachmentFileOf(row)),
    );
  });

/**
 * The file when it belongs to a message the visitor may see (not an internal comment) of
 * `conversationId`, and that conversation is the visitor's; NotFound for everything else — an
 * unknown id, another conversation's file, another visitor's, a comment's — so a visitor learns
 * nothing about ids that are not theirs.
 */
export const attachmentForVisitor = (
  prepare: Prepare,
  input: { readonly conversationId: string; readonly visitorId: string; readonly attachmentId: string },
): Effect.Effect<AttachmentFile, NotFound> =>
  Effect.suspend(() => {
    const row = prepare(
      `SELECT a.id, a.conversation_id, a.message_id, a.filename, a.content_type, a.size, a.sha256, a.data
         FROM attachments a
         JOIN messages m ON m.id = a.message_id AND m.conversation_id = a.conversation_id
         JOIN conversations c ON c.id = a.conversation_id
        WHERE a.id = ? AND a.conversation_id = ? AND m.is_internal = 0 AND c.visitor_id = ?`,
    ).get(input.attachmentId, input.conversationId, input.visitorId) as
      | AttachmentFileRow
      | undefined;
    if (!row) return Effect.fail(new NotFound({ entity: "attachment", id: input.attachmentId }));
    return Effect.succeed(attachmentFileOf(row));
  });

/** Types a browser may receive as themselves: none of them runs script. */
const SERVED_AS_ITSELF: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]);
/** Types a browser may show in the tab instead of saving: plain raster images only (a PDF viewer is a program of its own). */
const SHOWN_INLINE: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** RFC 8187's value-chars: what encodeURIComponent leaves, less the characters it does not escape but the RFC forbids. Pure. */
const rfc8187 = (value: string): string =>
  encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The response headers for a download: the stored type only when it is on the allow-list
 * (HTML, SVG, XML, scripts and everything else as application/octet-stream), `attachment`
 * disposition but for plain images, no sniffing, a sandbox CSP in case a browser renders it
 * anyway, and no shared caching. Pure.
 */
export const attachmentHeaders = (file: { readonly filename: string; readonly contentType: string; readonly size: number }): Record<string, string> => {
  const type = attachmentContentType(file.contentType);
  const served = SERVED_AS_ITSELF.has(type) ? type : OCTET_STREAM;
  const disposition = SHOWN_INLINE.has(served) ? "inline" : "attachment";
  return {
    "Content-Type": served,
    "Content-Disposition": `${disposition}; filename*=UTF-8''${rfc8187(attachmentFilename(file.filename))}`,
    "Content-Length": String(file.size),
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, max-age=0",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
};
