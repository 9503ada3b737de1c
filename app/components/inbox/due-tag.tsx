import type { Owed } from "../../runtime.server.js";
import { dueLabel } from "./labels.js";

/**
 * A waiting conversation's due state against its inbox's response target, beside the wait: the
 * text says due or overdue and how long; "soon" is said to screen readers and in the title too,
 * not by colour alone.
 */
export function DueTag({ owed, now }: { owed: Owed | null; now: number }) {
  if (owed === null) return null;
  const label = dueLabel(owed, now);
  return (
    <span className={`tag tag--due-${label.level}`} title={label.detail}>
      {label.level === "soon" ? <span className="visually-hidden">soon: </span> : null}
      {label.text}
      <span className="visually-hidden"> · {label.detail}</span>
    </span>
  );
}
