/**
 * The notices a settings form shows above itself: what was saved (a status) and why a save
 * failed (an alert). Both render nothing when there is nothing to say.
 */
import type { ReactNode } from "react";
import { capitalise } from "../messages.js";

/** A success message, read out politely by screen readers; nothing unless `show`. */
export function SavedNotice({ show, children }: { show: boolean; children: ReactNode }) {
  return show ? (
    <p className="notice notice--success" role="status">
      {children}
    </p>
  ) : null;
}

/**
 * An error message (a runtime message, so capitalised), announced at once; nothing when there is
 * no message. `tone="warning"` for a refusal that is not a fault (a conflict: someone else changed
 * it first); `id` for a form's `aria-describedby` to point at.
 */
export function ErrorNotice({
  message,
  tone = "error",
  id,
}: {
  message: string | null | undefined;
  tone?: "error" | "warning";
  id?: string;
}) {
  return message ? (
    <p id={id} className={`notice notice--${tone}`} role="alert">
      {capitalise(message)}
    </p>
  ) : null;
}

/** A form's row of buttons: the submit button (its label while busy), then any others. */
export function SubmitActions({
  busy,
  label,
  busyLabel = "Saving…",
  children,
}: {
  busy: boolean;
  label: string;
  busyLabel?: string;
  children?: ReactNode;
}) {
  return (
    <div className="form__actions">
      <button type="submit" className="button" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      {children}
    </div>
  );
}

/** An item's edit form's buttons: one that saves (`intent` = `saveIntent`) and Delete (`intent` = delete), then any others. */
export function SaveDeleteActions({
  busy,
  saveIntent = "update",
  saveLabel = "Save",
  children,
}: {
  busy: boolean;
  saveIntent?: string;
  saveLabel?: string;
  children?: ReactNode;
}) {
  return (
    <div className="form__actions">
      <button type="submit" name="intent" value={saveIntent} className="button" disabled={busy}>
        {saveLabel}
      </button>{" "}
      <button type="submit" name="intent" value="delete" className="button button--secondary" disabled={busy}>
        Delete
      </button>
      {children}
    </div>
  );
}
