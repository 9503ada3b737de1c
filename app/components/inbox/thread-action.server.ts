/**
 * The thread's POST actions, one per `intent` (reply | comment | assign | close | reopen |
 * mark-pending | mark-open | create-contact | link-contact | update-contact | create-ticket | typing |
 * retry-delivery): the form is read
 * into the service's input, the service decides, and every answer is a ThreadActionResult with
 * the HTTP status of the outcome (400 / 403 / 404 / 409 for expected failures).
 */
import { data, type AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors } from "../../forms.js";
import { attempt, Contacts, InboxService, Tickets, type Attempt, type User } from "../../runtime.server.js";
import type { ThreadActionResult, ThreadIntent } from "./action-result.js";
import { newClientMessageId } from "./composer-logic.js";
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
  "create-contact",
  "link-contact",
  "update-contact",
  "create-ticket",
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
  const conflict = result.status === 409;
  // A taken email is about the email field.
  if (conflict && intent === "update-contact") {
    fields.email = result.error.message;
    delete fields.form;
  }
  return data<ThreadActionResult>({ ok: false, intent, error: result.error.message, fields, conflict, ...extra }, { status: result.status });
};

const invalid = (intent: string, message: string, field = "form") =>
  data<ThreadActionResult>({ ok: false, intent, error: message, fields: { [field]: message }, conflict: false }, { status: 400 });

/** Runs one intent for `user` on conversation `conversationId`. */
export const threadAction = async (context: AppLoadContext, user: User, conversationId: string, form: FormData) => {
  const raw = text(form, "intent") ?? "";
  if (!(intents as ReadonlyArray<string>).includes(raw)) {
    return invalid(raw, `unknown intent “${raw}”: expected one of ${intents.join(", ")}`, "intent");
  }
  const intent = raw as Intent;
  // Access first, for every intent: an unknown conversation is 404 and someone else's 403, whatever the form holds.
  const allowed = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.checkAccess(conversationId, user)));
  if (!allowed.ok) return failure(intent, allowed);
  const version = Number(text(form, "version") ?? "");

  switch (intent) {
    case "reply":
    case "comment": {
      // Without JavaScript there is no id from the page; the form still works, without double-send protection.
      const clientMessageId = given(form, "clientMessageId") ?? newClientMessageId();
      const input = { conversationId, text: text(form, "text") ?? "", clientMessageId };
      if (intent === "reply") {
        const result = await attempt(context, Effect.flatMap(InboxService, (inbox) => inbox.reply(input, user)));
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
    case "create-contact": {
      const input = Object.fromEntries(
        (["email", "name", "phone"] as const).flatMap((k) => (given(form, k) !== undefined ? [[k, given(form, k)]] : [])),
      );
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.createFromConversation(user, conversationId, input)));
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
      const input: Record<string, unknown> = {};
      for (const key of ["email", "name", "phone"] as const) {
        const value = text(form, key);
        // An emptied field clears the value.
        if (value !== undefined) input[key] = value.trim() === "" ? null : value;
      }
      const properties: Record<string, string> = {};
      for (const [key, value] of form.entries()) {
        if (key.startsWith("property.") && typeof value === "string") properties[key.slice("property.".length)] = value;
      }
      const newName = given(form, "newPropertyName");
      if (newName !== undefined) {
        const value = text(form, "newPropertyValue") ?? "";
        if (value.trim() === "") return invalid(intent, "enter a value for the new property", "newPropertyName");
        properties[newName.trim()] = value;
      }
      if (Object.keys(properties).length > 0) input.properties = properties;
      const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.updateForConversation(user, conversationId, input)));
      if (!result.ok) return failure(intent, result);
      return data<ThreadActionResult>({ ok: true, intent, message: "Contact saved." });
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
