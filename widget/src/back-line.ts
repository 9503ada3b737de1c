/**
 * The away view's "We're back on …" line: when the flow's hours open again (`opensAt` in the
 * config, an ISO instant), on the visitor's own clock and in the widget's language. Absent when
 * the server does not know (nobody is available though the hours are open, hours that never
 * open, an older server) or sends something that is not an instant to come.
 */
import type { ChatStrings } from "../i18n/en.js";
import { format } from "./i18n.js";

/**
 * The sentence `template` (with a `{name}` slot) says for the closed date the team is off for,
 * or null when the server names none. The name is the team's text: the view puts it in a text
 * node, never markup; it is cut to 100 characters as the server stores it. Pure.
 */
export const closedForLine = (template: string, name: unknown): string | null =>
  typeof name === "string" && name.trim() !== "" ? format(template, { name: name.trim().slice(0, 100) }) : null;

/** Further ahead than this, a date says nothing useful to a visitor on a page. */
const YEAR_MS = 366 * 86_400_000;

/**
 * The sentence `template` (with a `{when}` slot) says for `opensAt`, or null when there is
 * nothing to say. `now` and `timeZone` are parameters so tests pin them; the widget passes the
 * visitor's. Pure.
 */
export const backLine = (template: string, opensAt: unknown, locale: string, now: number, timeZone?: string): string | null => {
  if (typeof opensAt !== "string") return null;
  const at = Date.parse(opensAt);
  if (!Number.isFinite(at) || at <= now || at - now > YEAR_MS) return null;
  const when = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit", ...(timeZone ? { timeZone } : {}) }).format(at);
  return format(template, { when });
};

/** A special day's hours end within a day; anything later is not today's closing. */
const DAY_MS = 86_400_000;

/**
 * The heading's "Open today until 1:00 PM (Christmas Eve)" while a special day's hours keep the
 * chat open (`closesAt`, `specialDay` in the config; decision 053), on the visitor's clock — with
 * the weekday when the closing is not on the visitor's today. Null when the server sends no
 * instant to come within a day. The name is the team's text, for a text node. Pure.
 */
export const closesLine = (strings: Pick<ChatStrings, "openUntil" | "openUntilDay" | "locale">, closesAt: unknown, specialDay: unknown, now: number, timeZone?: string): string | null => {
  if (typeof closesAt !== "string") return null;
  const at = Date.parse(closesAt);
  if (!Number.isFinite(at) || at <= now || at - now > DAY_MS) return null;
  const zone = timeZone ? { timeZone } : {};
  const dateOf = (instant: number) => new Intl.DateTimeFormat("en-CA", zone).format(instant);
  const today = dateOf(at) === dateOf(now);
  const time = new Intl.DateTimeFormat(strings.locale, { ...(today ? {} : { weekday: "short" }), hour: "numeric", minute: "2-digit", ...zone }).format(at);
  const line = format(today ? strings.openUntil : strings.openUntilDay, { time });
  return typeof specialDay === "string" && specialDay.trim() !== "" ? `${line} (${specialDay.trim().slice(0, 100)})` : line;
};
