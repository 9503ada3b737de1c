/**
 * The thread's POST actions, one per `intent` (reply | comment | assign | close | reopen |
 * mark-pending | mark-open | snooze | unsnooze | create-contact | link-contact | update-contact |
 * set-owner | create-ticket | add-label | remove-label | set-labels | run-macro | email-transcript | typing | retry-delivery): the form is read
 * into the service's input, the service decides, and every answer is a ThreadActionResult with
 * the HTTP status of the outcome (400 / 403 / 404 / 409 / 413 for expected failures).
 *
 * A reply (by email, on Messenger or in the chat) may carry files: the body is then multipart, read by
 * `readThreadForm` with the reply limits applied while it streams in (attachmentReplyLimits: 10
 * files, 10 MB each, 25 MB together — the most any reply may carry, read before the conversation
 * is known), so a file too many or a byte too many is refused (413 / 400 at `files[i]`) before the
 * rest is held in memory, and nothing is stored. Inbox.reply then holds the files to the limits
 * of the reply's way out (attachmentReplyLimitsFor: Messenger's Send API caps each file too).
 * Internal comments take no files.
 */
import { data, unstable_parseMultipartFormData, type AppLoadContext, type UploadHandler } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors } from "../../forms.js";
import {
  attachmentReplyLimits,
  attachmentReplyRefusal,
  attempt,
  Contacts,
  InboxService,
  Labels,
  Macros,
  Reports,
  run,
  Snoozes,
  Tickets,
  Transcripts,
  type AttachmentRefusal,
  type Attempt,
  type User,
} from "../../runtime.server.js";
import { contactUpdateInput, newContactInput, ownerInput } from "../contacts/contact-form.server.js";
import type { ThreadActionResult, ThreadIntent } from "./action-result.js";
import { newClientMessageId } from "./composer-logic.js";
import { snoozePresets, snoozeTimeOf } from "./snooze-logic.js";
import type { RetryDeliveryResult } from "./thread-messages.js";

type Intent = ThreadIntent | Extract<RetryDeliveryResult, { ok: true }>["intent"];

const intents: ReadonlyArray<Intent> = [
  "reply",
  "comment",
  "assign",
  "close",
  "reopen",
  "mark-pending",
  "mark-open",
  "snooze",
  "unsnooze",
  "create-contact",
  "link-contact",
  "update-contact",
  "set-owner",
  "create-ticket",
  "add-label",
  "remove-label",
  "set-labels",
  "run-macro",
  "email-transcript",
  "typing",
  "retry-delivery",
];

const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
};

/** A form field that may be left empty: "" means "not given". Pure. */
const given = (form: FormData, name: string): string | undefined => {
  const value = text(form, name);
  return value === undefined || value.trim() === "" ? undefined : value;
};

/** An assignment field: absent keeps, "" clears (null), else the id. Pure. */
const assignment = (form: FormData, name: string): string | null | undefined => {
  const value = text(form, name);
  return value === undefined ? undefined : value === "" ? null : value;
};

const failure = (intent: string, result: Extract<Attempt<unknown>, { ok: false }>, extra: Partial<{ clientMessageId: string }> = {}) => {
  const fields = fieldErrors(result.error);
  // A refused file is named by its place in the list (files[2]), so the composer can mark that one.
  const path = result.error.path?.startsWith("files") ? { path: result.error.path } : {};
  const conflict = result.status === 409;
  // A taken email is about the email field; in a conversation, the way out is to link that contact.
  const takenEmail = conflict && intent === "update-contact";
  const error = takenEmail ? `${result.error.message} Link that contact to this conversation instead.` : result.error.message;
  if (takenEmail) {
    fields.email = error;
    delete fields.form;
  }
  return data<ThreadActionResult>({ ok: false, intent, error, fields, conflict, ...path, ...extra }, { status: result.status });
};

const invalid = (intent: string, message: string, field = "form") =>
  data<ThreadActionResult>({ ok: false, intent, error: message, fields: { [field]: message }, conflict: false }, { status: 400 });

// ---------------------------------------------------------------------------------------------
// Reading the body: a plain form, or multipart with a reply's files

/** One file of a reply as it arrived (name and type as the browser sent them; the runtime sanitises both). */
export interface ReplyFile {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** Largest text field of a multipart post (bytes): a reply is at most 4,000 characters, 4 bytes each at worst. */
const MAX_FIELD_BYTES = 64 * 1024;
/** Most text fields of a multipart post: the composer sends six. */
const MAX_FIELDS = 50;
/**
 * Largest multipart body read at all (bytes): the files' total plus room for the text fields
 * and the parts' headers, base64 never (browsers send files raw). A declared length past it is
 * refused before anything reads the body.
 */
export const MAX_THREAD_BODY_BYTES = attachmentReplyLimits.maxMailBytes + 1024 * 1024;

/** A post refused while it was read: nothing of it is used. */
class UploadRefused extends Error {
  constructor(readonly refusal: AttachmentRefusal) {
    super(refusal.message);
  }
}

const refusedAnswer = (refusal: AttachmentRefusal, clientMessageId?: string) =>
  data<ThreadActionResult>(
    {
      ok: false,
      intent: "reply",
      error: `${refusal.path}: ${refusal.message}`,
      fields: { [refusal.path.split(/[.[]/)[0] || "form"]: refusal.message },
      path: refusal.path,
      conflict: false,
      ...(clientMessageId !== undefined ? { clientMessageId } : {}),
    },
    { status: refusal.status },
  );

const isMultipart = (request: Request) => (request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");

/**
 * 413 when a multipart post declares more bytes than any reply's files may take together, else
 * null. Call it before anything reads the body (the CSRF check reads it whole). Pure.
 */
export const threadBodyTooLarge = (request: Request) => {
  const declared = Number(request.headers.get("Content-Length") ?? "");
  if (!isMultipart(request) || !Number.isFinite(declared) || declared <= MAX_THREAD_BODY_BYTES) return null;
  const limit = Math.round(attachmentReplyLimits.maxMailBytes / (1024 * 1024));
  return refusedAnswer({ status: 413, path: "files", message: `the files pass ${limit} MB together, the most one reply can carry` });
};

/**
 * The post's text fields and a reply's files. A plain form is read as it is; a multipart one
 * part by part, each file counted and measured while it streams in against attachmentReplyLimits
 * (and each text field against 64 KB), stopping at the first file too many or byte too much
 * with its refusal. A file input left empty (a part without a file name) is no file.
 */
export const readThreadForm = async (
  request: Request,
): Promise<{ readonly ok: true; readonly form: FormData; readonly files: ReadonlyArray<ReplyFile> } | { readonly ok: false; readonly refusal: AttachmentRefusal }> => {
  if (!isMultipart(request)) return { ok: true, form: await request.formData(), files: [] };
  const files: ReplyFile[] = [];
  const sizes: Array<{ name: string; size: number }> = [];
  let fields = 0;
  const handler: UploadHandler = async ({ name, filename, contentType, data: parts }) => {
    const chunks: Uint8Array[] = [];
    if (filename === undefined) {
      if (++fields > MAX_FIELDS) throw new UploadRefused({ status: 400, path: "form", message: `a post has at most ${MAX_FIELDS} fields` });
      let size = 0;
      for await (const chunk of parts) {
        size += chunk.byteLength;
        if (size > MAX_FIELD_BYTES) throw new UploadRefused({ status: 413, path: name, message: `${name} is over ${MAX_FIELD_BYTES / 1024} KB` });
        chunks.push(chunk);
      }
      return Buffer.concat(chunks).toString("utf8");
    }
    if (name !== "files") throw new UploadRefused({ status: 400, path: name, message: "files go in the field named files" });
    const entry = { name: filename, size: 0 };
    // An empty file input still sends one part, with no name and no bytes.
    if (filename === "") {
      for await (const chunk of parts) if (chunk.byteLength > 0) throw new UploadRefused({ status: 400, path: `files[${sizes.length}]`, message: "a file needs a name" });
      return undefined;
    }
    sizes.push(entry);
    const early = attachmentReplyRefusal(sizes);
    if (early !== null) throw new UploadRefused(early);
    for await (const chunk of parts) {
      entry.size += chunk.byteLength;
      const refusal = attachmentReplyRefusal(sizes);
      if (refusal !== null) throw new UploadRefused(refusal);
      chunks.push(chunk);
    }
    files.push({ filename, contentType, content: Buffer.concat(chunks) });
    // Kept aside, not in the form: the bytes go to the service as they came.
    return undefined;
  };
  try {
    const form = await unstable_parseMultipartFormData(request, handler);
    return { ok: true, form, files };
  } catch (error) {
    if (error instanceof UploadRefused) return { ok: false, refusal: error.refusal };
    // A body that ends mid-part or has no boundary: the browser's upload broke off.
    return { ok: false, refusal: { status: 400, path: "form", message: "the form could not be read (the upload was cut short); send it again" } };
  }
};

/**
 * The thread's POST: reads the body (`readThreadForm`), then runs its intent. The caller has
 * checked the session, role and CSRF token (and `threadBodyTooLarge` before them).
 */
export const threadActionFor = async (context: AppLoadContext, user: User, conversationId: string, request: Request) => {
  const read = await readThreadForm(request);
  if (!read.ok) return refusedAnswer(read.refusal);
  return threadAction(context, user, conversationId, read.form, read.files);
};

/** Runs one intent for `user` on conversation `conversationId`; `files` only with a reply by email or on Messenger. */
export const threadAction = async (
  context: AppLoadContext,
  user: User,
  conversationId: string,
  form: FormData,
  files: ReadonlyArray<ReplyFile> = [],
) => {
  const raw = text(form, "intent") ?? "";
  if (!(intents as ReadonlyArray<string>).includes(raw)) {
    return invalid(raw, `unknown intent “${raw}”: expected one of ${intents.join(", ")}`, "intent");
  }
  const intent = raw as Intent;
  // Access first, for every intent: an unknown conversation is 404 and someone else's 403, whatever the form holds.
  const allowed = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.checkAccess(conversationId, user)));
  if (!allowed.ok) return failure(intent, allowed);
  const version = Number(text(form, "version") ?? "");
  if (files.length > 0 && intent !== "reply") {
    const message = "files can only be attached to replies, not to internal comments";
    return data<ThreadActionResult>({ ok: false, intent, error: message, fields: { files: message }, path: "files", conflict: false }, { status: 400 });
  }

  switch (intent) {
    case "reply":
    case "comment": {
      // Without JavaScript there is no id from the page; the form still works, without double-send protection.
      const clientMessageId = given(form, "clientMessageId") ?? newClientMessageId();
      const input = { conversationId, text: text(form, "text") ?? "", clientMessageId };
      if (intent === "reply") {
        const reply = files.length > 0 ? { ...input, files } : input;
        const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.reply(reply, user)));
        if (!result.ok) return failure(intent, result, { clientMessageId });
        return data<ThreadActionResult>({ ok: true, intent, clientMessageId });
      }
      const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.comment(input, user)));
      if (!result.ok) return failure(intent, result, { clientMessageId });
      const mentioned = result.value.mentioned.map((p) => p.name);
      return data<ThreadActionResult>({
        ok: true,
        intent,
        clientMessageId,
        mentioned,
        ...(mentioned.length > 0 ? { message: `Notified ${mentioned.join(", ")}.` } : {}),
      });
    }
    case "assign": {
      const change = {
        ...(assignment(form, "userId") !== undefined ? { userId: assignment(form, "userId") } : {}),
        ...(assignment(form, "teamId") !== undefined ? { teamId: assignment(form, "teamId") } : {}),
      };
      const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.assign(conversationId, change, version, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
    case "close":
    case "reopen":
    case "mark-pending":
    case "mark-open": {
      const change = { close: "close", reopen: "reopen", "mark-pending": "markPending", "mark-open": "markOpen" } as const;
      const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox[change[intent]](conversationId, version, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
    case "snooze": {
      // A preset posts `until` (epoch ms, computed on the agent's clock by the page); the date-time
      // field posts `at`, read on `timeZone`: the browser's (filled in by the page's script), else,
      // without JavaScript, the workspace's (the reports' time zone), which the field names.
      const zone = given(form, "timeZone") ?? (await run(context, Effect.flatMap(Reports, (r) => r.timezone())));
      const time = snoozeTimeOf({ until: given(form, "until"), at: given(form, "at") }, zone);
      if (!time.ok) return invalid(intent, time.message, time.field);
      const until = time.until;
      const result = await attempt(context, Effect.flatMap(Snoozes, (s) => s.snooze(conversationId, { until, timeZone: zone }, version, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
    case "unsnooze": {
      const result = await attempt(context, Effect.flatMap(Snoozes, (s) => s.unsnooze(conversationId, version, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
    case "create-contact": {
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.createFromConversation(user, conversationId, newContactInput(form))));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: result.value.message });
    }
    case "link-contact": {
      const contactId = given(form, "contactId");
      if (contactId === undefined) return invalid(intent, "pick a contact to link", "contactId");
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.linkToConversation(user, conversationId, contactId)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: `Linked ${result.value.name ?? result.value.email ?? "the contact"}.` });
    }
    case "update-contact": {
      const read = contactUpdateInput(form);
      if (!read.ok) return invalid(intent, read.message, read.field);
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.updateForConversation(user, conversationId, read.input)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: "Contact saved." });
    }
    case "set-owner": {
      const change = ownerInput(form);
      if (change === undefined) return invalid(intent, "pick an owner, or none", "ownerId");
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.setOwnerForConversation(user, conversationId, change)));
      if (!result.ok) return failure(intent, result);
      const owner = result.value.owner;
      return data<ThreadActionResult>({ ok: true, intent, message: owner ? `${owner.name} owns this contact now.` : "This contact has no owner now." });
    }
    case "create-ticket": {
      const input = Object.fromEntries(
        (["subject", "description", "priority", "status"] as const).flatMap((k) => (text(form, k) !== undefined ? [[k, text(form, k)]] : [])),
      );
      const result = await attempt(context, Effect.flatMap(Tickets, (tickets) => tickets.createFromConversation(user, conversationId, input)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>(
        // The panel links the new ticket; no second "created" line.
        { ok: true, intent, ticket: { id: result.value.id, subject: result.value.subject } },
        { status: 201 },
      );
    }
    case "add-label":
    case "remove-label": {
      const input = { labelId: text(form, "labelId") ?? "" };
      const result = await attempt(
        context,
        Effect.flatMap(Labels, (l) => (intent === "add-label" ? l.addToConversation(user, conversationId, input) : l.removeFromConversation(user, conversationId, input))),
      );
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
    case "set-labels": {
      // The menu without JavaScript: every label it showed is added when ticked and removed when not.
      const ticked = new Set(form.getAll("labelId").filter((v): v is string => typeof v === "string"));
      const shown = form.getAll("shown").filter((v): v is string => typeof v === "string").slice(0, 500);
      const result = await attempt(
        context,
        Effect.flatMap(Labels, (l) =>
          Effect.forEach(shown, (labelId) =>
            ticked.has(labelId) ? l.addToConversation(user, conversationId, { labelId }) : l.removeFromConversation(user, conversationId, { labelId }),
          ),
        ),
      );
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: "Labels saved." });
    }
    case "run-macro": {
      // A snooze step's preset is computed now, on the posted zone (the browser's, filled in by the
      // page's script), else the workspace's — as the bulk bar's presets are.
      const zone = given(form, "timeZone") ?? (await run(context, Effect.flatMap(Reports, (r) => r.timezone())));
      const presets = Object.fromEntries(snoozePresets(Date.now(), zone).map((p) => [p.id, p.at]));
      const input = { macroId: text(form, "macroId") ?? "", version, clientMessageId: given(form, "clientMessageId") ?? newClientMessageId(), timeZone: zone, presets };
      const result = await attempt(context, Effect.flatMap(Macros, (m) => m.run(user, conversationId, input)));
      if (!result.ok) return failure(intent, result);
      const { macro, applied, skipped } = result.value;
      const message =
        skipped.length === 0
          ? `Ran “${macro.name}”: ${applied.length === 1 ? "1 step" : `${applied.length} steps`} done.`
          : `Ran “${macro.name}”: ${applied.length} done, ${skipped.length} skipped.`;
      return data<ThreadActionResult>({ ok: true, intent, message, macro: { name: macro.name, applied, skipped } });
    }
    case "email-transcript": {
      // To the address typed, else the contact's; queued in one write with a line in the thread (transcripts.ts).
      const email = given(form, "email");
      const result = await attempt(context, Effect.flatMap(Transcripts, (t) => t.requestByAgent({ conversationId, ...(email !== undefined ? { email } : {}) }, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: `Transcript on its way to ${result.value.recipient}.` }, { status: 202 });
    }
    case "retry-delivery": {
      const messageId = text(form, "messageId") ?? "";
      // Queues the failed reply again and wakes the outbox; the page sees "Sending…", then the live feed's outcome.
      const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.retryDelivery(conversationId, messageId.trim(), user)));
      if (!result.ok) return failure(intent, result);
      return data<RetryDeliveryResult>({ ok: true, intent, messageId: messageId.trim(), message: "Sending again…" });
    }
    case "typing": {
      const typing = text(form, "typing") === "true";
      const internal = text(form, "mode") === "comment";
      const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.setTyping(conversationId, typing, internal, user)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent });
    }
  }
};
