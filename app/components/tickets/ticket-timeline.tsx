import { Time } from "../inbox/time.js";
import { activitySentence, type ActivityLike } from "./activity-text.js";

/** A timeline entry as the ticket page receives it. */
export interface TimelineEntry extends ActivityLike {
  readonly id: number;
  readonly at: number;
  readonly text: string | null;
}

/**
 * A ticket's timeline, oldest first and newest last (as a thread reads): who did what and how
 * long ago, with the exact time on hover; notes are shown in full.
 */
export function TicketTimeline({
  entries,
  truncated,
  viewerId,
  now,
}: {
  entries: ReadonlyArray<TimelineEntry>;
  truncated: boolean;
  viewerId: string;
  now: number;
}) {
  return (
    <ol className="ticket-timeline" aria-label="Timeline">
      {truncated ? <li className="ticket-timeline__more muted">Older entries are not shown.</li> : null}
      {entries.map((entry) => (
        <li key={`${entry.kind}:${entry.id}`} className={`ticket-timeline__entry ticket-timeline__entry--${entry.kind}`}>
          <p className="ticket-timeline__line">
            <span>{activitySentence(entry, viewerId)}</span> <span className="muted">·</span>{" "}
            <span className="muted">
              <Time at={entry.at} now={now} style="ago" />
            </span>
          </p>
          {entry.kind === "note" && entry.text !== null ? <p className="ticket-timeline__note">{entry.text}</p> : null}
        </li>
      ))}
    </ol>
  );
}
