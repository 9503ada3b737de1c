/**
 * The inbox's words and times as people read them. Pure; safe on the client.
 */
import { dueState } from "../../../runtime/core/response-due.js";
import type { DueLevel, InboxView, Owed, TicketPriority, TicketStatus } from "../../runtime.server.js";
import { capitalise } from "../messages.js";
import { formatOpening } from "../../../flows/availability.js";

/** The views, in the order the inbox lists them. */
export const viewLabels: Readonly<Record<InboxView, string>> = {
  unassigned: "Unassigned",
  mine: "Assigned to me",
  all_open: "All open",
  overdue: "Overdue",
  due_soon: "Due soon",
  pending: "Pending",
  snoozed: "Snoozed",
  bot: "With a bot",
  closed: "Closed",
};
export const viewOrder: ReadonlyArray<InboxView> = ["unassigned", "mine", "all_open", "overdue", "due_soon", "pending", "snoozed", "bot", "closed"];

export const statusLabels: Readonly<Record<"bot" | "open" | "pending" | "closed", string>> = {
  bot: "With a bot",
  open: "Open",
  pending: "Pending",
  closed: "Closed",
};

export const ticketStatusLabels: Readonly<Record<TicketStatus, string>> = {
  new: "New",
  waiting_on_contact: "Waiting on contact",
  waiting_on_us: "Waiting on us",
  closed: "Closed",
};
export const ticketStatusOrder: ReadonlyArray<TicketStatus> = ["new", "waiting_on_us", "waiting_on_contact", "closed"];

export const ticketPriorityLabels: Readonly<Record<TicketPriority, string>> = {
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
};
export const ticketPriorityOrder: ReadonlyArray<TicketPriority> = ["urgent", "high", "normal", "low"];

/** "just now", "4 min", "2 h", "3 d": how long ago `then` was, short. Pure. */
export const shortDuration = (then: number, now: number): string => {
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
};

/** "waiting 12 min" / "waiting since just now" for a visitor who waits since `since`. Pure. */
export const waitingLabel = (since: number, now: number): string => {
  const d = shortDuration(since, now);
  return d === "just now" ? "waiting since just now" : `waiting ${d}`;
};

/** "Sales is closed until Mon 30 November at 09:00 (Europe/Berlin)", or "Sales's hours never open". Pure apart from time-zone data. */
const closedUntilWords = (team: string, closed: { readonly opensAt: number | null; readonly timezone: string }): string =>
  closed.opensAt === null ? `${team}'s hours never open` : `${team} is closed until ${formatOpening(closed.timezone, closed.opensAt)} (${closed.timezone})`;

/**
 * A queued list row's tag: "queued", or "queued · Sales closed" with, as its title, when the team
 * opens on its clock, while the team's hours have it closed (decision 048). Pure apart from time-zone data.
 */
export const queuedTag = (
  team: { readonly name: string } | null,
  closed: { readonly opensAt: number | null; readonly timezone: string } | undefined,
): { readonly text: string; readonly title?: string } =>
  team === null || closed === undefined
    ? { text: "queued" }
    : { text: `queued · ${team.name} closed`, title: closedUntilWords(team.name, closed) };

/**
 * The handoff marker's line for a handoff made while its team was closed by its hours (decision
 * 048): "Handed off while Sales was closed (opens Mon 30 November at 09:00, Europe/Berlin)". The
 * team is named as it is now; a team since deleted is "the team". Pure apart from time-zone data.
 */
export const handoffClosedLine = (closed: { readonly team: string | null; readonly opensAt: number | null; readonly timezone: string }): string => {
  const team = closed.team ?? "the team";
  return closed.opensAt === null
    ? `Handed off while ${team} was closed (its hours never open)`
    : `Handed off while ${team} was closed (opens ${formatOpening(closed.timezone, closed.opensAt)}, ${closed.timezone})`;
};

/**
 * Where a queued conversation stands, after its inbox and channel: nothing when it is not queued;
 * its team's next opening when the team's hours have it closed (decision 048); else that it waits
 * for an available agent. Pure apart from reading time-zone data.
 */
export const queueLine = (
  conversation: { readonly queued: boolean; readonly team: { readonly name: string } | null },
  teamClosed: { readonly opensAt: number | null; readonly timezone: string } | null | undefined,
): string => {
  if (!conversation.queued) return "";
  if (!teamClosed || conversation.team === null) return " · waiting in the queue for an available agent";
  return ` · waiting in the queue: ${closedUntilWords(conversation.team.name, teamClosed)}`;
};

/**
 * A waiting conversation's due state against its inbox's response target: "due in 25 min",
 * "due in 4 min" (soon: under 20% of the target left), "overdue 12 min"; `level` for the colour
 * and `detail` saying which target (and whose hours, when a team's own count), for a title and
 * screen readers (not colour only). Pure.
 */
export const dueLabel = (owed: Owed, now: number): { readonly level: DueLevel; readonly text: string; readonly detail: string } => {
  const state = dueState(owed, now);
  const span = shortDuration(0, state.ms);
  const what = owed.kind === "first_response" ? "First response" : "Next reply";
  const counted = shortDuration(0, owed.targetMs).replace("just now", "under 1 min");
  // Whose hours count, when they are the team's own rather than the workspace's (decision 048).
  const target = owed.teamHours === undefined ? counted : `${counted} in ${owed.teamHours}'s hours`;
  if (state.level === "overdue") {
    return { level: "overdue", text: span === "just now" ? "overdue" : `overdue ${span}`, detail: `${what} overdue (target ${target})` };
  }
  return {
    level: state.level,
    text: span === "just now" ? "due in under 1 min" : `due in ${span}`,
    detail: `${what} due${state.level === "soon" ? " soon" : ""} (target ${target})`,
  };
};

const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat("en", { timeStyle: "short" });

/** A timestamp for the thread: the time today, else date and time (the viewer's time zone). Pure. */
export const messageTime = (at: number, now: number): string =>
  new Date(at).toDateString() === new Date(now).toDateString() ? timeOnly.format(at) : dateTime.format(at);

/** Date and time, for facts in the sidebar. Pure. */
export const fullTime = (at: number): string => dateTime.format(at);

/** A URL shown short: host and path, no scheme or query. Pure. */
export const shortUrl = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return url;
  }
};

const languageNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "language" }) : undefined;

/** "German (de)" for a language tag; the tag itself when unknown. Pure. */
export const languageLabel = (tag: string): string => {
  try {
    const name = languageNames?.of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
};

/**
 * The words for a queued conversation held for a speaker of `language` (a primary tag), before its
 * "until" time: the list row's tag and the thread's queue line (decision 055). Pure.
 */
export const languageWaitWords = (language: string): { readonly tag: string; readonly line: string; readonly title: string } => {
  const label = languageLabel(language);
  const name = label === language ? language : label.slice(0, label.length - language.length - 3);
  return {
    tag: `queued · for a ${name} speaker until`,
    line: ` · waiting in the queue for an agent who speaks ${label} until`,
    title: `Only an agent who speaks ${label} takes it until then; after that, anyone available does.`,
  };
};

/** The label of a collected field: "contact.email" → "Email", "company_size" → "Company size". Pure. */
export const fieldLabel = (key: string): string => {
  const last = key.split(".").pop() ?? key;
  const words = last.replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim().toLowerCase();
  return capitalise(words);
};
