import { Form } from "@remix-run/react";
import { useId, useState } from "react";
import { CsrfInput } from "../csrf-input.js";
import { FieldError } from "../field.js";

/** Kept in step with the service's limit (runtime/services/tickets.ts MAX_NOTE), for the counter. */
const MAX_NOTE = 4_000;

/**
 * The box for an internal note (POST `intent=note` to the ticket page). Mount it with a key that
 * changes when a note is added: that empties it, while a refused note keeps its text.
 */
export function NoteForm({ error, busy }: { error: string | undefined; busy: boolean }) {
  const field = useId();
  const [length, setLength] = useState(0);
  const left = MAX_NOTE - length;
  return (
    <Form method="post" className="ticket-note" aria-label="Add a note">
      <CsrfInput />
      <input type="hidden" name="intent" value="note" />
      <div className="field">
        <label htmlFor={field}>Note</label>
        <textarea
          id={field}
          name="text"
          required
          maxLength={MAX_NOTE}
          aria-describedby={`${field}-hint`}
          aria-invalid={error ? true : undefined}
          onChange={(e) => setLength(e.currentTarget.value.length)}
        />
        <p id={`${field}-hint`} className="muted ticket-note__count">
          Only your team sees notes, never the contact.{left < 500 ? ` ${left.toLocaleString("en")} characters left.` : ""}
        </p>
        <FieldError message={error} />
      </div>
      <div className="form__actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Adding…" : "Add note"}
        </button>
      </div>
    </Form>
  );
}
