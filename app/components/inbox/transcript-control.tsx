/**
 * "Email transcript" for a chat, in the thread's side panel (beside the ticket form): a disclosure with the address (the contact's by
 * default, or one the agent types) and Send, posting intent "email-transcript"; under it, each
 * transcript email of the conversation (the visitor's and the agents') with its state — queued,
 * retrying with the last error, sent, or not sent with the reason. Each state is text in a
 * status region, so a change is announced.
 */
import { useFetcher } from "@remix-run/react";
import type { TranscriptEmail } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import { capitalise } from "../messages.js";
import type { ThreadActionResult } from "./action-result.js";
import { Time } from "./time.js";

/** The state of one transcript email in words. Pure. */
export const transcriptState = (t: TranscriptEmail): string =>
  t.status === "sent"
    ? "sent"
    : t.status === "not_sent"
      ? `not sent — ${t.reason ?? "the relay refused it"}`
      : t.attempts > 0
        ? `sending… (last try failed: ${t.lastError ?? "unknown error"})`
        : "sending…";

export function TranscriptControl({
  conversationId,
  contactEmail,
  transcripts,
  now,
}: {
  conversationId: string;
  contactEmail: string | null;
  transcripts: ReadonlyArray<TranscriptEmail>;
  now: number;
}) {
  const fetcher = useFetcher<ThreadActionResult>({ key: `email-transcript:${conversationId}` });
  const answer = fetcher.state === "idle" ? fetcher.data : undefined;
  const fieldError = answer && !answer.ok ? answer.fields.email : undefined;
  return (
    <section className="panel-section transcripts" aria-labelledby="transcripts-title">
      <h3 id="transcripts-title">Transcripts by email</h3>
      <details className="transcripts__send">
        <summary>Email transcript</summary>
        <fetcher.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="transcripts__form" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="email-transcript" />
          <label htmlFor="transcript-email">To</label>
          <input
            id="transcript-email"
            name="email"
            type="email"
            placeholder={contactEmail ?? "name@example.com"}
            aria-describedby="transcript-email-hint"
            aria-invalid={fieldError ? true : undefined}
          />
          <p id="transcript-email-hint" className="transcripts__hint">
            {/* The address itself is in the Contact section above (and the field's placeholder): not repeated here. */}
            {fieldError ?? (contactEmail ? "Leave empty to send it to the contact's address." : "This contact has no email address: type one.")}
          </p>
          <button type="submit" className="button button--secondary button--small" disabled={fetcher.state !== "idle"}>
            Send transcript
          </button>
        </fetcher.Form>
        {answer && !fieldError ? (
          <p className={answer.ok ? "notice notice--success" : "notice notice--error"} role={answer.ok ? "status" : "alert"}>
            {answer.ok ? answer.message : capitalise(answer.error)}
          </p>
        ) : null}
      </details>
      {transcripts.length > 0 ? (
        <ul className="transcripts__list">
          {transcripts.map((t) => (
            <li key={t.id} role="status">
              Transcript to {t.recipient} ({t.requestedBy === "visitor" ? "asked for by the visitor" : "sent by an agent"}, <Time at={t.at} now={now} />): {transcriptState(t)}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
