/**
 * What the thread says under an agent's chat replies about the visitor: whether they have seen
 * them in the widget, and whether the replies they had not seen were emailed to them
 * (follow-ups.ts). Pure, so the rules are tested without a page.
 */
import type { ConversationFollowUps, ThreadMessage } from "../../runtime.server.js";

/** One line under a reply. */
export type FollowUpNote =
  | { readonly kind: "seen"; readonly at: number }
  | { readonly kind: "emailed"; readonly to: string | null; readonly at: number }
  | { readonly kind: "not_emailed"; readonly reason: string; readonly at: number }
  | {
      readonly kind: "unseen";
      /** When it will be emailed if still unseen; null when it will not be (off, or no address). */
      readonly emailAt: number | null;
      /** Why it will not be emailed, when it will not: "off" or "no_address". */
      readonly why: "off" | "no_address" | null;
      /** The last failed try's reason, while a retry waits. */
      readonly lastError: string | null;
    };

/**
 * The notes under each reply, by message id: each follow-up email under the newest reply it
 * carried; and under the newest agent reply, Seen (with when) or Not seen yet (with when it will
 * be emailed, or why it will not). `visitorEmail` is the address a follow-up would go to.
 */
export const followUpNotes = (
  messages: ReadonlyArray<Pick<ThreadMessage, "id" | "author" | "internal">>,
  followUps: ConversationFollowUps,
  visitorEmail: string | null,
): ReadonlyMap<string, ReadonlyArray<FollowUpNote>> => {
  const notes = new Map<string, FollowUpNote[]>();
  const add = (id: string, note: FollowUpNote) => {
    const list = notes.get(id);
    if (list) list.push(note);
    else notes.set(id, [note]);
  };
  for (const e of followUps.emails) {
    add(
      e.throughMessageId,
      e.status === "sent" ? { kind: "emailed", to: e.recipient, at: e.at } : { kind: "not_emailed", reason: e.reason ?? "not sent", at: e.at },
    );
  }
  const newest = [...messages].reverse().find((m) => m.author === "agent" && !m.internal);
  if (newest === undefined) return notes;
  const id = Number(newest.id);
  const seen = followUps.seen;
  if (seen !== null && Number(seen.messageId) >= id) {
    add(newest.id, { kind: "seen", at: seen.at });
    return notes;
  }
  const covered = followUps.emails.some((e) => Number(e.throughMessageId) >= id);
  if (covered) return notes;
  const waiting = followUps.waiting;
  add(newest.id, {
    kind: "unseen",
    emailAt: followUps.minutes > 0 && visitorEmail !== null ? (waiting?.dueAt ?? null) : null,
    why: followUps.minutes === 0 ? "off" : visitorEmail === null ? "no_address" : null,
    lastError: waiting !== null && waiting.attempts > 0 ? waiting.lastError : null,
  });
  return notes;
};
