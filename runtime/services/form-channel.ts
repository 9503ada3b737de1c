/**
 * Form channels: each submission opens a conversation and a ticket in the channel's inbox.
 *
 * - Settings (form-settings.ts): the fields, which of them name the contact, the ticket's
 *   subject template and priority, the success message, the redirect after a plain HTML post
 *   and the origins allowed to submit with JavaScript, kept in `channels.config`; plus the two
 *   snippets to paste into a site (form-html.ts).
 * - Submissions (form-submission.ts): judged against the form; a valid one finds or creates the
 *   contact by its email (blanks filled, nothing overwritten), the visitor that email stands
 *   for on the channel, and opens one conversation with one ticket through OutsideConversations,
 *   routed like any handoff. A filled honeypot is answered like a success and stored nowhere;
 *   an idempotency key makes a retried submission store once.
 *
 * Every name this module exports starts with Form/form: app/runtime.server.ts re-exports them all.
 */
import { randomUUID } from "node:crypto";
import { Context, Effect, Either, Layer } from "effect";
import type { DecodeIssue } from "../../flows/decode.js";
import { Channels } from "./channels.js";
import { now } from "./clock.js";
import { AppConfig } from "./config.js";
import { Database } from "./database.js";
import { InvalidInput, NotFound } from "./errors.js";
import { htmlSnippet, jsSnippet } from "./form-html.js";
import { decodeFormSettings, mergeFormConfig, readFormConfig, renderSubject, type FormConfig, type FormField } from "./form-settings.js";
import { checkSubmission, contactFrom, submissionText, type CheckedValue } from "./form-submission.js";
import { newId } from "./ids.js";
import { OutsideConversations } from "./outside-conversations.js";

export {
  formFieldTypes,
  formPriorities,
  MAX_FIELDS as FORM_MAX_FIELDS,
  MAX_OPTIONS as FORM_MAX_OPTIONS,
  HONEYPOT_KEY as FORM_HONEYPOT_KEY,
  decodeFormSettings as formDecodeSettings,
} from "./form-settings.js";
export type { FormConfig, FormContactFields, FormField, FormFieldType, FormPriority, FormSettingsInput } from "./form-settings.js";
export {
  draftErrors as formDraftErrors,
  draftFromConfig as formDraftFromConfig,
  draftFromEntries as formDraftFromEntries,
  editDraft as formEditDraft,
  inputFromDraft as formInputFromDraft,
  parseIntent as formParseIntent,
} from "./form-admin.js";
export type { FormDraft, FormDraftField, FormDraftIntent } from "./form-admin.js";
export { escapeHtml as formEscapeHtml, errorPage as formErrorPage, thankYouPage as formThankYouPage } from "./form-html.js";

/** Largest Idempotency-Key accepted (characters). */
export const FORM_MAX_IDEMPOTENCY_KEY = 100;

/** The URL a form posts to. Pure. */
export const formSubmitUrl = (publicUrl: string, channelId: string): string =>
  `${publicUrl.replace(/\/+$/, "")}/api/forms/${encodeURIComponent(channelId)}/submissions`;

/** A form channel's settings as the admin screen shows them, with the snippets to paste. */
export interface FormSettingsView {
  readonly channelId: string;
  readonly channelName: string;
  readonly inboxName: string;
  readonly config: FormConfig;
  readonly submitUrl: string;
  readonly definitionUrl: string;
  readonly htmlSnippet: string;
  readonly jsSnippet: string;
}

/** What anyone may read about a form (GET /api/forms/<id>): nothing the admin keeps to the team. */
export interface FormPublicDefinition {
  readonly id: string;
  readonly name: string;
  readonly fields: ReadonlyArray<FormField>;
  readonly successMessage: string;
  readonly submitUrl: string;
}

export interface FormSubmission {
  /** Field key → value, as sent (values are checked here). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly pageUrl?: string | null;
  /** From the Idempotency-Key header: a second submission with it is not stored again. */
  readonly idempotencyKey?: string | null;
}

export interface FormSubmitted {
  /** False for a honeypot submission, which is answered like a success. */
  readonly stored: boolean;
  readonly duplicate: boolean;
  readonly conversationId: string | null;
  readonly ticketId: string | null;
  readonly contactId: string | null;
  readonly successMessage: string;
  readonly redirectUrl: string;
}

export interface FormChannelShape {
  readonly settings: (channelId: string) => Effect.Effect<FormSettingsView, NotFound>;
  /** Replaces the form's settings (decoded by FormSettingsInput, checked across fields); other config keys stay. */
  readonly saveSettings: (channelId: string, input: unknown) => Effect.Effect<FormSettingsView, NotFound | InvalidInput>;
  /** The public definition and the origins allowed to call with JavaScript; NotFound for any other kind. */
  readonly definition: (channelId: string) => Effect.Effect<{ readonly form: FormPublicDefinition; readonly allowedOrigins: ReadonlyArray<string> }, NotFound>;
  /** Stores a valid submission as a conversation with a ticket; InvalidInput with `fields.<key>` paths otherwise. */
  readonly submit: (channelId: string, submission: FormSubmission) => Effect.Effect<FormSubmitted, NotFound | InvalidInput>;
}

export class FormChannel extends Context.Tag("FormChannel")<FormChannel, FormChannelShape>() {}

const invalid = (issues: ReadonlyArray<DecodeIssue>) => new InvalidInput({ issues });

export const formChannelLayer = Layer.effect(
  FormChannel,
  Effect.gen(function* () {
    const channels = yield* Channels;
    const config = yield* AppConfig;
    const db = yield* Database;
    const outside = yield* OutsideConversations;

    const load = (channelId: string) =>
      Effect.gen(function* () {
        const stored = yield* channels.readConfig(channelId, "form");
        const channel = yield* channels.get(channelId);
        return { channel, form: readFormConfig(stored) };
      });

    const view = (channel: { id: string; name: string; inboxName: string }, form: FormConfig): FormSettingsView => {
      const submitUrl = formSubmitUrl(config.publicUrl, channel.id);
      return {
        channelId: channel.id,
        channelName: channel.name,
        inboxName: channel.inboxName,
        config: form,
        submitUrl,
        definitionUrl: submitUrl.replace(/\/submissions$/, ""),
        htmlSnippet: htmlSnippet(form, submitUrl),
        jsSnippet: jsSnippet(form, submitUrl),
      };
    };

    const settings: FormChannelShape["settings"] = Effect.fn("FormChannel.settings")(function* (channelId: string) {
      const { channel, form } = yield* load(channelId);
      return view(channel, form);
    });

    const saveSettings: FormChannelShape["saveSettings"] = Effect.fn("FormChannel.saveSettings")(function* (channelId: string, input: unknown) {
      const channel = yield* channels.get(channelId);
      if (channel.kind !== "form") return yield* Effect.fail(new NotFound({ entity: "form channel", id: channelId }));
      const decoded = decodeFormSettings(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(invalid(decoded.left));
      const form = decoded.right;
      yield* channels.writeConfig(channelId, "form", (stored) => Either.right(mergeFormConfig(stored, form)));
      return view(channel, form);
    });

    const definition: FormChannelShape["definition"] = Effect.fn("FormChannel.definition")(function* (channelId: string) {
      const { channel, form } = yield* load(channelId);
      return {
        form: { id: channel.id, name: channel.name, fields: form.fields, successMessage: form.successMessage, submitUrl: formSubmitUrl(config.publicUrl, channel.id) },
        allowedOrigins: form.allowedOrigins,
      };
    });

    /** Finds the contact with `email` (filling its empty name and phone) or creates it, in one write. */
    const contactFor = (contact: { email: string; name: string | null; phone: string | null }) =>
      Effect.orDie(
        db.writeEffect((sqlite) => {
          const at = now();
          const found = sqlite.prepare("SELECT id FROM contacts WHERE email = ? COLLATE NOCASE").get(contact.email) as { id: string } | undefined;
          if (found) {
            sqlite
              .prepare(
                `UPDATE contacts SET name = COALESCE(NULLIF(name, ''), ?), phone = COALESCE(NULLIF(phone, ''), ?), updated_at = ?
                 WHERE id = ? AND ((COALESCE(name, '') = '' AND ? IS NOT NULL) OR (COALESCE(phone, '') = '' AND ? IS NOT NULL))`,
              )
              .run(contact.name, contact.phone, at, found.id, contact.name, contact.phone);
            return found.id;
          }
          const id = newId("contact");
          sqlite
            .prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', ?, ?)")
            .run(id, contact.email, contact.name, contact.phone, at, at);
          return id;
        }),
      );

    const submit: FormChannelShape["submit"] = Effect.fn("FormChannel.submit")(function* (channelId: string, submission: FormSubmission) {
      const { channel, form } = yield* load(channelId);
      const answer = { successMessage: form.successMessage, redirectUrl: form.redirectUrl };
      const checked = checkSubmission(form, submission.fields);
      if (Either.isLeft(checked)) return yield* Effect.fail(invalid(checked.left));
      if (checked.right.kind === "spam") {
        return { stored: false, duplicate: false, conversationId: null, ticketId: null, contactId: null, ...answer };
      }
      const values: ReadonlyArray<CheckedValue> = checked.right.values;
      const key = submission.idempotencyKey ?? null;
      const externalMessageId = key === null ? undefined : `form-submission:${key}`;
      if (externalMessageId !== undefined) {
        // A retry touches nothing, not even the contact (its body may differ from the first's).
        const seen = yield* outside.conversationForExternalId(channelId, [externalMessageId]);
        if (seen !== null) {
          const ticket = db.prepare("SELECT id, contact_id FROM tickets WHERE conversation_id = ? ORDER BY created_at LIMIT 1").get(seen) as
            | { id: string; contact_id: string | null }
            | undefined;
          return { stored: true, duplicate: true, conversationId: seen, ticketId: ticket?.id ?? null, contactId: ticket?.contact_id ?? null, ...answer };
        }
      }
      const person = contactFrom(form, values);
      const contactId = person.email === null ? null : yield* contactFor({ email: person.email, name: person.name, phone: person.phone });
      // Without an email the visitor is new each time (a retry with its key finds the same one).
      const externalId = person.email !== null ? `email:${person.email}` : `submission:${key ?? randomUUID()}`;
      const { visitorId } = yield* outside.visitorFor({ channelId, externalId, contactId });
      const text = submissionText(values);
      const opened = yield* outside.open({
        channelId,
        visitorId,
        contactId,
        via: "form",
        text,
        // The submitter is not in any chat: the team's replies reach them by email.
        replyByEmail: true,
        payload: { form: { fields: values.map((v) => ({ key: v.key, label: v.label, value: v.value })) } },
        pageUrl: submission.pageUrl ?? null,
        // Checked again in open's own write: two retries at once still store once.
        ...(externalMessageId !== undefined ? { externalMessageId } : {}),
        ticket: {
          subject: renderSubject(form.subject, Object.fromEntries(values.map((v) => [v.key, v.value])), channel.name),
          description: text,
          priority: form.priority,
        },
      });
      return { stored: true, duplicate: opened.duplicate, conversationId: opened.conversationId, ticketId: opened.ticketId, contactId, ...answer };
    });

    return { settings, saveSettings, definition, submit };
  }),
);
