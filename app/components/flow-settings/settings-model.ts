/**
 * The settings tabs' model: the draft's settings are kept as loosely typed JSON (a half-typed
 * value must survive autosave), read through the schema's defaults, written by path, and
 * checked with the very Settings schema the compiler and the server decode with — so a field
 * shows the same message here as the diagnostics and the publish check. Pure; browser-safe.
 */
import { Either, Schema as S } from "effect";
import { decodeWith, formatPath } from "../../../flows/decode.js";
import { FlowSpec, Settings, Targeting, Availability, type Visit } from "../../../flows/index.js";
import { matchTargeting, type TargetingMatch } from "../../../flows/targeting.js";
import { awayAt, formatOpening, specialDayAt, zonedTimeToInstant } from "../../../flows/availability.js";
import { formatClosedDate, formatHours, formatSpecialHours } from "../reports/format.js";
import type { Device } from "../../../flows/flow-spec.js";

export type Path = ReadonlyArray<string | number>;

/** Settings with every default filled in: what an empty `settings: {}` means. */
export const DEFAULT_SETTINGS: Settings = S.decodeUnknownSync(Settings)({});

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The value at `path`, or undefined where the path runs out. Pure. */
export const getIn = (value: unknown, path: Path): unknown => {
  let current = value;
  for (const key of path) {
    if (typeof key === "number" ? !Array.isArray(current) : !isRecord(current)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
};

/** A copy of `value` with `next` at `path` (objects and arrays made on the way; undefined removes an object key). Pure. */
export const setIn = (value: unknown, path: Path, next: unknown): unknown => {
  if (path.length === 0) return next;
  const [key, ...rest] = path as [string | number, ...Array<string | number>];
  if (typeof key === "number") {
    const list = Array.isArray(value) ? [...value] : [];
    list[key] = setIn(list[key], rest, next);
    return list;
  }
  const record: Record<string, unknown> = isRecord(value) ? { ...value } : {};
  const child = setIn(record[key], rest, next);
  if (child === undefined) delete record[key];
  else record[key] = child;
  return record;
};

/** The value the flow uses at `path`: the draft's own, else the default. Pure. */
export const settingAt = (raw: unknown, path: Path): unknown => {
  const own = getIn(raw, path);
  return own === undefined ? getIn(DEFAULT_SETTINGS, path) : own;
};

/**
 * `raw` with `next` at `path`. Every object on the way that the draft does not hold yet is
 * first filled with its defaults, so writing one field never leaves its siblings missing
 * (e.g. adding a hide rule keeps the default "all pages" show rule). Pure.
 */
export const updateSetting = (raw: unknown, path: Path, next: unknown): unknown => {
  let out = isRecord(raw) ? raw : {};
  for (let depth = 1; depth < path.length; depth++) {
    const prefix = path.slice(0, depth);
    if (getIn(out, prefix) === undefined) {
      const fallback = getIn(DEFAULT_SETTINGS, prefix);
      if (fallback !== undefined) out = setIn(out, prefix, structuredClone(fallback)) as Record<string, unknown>;
    }
  }
  return setIn(out, path, next);
};

/** Every problem of the settings by its path (`targeting.show[0].value`), first message each. Pure. */
export const settingsIssues = (raw: unknown): ReadonlyMap<string, string> => {
  const decoded = decodeWith(Settings)(raw ?? {});
  const out = new Map<string, string>();
  if (Either.isLeft(decoded)) for (const issue of decoded.left) if (!out.has(issue.path)) out.set(issue.path, issue.message);
  return out;
};

/** The message for the field at `path`, if the schema has one. Pure. */
export const issueAt = (issues: ReadonlyMap<string, string>, path: Path): string | undefined => issues.get(formatPath(path));

/** Messages for paths inside `path` (a list's items), for a summary under the list. Pure. */
export const issuesUnder = (issues: ReadonlyMap<string, string>, path: Path): ReadonlyArray<readonly [string, string]> => {
  const prefix = formatPath(path);
  return [...issues].filter(([p]) => p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`));
};

const decodeLanguage = decodeWith(S.Struct({ language: FlowSpec.fields.language }));

/** The message for a flow language tag, or undefined when it is one. Pure. */
export const languageIssue = (language: string): string | undefined => {
  const decoded = decodeLanguage({ language });
  return Either.isLeft(decoded) ? decoded.left[0]?.message : undefined;
};

/** A number field's text as the value to store: a number when it reads as one, the text itself otherwise (so the schema names the problem), undefined when empty. Pure. */
export const numberFromField = (text: string): number | string | undefined => {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
};

/** What the "test a URL" box asks about. */
export interface UrlTest {
  readonly url: string;
  readonly device: Device;
  readonly knownContact: boolean;
  /** Comma-separated browser languages, most preferred first. */
  readonly languages: string;
}

/**
 * Whether this flow's targeting would show it on the tested visit, and which rule decided;
 * Left with a message when the targeting itself has errors or the URL is empty. Pure.
 */
export const testUrl = (raw: unknown, test: UrlTest, now = Date.now()): Either.Either<TargetingMatch, string> => {
  if (test.url.trim() === "") return Either.left("Type a page address to test, e.g. https://example.com/pricing.");
  const targeting = decodeWith(Targeting)(settingAt(raw, ["targeting"]));
  if (Either.isLeft(targeting)) return Either.left("Fix the targeting rules marked above first.");
  const visit: Visit = {
    url: test.url.trim(),
    device: test.device,
    languages: test.languages
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean),
    knownContact: test.knownContact,
    now,
  };
  return Either.right(matchTargeting(targeting.right, visit));
};

/** What the "check a moment" box answers: open or away then, and why. */
export interface MomentCheck {
  readonly open: boolean;
  readonly reason: string;
}

/**
 * Whether the flow is open at `local` ("YYYY-MM-DDTHH:MM", a datetime-local value) on the wall
 * clock of its own time zone, and why: always available, a closed date (named), inside the
 * hours, or outside them and when they open next. Left with a message for an empty or partial
 * value. Pure apart from reading the platform's time-zone data.
 */
export const checkMoment = (availability: Availability, local: string, team?: string): Either.Either<MomentCheck, string> => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return Either.left("Pick a day and a time to check.");
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (availability.mode !== "business_hours") return Either.right({ open: true, reason: "Open: the flow is always available." });
  const tz = availability.timezone;
  const hours = team === undefined ? "the business hours" : `the hours of team ${team}`;
  const instant = zonedTimeToInstant(tz, y, mo, d, h * 60 + mi);
  const date = local.slice(0, 10);
  const away = awayAt(availability, instant);
  const whose = team === undefined ? "" : ` of team ${team}`;
  // A special day (decision 051): its own hours replace the weekly ones on that date.
  const special = (day: { readonly name?: string; readonly hours?: ReadonlyArray<{ readonly from: string; readonly to: string }> }) =>
    `${formatClosedDate({ date, yearly: false })} keeps special hours${day.name ? ` (${day.name})` : ""}${whose}, ${formatSpecialHours(day.hours ?? [])}`;
  if (away === null) {
    const day = specialDayAt(availability, instant);
    return Either.right({ open: true, reason: day === undefined ? `Open: inside ${hours}.` : `Open: ${special(day)}.` });
  }
  if (away.closed !== undefined) {
    return Either.right({ open: false, reason: `Away: ${formatClosedDate({ date, yearly: false })} is a closed date${away.closed.name ? ` (${away.closed.name})` : ""}${whose}.` });
  }
  if (away.special !== undefined) {
    const next = away.opensAt === null ? "" : `; opens again ${formatOpening(tz, away.opensAt)} (${tz})`;
    return Either.right({ open: false, reason: `Away: ${special(away.special)}${next}.` });
  }
  if (away.opensAt === null) return Either.right({ open: false, reason: `Away: ${hours} never open.` });
  return Either.right({ open: false, reason: `Away: outside ${hours}; opens again ${formatOpening(tz, away.opensAt)} (${tz}).` });
};

/**
 * The compiler's objection to the team a flow follows, as the field shows it: none chosen, or one
 * that is not among the workspace's teams; undefined when the flow follows no team or a known one. Pure.
 */
export const followedTeamIssue = (raw: unknown, teams: ReadonlyArray<{ readonly id: string }>): string | undefined => {
  if (settingAt(raw, ["availability", "mode"]) !== "team") return undefined;
  const teamId = settingAt(raw, ["availability", "teamId"]);
  if (typeof teamId !== "string" || teamId === "") return "choose the team whose hours the chat keeps";
  return teams.some((t) => t.id === teamId) ? undefined : `the team "${teamId}" does not exist any more; choose one of your teams`;
};

/** A team's hours as the builder is given them (Chatflows.teamCalendars). */
export interface TeamCalendarView {
  readonly teamId: string;
  readonly name: string;
  readonly source: "none" | "workspace" | "own";
  readonly schedule: Availability | null;
}

/**
 * What following a team's hours means for the chat, in one line: the team's weekly hours, zone
 * and closed dates, or why the chat is always open (no hours, or no such team). Pure.
 */
export const teamHoursLine = (teamId: string, teams: ReadonlyArray<TeamCalendarView>): string => {
  const team = teams.find((t) => t.teamId === teamId);
  if (team === undefined) return "This team does not exist any more: until you choose another, the chat is always open.";
  const schedule = team.schedule;
  if (schedule === null) {
    return team.source === "workspace"
      ? `${team.name} follows the workspace's hours, which are not set: the chat is always open.`
      : `${team.name} keeps no hours of its own: the chat is always open.`;
  }
  const closed = schedule.closedDates.length;
  const whose = team.source === "workspace" ? " (the workspace's hours)" : "";
  return `${team.name}${whose}: ${formatHours(schedule.hours)} (${schedule.timezone})${closed > 0 ? `; ${closed} closed date${closed === 1 ? "" : "s"}` : ""}.`;
};

/** The decoded availability, when the draft's is valid. Pure. */
export const availabilityOf = (raw: unknown): Availability | undefined => {
  const decoded = decodeWith(Availability)(settingAt(raw, ["availability"]));
  return Either.isRight(decoded) ? decoded.right : undefined;
};
