/**
 * The internal comment a support lead leaves when following up missed response targets from the
 * breaches list (decision 045): one per conversation, saying by how much each selected answer of
 * it missed its target and when — "Missed the first-response target by 12 min on 3 Nov — please
 * follow up" — then the lead's own words when given. Pure: the time zone and `now` come in.
 */

/** What the comment says of one missed answer. */
export interface MissedAnswer {
  readonly kind: "first_response" | "next_reply";
  readonly overMs: number;
  /** The target counted business hours. */
  readonly businessHours: boolean;
  /** When the answer was sent (epoch ms). */
  readonly at: number;
}

/** Most missed answers one comment names; the rest are counted. */
export const ANSWERS_NAMED = 5;

/** What the comment ends with when the lead writes nothing of their own. */
export const DEFAULT_FOLLOW_UP_ASK = "please follow up";

const KIND_WORDS: Readonly<Record<MissedAnswer["kind"], string>> = {
  first_response: "first-response",
  next_reply: "next-reply",
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How much over, in words a person reads at a glance: "under a minute", "12 min", "2 h 5 min", "3 days 4 h". Pure. */
export const overInWords = (ms: number): string => {
  const minutes = Math.round(Math.max(0, ms) / MINUTE);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const days = Math.floor(minutes / (DAY / MINUTE));
  const h = Math.floor((minutes % (DAY / MINUTE)) / 60);
  return h === 0 ? `${days} days` : `${days} days ${h} h`;
};

const dayFormats = new Map<string, Intl.DateTimeFormat>();
const dayParts = (instant: number, timeZone: string) => {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone, day: "numeric", month: "short", year: "numeric" });
    dayFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { day: parts.day ?? "", month: parts.month ?? "", year: parts.year ?? "" };
};

/** "3 Nov" in `timeZone`, with the year when it is not `now`'s ("28 Dec 2025"). Pure. */
export const dayInWords = (instant: number, timeZone: string, now: number): string => {
  const { day, month, year } = dayParts(instant, timeZone);
  return year === dayParts(now, timeZone).year ? `${day} ${month}` : `${day} ${month} ${year}`;
};

/** "the first-response target by 12 min on 3 Nov" (business hours said when they counted). Pure. */
const missedPart = (answer: MissedAnswer, timeZone: string, now: number): string =>
  `the ${KIND_WORDS[answer.kind]} target by ${overInWords(answer.overMs)}${answer.businessHours ? " of business hours" : ""} on ${dayInWords(answer.at, timeZone, now)}`;

/**
 * The comment for one conversation: its missed answers, oldest first (at most ANSWERS_NAMED, the
 * rest counted), then `note` (trimmed; the default ask when empty). "Missed the first-response target by 12 min on 3 Nov and the
 * next-reply target by 1 h 5 min on 4 Nov — please follow up". Pure.
 */
export const followUpComment = (answers: ReadonlyArray<MissedAnswer>, note: string, timeZone: string, now: number): string => {
  const ask = note.trim() === "" ? DEFAULT_FOLLOW_UP_ASK : note.trim();
  const sorted = [...answers].sort((a, b) => a.at - b.at);
  const parts = sorted.slice(0, ANSWERS_NAMED).map((a) => missedPart(a, timeZone, now));
  if (parts.length === 0) return ask;
  // A comment stays a line: past a few, the rest are counted.
  if (sorted.length > ANSWERS_NAMED) parts.push(`${sorted.length - ANSWERS_NAMED} more ${sorted.length - ANSWERS_NAMED === 1 ? "target" : "targets"}`);
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `Missed ${list} — ${ask}`;
};
