/** The chat heading: who the visitor is talking to. */
import type { ChatStrings } from "../i18n/en.js";
import type { Chatflow } from "./types.js";

/** Up to two capital initials from a person's name ("Ada Lovelace" → "AL"); "?" for none. Pure. */
export const initials = (name: string): string => {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = Array.from(words[0])[0] ?? "";
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] ?? "" : "";
  return (first + last).toLocaleUpperCase();
};

/**
 * The heading's title: the flow's custom name, else the agents' names, else the branding
 * name, else `fallback`. Pure.
 */
export const headingTitle = (chatflow: Chatflow, fallback: string): string => {
  const { name, avatars } = chatflow.display.heading;
  if (name.trim() !== "") return name.trim();
  const names = avatars.map((avatar) => avatar.name.trim()).filter(Boolean);
  if (names.length > 0) return names.length > 3 ? `${names.slice(0, 3).join(", ")} +${names.length - 3}` : names.join(", ");
  return chatflow.branding.name?.trim() || fallback;
};

/** The server's buckets (runtime/core/reply-time.ts), and at the same place the strings that say them. */
const REPLY_BUCKETS: ReadonlyArray<unknown> = ["few_minutes", "under_15_minutes", "under_an_hour", "few_hours", "within_a_day"];
const REPLY_LINES = ["replyFewMinutes", "replyUnder15", "replyUnderHour", "replyFewHours", "replyDay"] as const;

/**
 * The quiet line under the heading saying how soon the team usually replies, or null when the
 * config sends none (off, away, not enough replies, an older server) or a bucket this widget
 * does not know. Pure.
 */
export const replyTimeLine = (strings: ChatStrings, chatflow: Chatflow): string | null => {
  const index = REPLY_BUCKETS.indexOf(chatflow.replyTime?.bucket);
  return index < 0 ? null : strings[REPLY_LINES[index]!];
};
