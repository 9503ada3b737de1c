/**
 * "Email me this conversation" at the end of a closed conversation, under the rating card: a
 * button that asks the server what it may offer (GET /api/conversations/:id/transcript), then a
 * small form — "Send a copy to a•••@example.com?" with Send and "Use another address", or an
 * email field when the visitor left none — and the confirmation (a status line) or the error
 * (an alert, or the field's own message). It renders what it is told and reaches the server only
 * through `load` and `send`, which chat-ui.ts gives it.
 */
import type { ChatStrings } from "../i18n/en.js";
import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { format } from "./i18n.js";
import { looksLikeEmail } from "./validate.js";

/** What the server offers for one conversation. */
export interface TranscriptState {
  readonly available: boolean;
  /** The visitor's address, masked (a•••@example.com); null when they left none. */
  readonly email: string | null;
  readonly remaining: number;
}

/** The GET answer as a TranscriptState, or null when it is not one (an older server, a proxy's page). Pure. */
export const readTranscriptState = (answer: unknown): TranscriptState | null => {
  if (typeof answer !== "object" || answer === null) return null;
  const { available, email, remaining } = answer as { available?: unknown; email?: unknown; remaining?: unknown };
  if (typeof available !== "boolean" || typeof remaining !== "number") return null;
  return { available, email: typeof email === "string" ? email : null, remaining };
};

/** The POST body: the typed address (trimmed) when there is one, and the browser's time zone when it says one. Pure. */
export const transcriptBody = (email: string | null, timeZone: string | undefined): { email?: string; timeZone?: string } => ({
  ...(email !== null && email.trim() !== "" ? { email: email.trim() } : {}),
  ...(timeZone ? { timeZone } : {}),
});

export interface TranscriptCardView {
  readonly element: HTMLElement;
}

/** Builds the card; `load` asks what may be offered, `send` queues the mail (to `email`, or the visitor's own address) and answers where it goes. */
export const createTranscriptCard = (
  strings: ChatStrings,
  load: () => Promise<unknown>,
  send: (email: string | null) => Promise<string>,
): TranscriptCardView => {
  const element = h("div", { class: "rt tx" });
  const start = h("button", { type: "button", class: "rl" }, strings.transcriptAction);
  const note = h("p", { role: "status" });
  const done = (text: string) => {
    const line = h("p", { role: "status", tabindex: "-1" }, text);
    element.replaceChildren(line);
    line.focus();
  };

  const showForm = (state: TranscriptState) => {
    const error = h("p", { class: "fe", role: "alert" });
    const fieldError = h("p", { class: "fe", id: "parley-tx-error" });
    const input = h("input", { id: "parley-tx-email", type: "email", inputmode: "email", autocomplete: "email", "aria-describedby": "parley-tx-error" });
    const field = h("div", { class: "rc", hidden: state.email !== null }, h("label", { for: "parley-tx-email" }, strings.awayEmail), input, fieldError);
    const button = h("button", { class: "sd", type: "submit" }, strings.transcriptSend);
    const other = h("button", { type: "button", class: "rl" }, strings.transcriptOther);
    other.addEventListener("click", () => {
      field.hidden = false;
      other.remove();
      input.focus();
    });
    const question = state.email !== null ? [h("p", { class: "rq" }, format(strings.transcriptTo, { email: state.email })), other] : [];
    const form = h("form", { novalidate: true }, ...question, field, button, error);
    let busy = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      const typed = field.hidden ? null : input.value.trim();
      const bad = typed !== null && !looksLikeEmail(typed);
      fieldError.textContent = bad ? strings.invalidEmail : "";
      input.setAttribute("aria-invalid", String(bad));
      if (bad) return input.focus();
      busy = true;
      button.setAttribute("aria-disabled", "true");
      error.textContent = "";
      try {
        done(format(strings.transcriptSent, { email: await send(typed) }));
      } catch (failure) {
        busy = false;
        button.removeAttribute("aria-disabled");
        if (failure instanceof ApiError && failure.status === 400 && !field.hidden) {
          fieldError.textContent = strings.invalidEmail;
          input.setAttribute("aria-invalid", "true");
          return input.focus();
        }
        error.textContent =
          failure instanceof ApiError && failure.status === 429
            ? strings.transcriptLater
            : format(strings.transcriptFailed, { reason: failure instanceof Error ? failure.message : String(failure) });
      }
    });
    element.replaceChildren(form);
    (state.email !== null ? button : input).focus();
  };

  start.addEventListener("click", async () => {
    note.textContent = "";
    let state: TranscriptState | null = null;
    try {
      state = readTranscriptState(await load());
    } catch (failure) {
      note.textContent = format(strings.transcriptFailed, { reason: failure instanceof Error ? failure.message : String(failure) });
      return;
    }
    if (!state?.available) return void (note.textContent = strings.transcriptUnavailable);
    if (state.remaining <= 0) return void (note.textContent = strings.transcriptLater);
    showForm(state);
  });
  element.append(start, note);
  return { element };
};
