/**
 * What one entry of a ticket's timeline says, in words: pure, so the page and its tests agree.
 */
import type { TicketPriority, TicketStatus } from "../../runtime.server.js";
import { ticketPriorityLabels, ticketStatusLabels } from "../inbox/labels.js";

/** The parts of a timeline entry the sentence needs (the shape `Tickets.timeline` returns). */
export interface ActivityLike {
  readonly kind: "created" | "note" | "status" | "priority" | "assignee";
  readonly user: { readonly id: string; readonly name: string } | null;
  readonly from: { readonly value: string; readonly name: string } | null;
  readonly to: { readonly value: string; readonly name: string } | null;
}

const statusLabel = (v: { readonly value: string } | null) => (v === null ? "—" : (ticketStatusLabels[v.value as TicketStatus] ?? v.value));
const priorityLabel = (v: { readonly value: string } | null) => (v === null ? "—" : (ticketPriorityLabels[v.value as TicketPriority] ?? v.value));

/** Who did it: "You" for the viewer, the person's name, or "Parley" for the bot and visitors' messages. Pure. */
export const actorName = (entry: Pick<ActivityLike, "user">, viewerId: string): string =>
  entry.user === null ? "Parley" : entry.user.id === viewerId ? "You" : entry.user.name || "Someone";

/** "Bo Berg changed the status from New to Closed", "You assigned it to Ada Admin", … Pure. */
export const activitySentence = (entry: ActivityLike, viewerId: string): string => {
  const who = actorName(entry, viewerId);
  const person = (v: { readonly value: string; readonly name: string }) => (v.value === viewerId ? "you" : v.name);
  switch (entry.kind) {
    case "created":
      return entry.user === null ? "Created automatically from the conversation" : `${who} created the ticket`;
    case "note":
      return `${who} added a note`;
    case "status":
      return `${who} changed the status from ${statusLabel(entry.from)} to ${statusLabel(entry.to)}`;
    case "priority":
      return `${who} changed the priority from ${priorityLabel(entry.from)} to ${priorityLabel(entry.to)}`;
    case "assignee":
      if (entry.to === null) return entry.from === null ? `${who} unassigned it` : `${who} unassigned ${person(entry.from)}`;
      if (entry.from === null) return `${who} assigned it to ${person(entry.to)}`;
      return `${who} reassigned it from ${person(entry.from)} to ${person(entry.to)}`;
  }
};
