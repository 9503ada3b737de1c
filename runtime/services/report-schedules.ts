/**
 * Report emails (decision 056): the team report — and, on request, the bot overview — mailed to
 * chosen users of the workspace every day or every week, at an hour of the workspace's clock,
 * covering the whole local days before the run (runtime/core/report-schedule.ts).
 *
 * - A schedule is a row of `report_schedules` (migration 51): its cadence, the team report's
 *   filters (inbox, team, channel, business hours), its recipients — users who may read reports,
 *   by id, never a typed address, so it cannot mail outsiders — and the team email channel that
 *   sends it (null: the workspace's first that can). Each add, change, pause, resume and delete
 *   is one audit line, written with the change.
 * - The figures are the Reports service's own (`team`, `botOverview`, for the period and the one
 *   before it); the mail's words and its CSV come from a `ReportMailRenderer` the server hands
 *   the layer (the app's report tables, app/components/reports/report-mail.ts), so the
 *   attachment is the very CSV of the page's download.
 * - One timer is armed at the earliest due time (`COALESCE(retry_at, next_run_at)`), re-armed
 *   after each pass and each change, with a slow pass as a backstop; the layer's finalizer
 *   clears it. A run computes, sends, then records the outcome — sent, failed with the relay's
 *   reason, or skipped with why — and the next run in ONE statement: a restart neither skips a
 *   period nor sends a recorded one again. A crash between the relay's acceptance and that
 *   record sends the period again after the restart, under the same Message-ID (schedule and
 *   period), which mail programs show once. A relay's temporary failure is retried for the same
 *   period with the outbox's backoff. A run missed while the server was down runs once, for the
 *   latest period, at start — not once per missed period.
 * - At shutdown (the layer's finalizer, before the database closes) the runs drain as the
 *   outbox's do (decision 042, send-drain.ts): no pass, run or Send now starts any more, and a
 *   run under way gets up to SHUTDOWN_WAIT_SECONDS to be answered and recorded, so a mail the
 *   relay took is not sent again after the restart. A run still going then is let go: its
 *   schedule stays due, with no try counted, and runs after the restart.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { decodeWith } from "../../flows/decode.js";
import {
  cadenceText,
  latestRunAtOrBefore,
  nextRunAfter,
  periodOfRun,
  previousPeriod,
  REPORT_FREQUENCIES,
  type ReportCadence,
  type ReportFrequency,
  type ReportPeriod,
} from "../core/report-schedule.js";
import { auditActorAs, recordAudit } from "./audit-log.js";
import { parseJsonObject } from "./channels.js";
import * as wallClock from "./clock.js";
import { AppConfig } from "./config.js";
import { Database, type DatabaseShape } from "./database.js";
import { DELIVERY_SHUTDOWN_WAIT_MS, SendFailed } from "./deliveries.js";
import { EmailChannel, sendsMail, type EmailChannelShape, type NoSendingChannel } from "./email-channel.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { settleSend } from "./follow-ups.js";
import { newId } from "./ids.js";
import type { Actor } from "./inbox-access.js";
import { makeTimedPassLoop } from "./pass-loop.js";
import { drainedLoop, makeSendDrain } from "./send-drain.js";
import { Reports, type BotOverview, type ReportQuery, type ReportsShape, type TeamReport } from "./reports.js";

/** The roles that read reports, and so may keep and receive report emails (app/roles.ts `access.reports`). */
export const REPORT_READER_ROLES: ReadonlyArray<string> = ["admin", "analyst"];
/** Most recipients of one schedule. */
export const MAX_REPORT_RECIPIENTS = 50;
/** Most schedules a workspace keeps. */
export const MAX_REPORT_SCHEDULES = 100;
export const MAX_SCHEDULE_NAME = 100;
/** How often the loop looks whatever the timer says (a schedule written by another process). */
export const REPORT_SCHEDULE_BACKSTOP_MS = 60_000;
const PASS_LIMIT = 20;
const MAX_REASON = 500;

// ---------------------------------------------------------------------------------------------
// Input

const WholeBetween = (min: number, max: number, message: string) =>
  S.Union(S.Number, S.NumberFromString)
    .pipe(S.filter((n) => (Number.isInteger(n) && n >= min && n <= max ? undefined : message)))
    .annotations({ message: () => ({ message, override: true }) });

/** An optional id of a filter or channel: "" and absence both mean none. */
const OptionalId = (what: string) =>
  S.optional(
    S.String.pipe(
      S.filter((v) => (v === "" || /^[A-Za-z0-9_.:-]{1,100}$/.test(v) ? undefined : `expected ${what}'s id`)),
    ).annotations({ message: () => ({ message: `expected ${what}'s id`, override: true }) }),
  );

/** On/off as a form (checkbox "on", or absent) or JSON (true/false) sends it. */
const Flag = S.optional(
  S.Union(S.Boolean, S.Literal("on", "true", "false", "")).annotations({ message: () => ({ message: "expected true or false", override: true }) }),
);
const flagOf = (value: boolean | string | undefined): boolean => value === true || value === "on" || value === "true";

/** A schedule as the Reports page's form and the API send it. */
export const ReportScheduleInput = S.Struct({
  name: S.Trim.pipe(
    S.minLength(1, { message: () => "give the report email a name" }),
    S.maxLength(MAX_SCHEDULE_NAME, { message: () => `a name is at most ${MAX_SCHEDULE_NAME} characters` }),
  ).annotations({ message: () => ({ message: "give the report email a name", override: true }) }),
  frequency: S.Literal(...REPORT_FREQUENCIES).annotations({ message: () => ({ message: "expected daily or weekly", override: true }) }),
  /** 1 Monday … 7 Sunday; weekly schedules only (daily ones ignore it). */
  weekday: S.optional(WholeBetween(1, 7, "expected a weekday, 1 (Monday) to 7 (Sunday)")),
  hour: WholeBetween(0, 23, "expected an hour from 0 to 23"),
  inbox: OptionalId("an inbox"),
  team: OptionalId("a team"),
  channel: OptionalId("a channel"),
  hours: S.optional(S.Literal("business", "").annotations({ message: () => ({ message: "expected business (or nothing for wall-clock time)", override: true }) })),
  includeBots: Flag,
  paused: Flag,
  recipients: S.Array(S.String)
    .pipe(
      S.minItems(1, { message: () => "choose at least one person to send it to" }),
      S.maxItems(MAX_REPORT_RECIPIENTS, { message: () => `at most ${MAX_REPORT_RECIPIENTS} people` }),
    )
    .annotations({ message: () => ({ message: "choose at least one person to send it to", override: true }) }),
  /** The team email channel that sends it; "" or absent: the first that can. */
  sendChannel: OptionalId("a team email channel"),
});
export type ReportScheduleInput = typeof ReportScheduleInput.Encoded;
const decodeInput = decodeWith(ReportScheduleInput);

/** The team report's filters a schedule keeps. */
export interface ReportScheduleFilters {
  readonly inbox?: string;
  readonly team?: string;
  readonly channel?: string;
  readonly hours?: "business";
}

// ---------------------------------------------------------------------------------------------
// What the service shows

export type RunStatus = "sent" | "failed" | "skipped";

export interface ReportSchedule {
  readonly id: string;
  readonly name: string;
  readonly frequency: ReportFrequency;
  readonly weekday: number;
  readonly hour: number;
  /** "Every Monday at 08:00". */
  readonly cadence: string;
  readonly filters: ReportScheduleFilters;
  readonly includeBots: boolean;
  readonly recipients: ReadonlyArray<{ readonly id: string; readonly name: string; readonly email: string; readonly canRead: boolean }>;
  /** The chosen team email channel; null: the first that can send. */
  readonly sendChannel: { readonly id: string; readonly name: string } | null;
  readonly paused: boolean;
  /** When it runs next; null while paused. */
  readonly nextRunAt: number | null;
  /** A retry after a relay's temporary failure: when, how many tries so far, and the relay's answer. */
  readonly retry: { readonly at: number; readonly attempts: number; readonly error: string | null } | null;
  readonly last: { readonly status: RunStatus; readonly reason: string | null; readonly at: number; readonly period: string | null } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What the form offers: who may receive reports, and the team email channels. */
export interface ReportScheduleOptions {
  readonly people: ReadonlyArray<{ readonly id: string; readonly name: string; readonly email: string; readonly role: string }>;
  readonly sendChannels: ReadonlyArray<{ readonly id: string; readonly name: string; readonly canSend: boolean }>;
}

/** What one run (or a Send now) did. */
export interface RunOutcome {
  readonly status: RunStatus | "retrying";
  readonly reason: string | null;
  readonly period: ReportPeriod;
}

// ---------------------------------------------------------------------------------------------
// The mail, written by the app's report tables

/** Everything a report email says, computed by the Reports service. */
export interface ReportMailInput {
  readonly scheduleName: string;
  readonly cadence: string;
  readonly frequency: ReportFrequency;
  readonly timezone: string;
  readonly period: ReportPeriod;
  readonly previous: ReportPeriod;
  readonly team: TeamReport;
  readonly previousTeam: TeamReport;
  readonly bots: BotOverview | null;
  readonly previousBots: BotOverview | null;
  /** The filters by name ("Inbox: Support"), for the mail's first line. */
  readonly filterNames: ReadonlyArray<string>;
  /** The team report on PUBLIC_URL with the same range and filters. */
  readonly link: string;
}

export interface ReportMailRendered {
  readonly subject: string;
  readonly text: string;
  /** Every text in it escaped. */
  readonly html: string;
  readonly csv: { readonly filename: string; readonly text: string };
}

/** Writes a report email from its figures (given to the layer by the server: the app's report tables). */
export interface ReportMailRendererShape {
  readonly render: (input: ReportMailInput) => ReportMailRendered;
}
export class ReportMailRenderer extends Context.Tag("ReportMailRenderer")<ReportMailRenderer, ReportMailRendererShape>() {}

// ---------------------------------------------------------------------------------------------
// The service

export interface ReportSchedulesShape {
  /** Every schedule, by name (report readers). */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<ReportSchedule>, Forbidden>;
  /** The form's choices (report readers). */
  readonly options: (actor: Actor) => Effect.Effect<ReportScheduleOptions, Forbidden>;
  /** Adds one; InvalidInput with the field's path and nothing stored when the input is wrong. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<ReportSchedule, Forbidden | InvalidInput>;
  /** Replaces one's settings (its next run is worked out again); NotFound for an unknown id. */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<ReportSchedule, Forbidden | InvalidInput | NotFound>;
  /** Pauses (no runs, no retry) or resumes (the next run from now) one. */
  readonly setPaused: (actor: Actor, id: string, paused: boolean) => Effect.Effect<ReportSchedule, Forbidden | NotFound>;
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
  /**
   * Sends the latest whole period now, as a test (paused ones too): its outcome is recorded as
   * the last one, the next run is left as it is, and a temporary failure is not retried.
   */
  readonly sendNow: (actor: Actor, id: string) => Effect.Effect<RunOutcome, Forbidden | NotFound>;
  /** Runs every due schedule once; resolves with their outcomes. */
  readonly runDue: () => Effect.Effect<ReadonlyArray<RunOutcome>>;
  /** Starts the timer and the backstop pass (a first pass at once: missed runs); returns its stop. Starts nothing once draining. */
  readonly start: (intervalMs?: number) => () => void;
  readonly stop: () => void;
  /**
   * Shutdown: stops the loop, starts no run or Send now, waits up to `waitMs` for the runs under
   * way to be recorded, then lets go of the rest (their schedules stay due); how many finished and
   * how many were let go.
   */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
  /** The instant the timer is armed for; null when none is. */
  readonly nextWakeAt: () => number | null;
}

export class ReportSchedules extends Context.Tag("ReportSchedules")<ReportSchedules, ReportSchedulesShape>() {}

interface ScheduleRow {
  readonly id: string;
  readonly name: string;
  readonly frequency: ReportFrequency;
  readonly weekday: number;
  readonly hour: number;
  readonly filters: string;
  readonly include_bots: number;
  readonly recipients: string;
  readonly channel_id: string | null;
  readonly paused: number;
  readonly next_run_at: number | null;
  readonly retry_at: number | null;
  readonly attempts: number;
  readonly last_status: RunStatus | null;
  readonly last_reason: string | null;
  readonly last_error: string | null;
  readonly last_run_at: number | null;
  readonly last_period: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

const cadenceOf = (row: Pick<ScheduleRow, "frequency" | "weekday" | "hour">): ReportCadence => ({ frequency: row.frequency, weekday: row.weekday, hour: row.hour });
const periodKey = (period: ReportPeriod): string => (period.from === period.to ? period.from : `${period.from}..${period.to}`);
const filtersOf = (json: string): ReportScheduleFilters => {
  const stored = parseJsonObject(json);
  const out: Record<string, string> = {};
  for (const key of ["inbox", "team", "channel"] as const) if (typeof stored[key] === "string") out[key] = stored[key] as string;
  if (stored.hours === "business") out.hours = "business";
  return out;
};
const idsOf = (json: string): ReadonlyArray<string> => {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
};

export interface ReportSchedulesDeps {
  readonly db: DatabaseShape;
  readonly reports: ReportsShape;
  readonly email: Pick<EmailChannelShape, "sendReport">;
  readonly renderer: ReportMailRendererShape;
  /** The app's public URL without a trailing slash (the mail's link). */
  readonly publicUrl: string;
  /** The clock (tests move it); the runtime's wall clock by default. */
  readonly now?: () => number;
}

/** The service over its Database, Reports, EmailChannel and renderer (exported for tests). */
export const makeReportSchedules = (deps: ReportSchedulesDeps): ReportSchedulesShape => {
  const { db, reports, email, renderer, publicUrl } = deps;
  const clock = deps.now ?? wallClock.now;
  const prepare = db.prepare;

  const readerOnly = (actor: Actor) =>
    REPORT_READER_ROLES.includes(actor.role) ? Effect.void : Effect.fail(new Forbidden({ message: "Only admins and analysts can manage report emails." }));

  const timezone = () => Effect.runSync(reports.timezone());

  const rowOf = (id: string) => prepare("SELECT * FROM report_schedules WHERE id = ?").get(id) as ScheduleRow | undefined;

  const toSchedule = (row: ScheduleRow): ReportSchedule => {
    const ids = idsOf(row.recipients);
    const people = new Map(
      (
        prepare(
          `SELECT id, COALESCE(NULLIF(display_name, ''), name) AS name, email, role, disabled_at FROM users WHERE id IN (SELECT value FROM json_each(?))`,
        ).all(row.recipients) as Array<{ id: string; name: string; email: string; role: string; disabled_at: number | null }>
      ).map((p) => [p.id, p]),
    );
    const channel =
      row.channel_id === null ? null : ((prepare("SELECT id, name FROM channels WHERE id = ?").get(row.channel_id) as { id: string; name: string } | undefined) ?? null);
    return {
      id: row.id,
      name: row.name,
      frequency: row.frequency,
      weekday: row.weekday,
      hour: row.hour,
      cadence: cadenceText(cadenceOf(row)),
      filters: filtersOf(row.filters),
      includeBots: row.include_bots === 1,
      recipients: ids.flatMap((id) => {
        const p = people.get(id);
        return p === undefined ? [] : [{ id, name: p.name, email: p.email, canRead: p.disabled_at === null && REPORT_READER_ROLES.includes(p.role) }];
      }),
      sendChannel: channel,
      paused: row.paused === 1,
      nextRunAt: row.next_run_at,
      retry: row.attempts > 0 && row.retry_at !== null ? { at: row.retry_at, attempts: row.attempts, error: row.last_error } : null,
      last: row.last_status === null || row.last_run_at === null ? null : { status: row.last_status, reason: row.last_reason, at: row.last_run_at, period: row.last_period },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  };

  const options: ReportSchedulesShape["options"] = Effect.fn("ReportSchedules.options")(function* (actor) {
    yield* readerOnly(actor);
    const people = prepare(
      `SELECT id, COALESCE(NULLIF(display_name, ''), name) AS name, email, role FROM users
        WHERE disabled_at IS NULL AND role IN (SELECT value FROM json_each(?)) ORDER BY name COLLATE NOCASE, id`,
    ).all(JSON.stringify(REPORT_READER_ROLES)) as Array<{ id: string; name: string; email: string; role: string }>;
    const channels = prepare("SELECT id, name, config FROM channels WHERE kind = 'email' ORDER BY created_at, id").all() as Array<{ id: string; name: string; config: string }>;
    return { people, sendChannels: channels.map((c) => ({ id: c.id, name: c.name, canSend: sendsMail(parseJsonObject(c.config)) })) };
  });

  const list: ReportSchedulesShape["list"] = Effect.fn("ReportSchedules.list")(function* (actor) {
    yield* readerOnly(actor);
    return (prepare("SELECT * FROM report_schedules ORDER BY name COLLATE NOCASE, id").all() as ScheduleRow[]).map(toSchedule);
  });

  /** The input, decoded and checked against what exists now (every issue at its field). */
  const validate = (input: unknown) =>
    Effect.suspend(() => {
      const decoded = decodeInput(input);
      if (Either.isLeft(decoded)) return Effect.fail(new InvalidInput({ issues: decoded.left }));
      const v = decoded.right;
      const issues: Array<{ path: string; message: string }> = [];
      if (v.frequency === "weekly" && v.weekday === undefined) issues.push({ path: "weekday", message: "a weekly report email needs its weekday" });
      const exists = (table: string, id: string, where = "") => prepare(`SELECT 1 FROM ${table} WHERE id = ?${where}`).get(id) !== undefined;
      if (v.inbox && !exists("inboxes", v.inbox)) issues.push({ path: "inbox", message: "no inbox has this id" });
      if (v.team && !exists("teams", v.team)) issues.push({ path: "team", message: "no team has this id" });
      if (v.channel && !exists("channels", v.channel)) issues.push({ path: "channel", message: "no channel has this id" });
      if (v.sendChannel && !exists("channels", v.sendChannel, " AND kind = 'email'")) issues.push({ path: "sendChannel", message: "no team email channel has this id" });
      const recipients = [...new Set(v.recipients)];
      const readers = new Set(
        (
          prepare(
            `SELECT id FROM users WHERE disabled_at IS NULL AND role IN (SELECT value FROM json_each(?)) AND id IN (SELECT value FROM json_each(?))`,
          ).all(JSON.stringify(REPORT_READER_ROLES), JSON.stringify(recipients)) as Array<{ id: string }>
        ).map((r) => r.id),
      );
      recipients.forEach((id, i) => {
        if (!readers.has(id)) issues.push({ path: `recipients[${i}]`, message: "report emails go only to active admins and analysts of this workspace" });
      });
      if (issues.length > 0) return Effect.fail(new InvalidInput({ issues }));
      const filters: Record<string, string> = {};
      if (v.inbox) filters.inbox = v.inbox;
      if (v.team) filters.team = v.team;
      if (v.channel) filters.channel = v.channel;
      if (v.hours === "business") filters.hours = "business";
      return Effect.succeed({
        name: v.name,
        frequency: v.frequency,
        weekday: v.weekday ?? 1,
        hour: v.hour,
        filters: JSON.stringify(filters),
        includeBots: flagOf(v.includeBots) ? 1 : 0,
        paused: flagOf(v.paused),
        recipients: JSON.stringify(recipients),
        channelId: v.sendChannel ? v.sendChannel : null,
      });
    });

  const auditData = (v: { frequency: string; weekday: number; hour: number; recipients: string }) => ({
    frequency: v.frequency,
    ...(v.frequency === "weekly" ? { weekday: v.weekday } : {}),
    hour: v.hour,
    recipients: idsOf(v.recipients).length,
  });

  const create: ReportSchedulesShape["create"] = Effect.fn("ReportSchedules.create")(function* (actor, input) {
    yield* readerOnly(actor);
    const v = yield* validate(input);
    const count = (prepare("SELECT count(*) AS n FROM report_schedules").get() as { n: number }).n;
    if (count >= MAX_REPORT_SCHEDULES) {
      return yield* Effect.fail(new InvalidInput({ issues: [{ path: "", message: `a workspace keeps at most ${MAX_REPORT_SCHEDULES} report emails` }] }));
    }
    const id = newId("rsched");
    const audit = yield* auditActorAs(actor.id);
    const at = clock();
    const next = v.paused ? null : nextRunAfter(v, timezone(), at);
    yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        sqlite
          .prepare(
            `INSERT INTO report_schedules (id, name, frequency, weekday, hour, filters, include_bots, recipients, channel_id, paused, next_run_at, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(id, v.name, v.frequency, v.weekday, v.hour, v.filters, v.includeBots, v.recipients, v.channelId, v.paused ? 1 : 0, next, actor.id, at, at);
        recordAudit(sqlite, at, audit, { action: "report_schedule.created", target: { type: "report_schedule", id, label: v.name }, data: auditData(v) });
      }),
    );
    loop.arm();
    return toSchedule(rowOf(id)!);
  });

  const update: ReportSchedulesShape["update"] = Effect.fn("ReportSchedules.update")(function* (actor, id, input) {
    yield* readerOnly(actor);
    if (rowOf(id) === undefined) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    const v = yield* validate(input);
    const audit = yield* auditActorAs(actor.id);
    const at = clock();
    const next = v.paused ? null : nextRunAfter(v, timezone(), at);
    const changed = yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const done = sqlite
          .prepare(
            `UPDATE report_schedules SET name = ?, frequency = ?, weekday = ?, hour = ?, filters = ?, include_bots = ?, recipients = ?, channel_id = ?,
               paused = ?, next_run_at = ?, retry_at = NULL, attempts = 0, last_error = NULL, updated_at = ? WHERE id = ?`,
          )
          .run(v.name, v.frequency, v.weekday, v.hour, v.filters, v.includeBots, v.recipients, v.channelId, v.paused ? 1 : 0, next, at, id).changes;
        if (done > 0) recordAudit(sqlite, at, audit, { action: "report_schedule.updated", target: { type: "report_schedule", id, label: v.name }, data: auditData(v) });
        return done > 0;
      }),
    );
    if (!changed) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    loop.arm();
    return toSchedule(rowOf(id)!);
  });

  const setPaused: ReportSchedulesShape["setPaused"] = Effect.fn("ReportSchedules.setPaused")(function* (actor, id, paused) {
    yield* readerOnly(actor);
    const before = rowOf(id);
    if (before === undefined) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    if ((before.paused === 1) === paused) return toSchedule(before);
    const audit = yield* auditActorAs(actor.id);
    const at = clock();
    const next = paused ? null : nextRunAfter(cadenceOf(before), timezone(), at);
    yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const done = sqlite
          .prepare("UPDATE report_schedules SET paused = ?, next_run_at = ?, retry_at = NULL, attempts = 0, last_error = NULL, updated_at = ? WHERE id = ?")
          .run(paused ? 1 : 0, next, at, id).changes;
        if (done > 0) {
          recordAudit(sqlite, at, audit, {
            action: paused ? "report_schedule.paused" : "report_schedule.resumed",
            target: { type: "report_schedule", id, label: before.name },
          });
        }
      }),
    );
    loop.arm();
    const after = rowOf(id);
    if (after === undefined) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    return toSchedule(after);
  });

  const remove: ReportSchedulesShape["remove"] = Effect.fn("ReportSchedules.remove")(function* (actor, id) {
    yield* readerOnly(actor);
    const audit = yield* auditActorAs(actor.id);
    const gone = yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const row = sqlite.prepare("DELETE FROM report_schedules WHERE id = ? RETURNING name").get(id) as { name: string } | undefined;
        if (row !== undefined) recordAudit(sqlite, clock(), audit, { action: "report_schedule.deleted", target: { type: "report_schedule", id, label: row.name } });
        return row !== undefined;
      }),
    );
    if (!gone) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    loop.arm();
  });

  // ---- a run ----

  /** The team report's query over `period` with the schedule's filters (the Reports service's own parser). */
  const queryOf = (filters: ReportScheduleFilters, period: ReportPeriod): Effect.Effect<ReportQuery, InvalidInput> =>
    reports.parseQuery({ range: "custom", from: period.from, to: period.to, ...filters });

  const filterNames = (filters: ReportScheduleFilters): ReadonlyArray<string> => {
    const name = (table: string, id: string) => (prepare(`SELECT name FROM ${table} WHERE id = ?`).get(id) as { name: string } | undefined)?.name ?? `(deleted ${id})`;
    return [
      ...(filters.inbox ? [`Inbox: ${name("inboxes", filters.inbox)}`] : []),
      ...(filters.team ? [`Team: ${name("teams", filters.team)}`] : []),
      ...(filters.channel ? [`Channel: ${name("channels", filters.channel)}`] : []),
      ...(filters.hours === "business" ? ["Durations in business hours"] : []),
    ];
  };

  /** The addresses of the recipients who may still read reports (a user disabled or moved to another role since gets nothing). */
  const addressesOf = (row: ScheduleRow): ReadonlyArray<string> =>
    (
      prepare(
        `SELECT email FROM users WHERE disabled_at IS NULL AND role IN (SELECT value FROM json_each(?)) AND id IN (SELECT value FROM json_each(?)) ORDER BY email`,
      ).all(JSON.stringify(REPORT_READER_ROLES), row.recipients) as Array<{ email: string }>
    ).map((r) => r.email);

  type Attempt = { readonly skipped: string } | { readonly sent: Either.Either<unknown, SendFailed> };

  /** Computes the period's mail and hands it to the relay: skipped with why, or the relay's answer. */
  const attempt = (row: ScheduleRow, period: ReportPeriod, key: string): Effect.Effect<Attempt> =>
    Effect.gen(function* () {
      const to = addressesOf(row);
      if (to.length === 0) return { skipped: "none of its recipients may read reports any more (disabled, or no longer an admin or analyst)" };
      const filters = filtersOf(row.filters);
      const previous = previousPeriod(period, row.frequency);
      const query = yield* Effect.either(queryOf(filters, period));
      const previousQuery = yield* Effect.either(queryOf(filters, previous));
      if (Either.isLeft(query) || Either.isLeft(previousQuery)) return { skipped: "its filters are no longer valid: edit it" };
      const [team, previousTeam] = [yield* reports.team(query.right), yield* reports.team(previousQuery.right)];
      const bots = row.include_bots === 1 ? yield* reports.botOverview(query.right) : null;
      const previousBots = row.include_bots === 1 ? yield* reports.botOverview(previousQuery.right) : null;
      const params = new URLSearchParams({ range: "custom", from: period.from, to: period.to });
      for (const [k, v] of Object.entries(filters)) params.set(k, v);
      const mail = renderer.render({
        scheduleName: row.name,
        cadence: cadenceText(cadenceOf(row)),
        frequency: row.frequency,
        timezone: query.right.range.timezone,
        period,
        previous,
        team,
        previousTeam,
        bots,
        previousBots,
        filterNames: filterNames(filters),
        link: `${publicUrl}/reports/team?${params.toString()}`,
      });
      const sent = yield* Effect.either(
        email.sendReport({
          channelId: row.channel_id,
          to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          files: [{ filename: mail.csv.filename, contentType: "text/csv; charset=utf-8", data: Buffer.from(mail.csv.text, "utf8") }],
          source: `report-schedule:${row.id}`,
          key,
        }),
      );
      if (Either.isLeft(sent) && sent.left._tag === "NoSendingChannel") return { skipped: (sent.left as NoSendingChannel).message };
      return { sent: Either.mapLeft(sent, (e) => e as SendFailed) };
    });

  /**
   * Records a run's outcome and moves the schedule on, in one statement: last outcome, no retry,
   * and the next run after `occurrence` — unless the schedule changed meanwhile (its next run is
   * not the one read), whose own next run then stands.
   */
  const finish = (row: ScheduleRow, occurrence: number, period: ReportPeriod, status: RunStatus, reason: string | null) =>
    Effect.orDie(
      db.writeEffect((sqlite) => {
        const next = nextRunAfter(cadenceOf(row), timezone(), occurrence);
        sqlite
          .prepare(
            `UPDATE report_schedules SET last_status = ?, last_reason = ?, last_run_at = ?, last_period = ?,
               next_run_at = CASE WHEN next_run_at IS ? AND paused = 0 THEN ? ELSE next_run_at END,
               retry_at = CASE WHEN next_run_at IS ? THEN NULL ELSE retry_at END,
               attempts = CASE WHEN next_run_at IS ? THEN 0 ELSE attempts END,
               last_error = CASE WHEN next_run_at IS ? THEN NULL ELSE last_error END
             WHERE id = ?`,
          )
          .run(status, reason === null ? null : reason.slice(0, MAX_REASON), clock(), periodKey(period), row.next_run_at, next, row.next_run_at, row.next_run_at, row.next_run_at, row.id);
      }),
    );

  /** Runs one due schedule: the period of its pending try, or else of its latest run time (a missed run once). */
  const runOne = (row: ScheduleRow, at: number): Effect.Effect<RunOutcome> =>
    Effect.gen(function* () {
      const cadence = cadenceOf(row);
      const zone = timezone();
      const scheduled = row.next_run_at ?? at;
      const occurrence = row.attempts > 0 ? scheduled : Math.max(scheduled, latestRunAtOrBefore(cadence, zone, at) ?? scheduled);
      const period = periodOfRun(row.frequency, zone, occurrence);
      // A bug in one schedule's figures or words fails that run, not every schedule due after it.
      const tried = yield* attempt(row, period, `period:${periodKey(period)}`).pipe(
        Effect.catchAllDefect((defect) => Effect.succeed({ broke: `the report could not be written: ${String(defect)}` })),
      );
      if ("broke" in tried) {
        yield* Effect.logError(`ReportSchedules: schedule ${row.id}: ${tried.broke}`);
        yield* finish(row, occurrence, period, "failed", tried.broke);
        return { status: "failed", reason: tried.broke, period };
      }
      if ("skipped" in tried) {
        yield* finish(row, occurrence, period, "skipped", tried.skipped);
        return { status: "skipped", reason: tried.skipped, period };
      }
      const settled = yield* settleSend(tried.sent, row.attempts, {
        sent: () => finish(row, occurrence, period, "sent", null),
        notSent: (reason) => finish(row, occurrence, period, "failed", reason),
        retry: (attempts, retryAt, error) =>
          Effect.orDie(
            db.writeEffect((sqlite) => {
              // The same period is tried again: next_run_at stays the run's own time.
              sqlite
                .prepare("UPDATE report_schedules SET next_run_at = ?, retry_at = ?, attempts = ?, last_error = ? WHERE id = ? AND next_run_at IS ?")
                .run(occurrence, retryAt, attempts, error, row.id, row.next_run_at);
            }),
          ),
      });
      if (settled === "sent") return { status: "sent", reason: null, period };
      const latest = rowOf(row.id);
      if (settled === "notSent") return { status: "failed", reason: latest?.last_reason ?? null, period };
      return { status: "retrying", reason: latest?.last_error ?? null, period };
    });

  /** Shutdown: no pass, run or Send now starts once draining; a run not started is "held" (its schedule left due). */
  const shutdown = makeSendDrain();

  const pass = () =>
    Effect.gen(function* () {
      const at = clock();
      const due = prepare(
        `SELECT * FROM report_schedules WHERE next_run_at IS NOT NULL AND COALESCE(retry_at, next_run_at) <= ? ORDER BY COALESCE(retry_at, next_run_at) LIMIT ?`,
      ).all(at, PASS_LIMIT) as ScheduleRow[];
      const outcomes: RunOutcome[] = [];
      for (const row of due) {
        const outcome = yield* shutdown.guard(runOne(row, at));
        if (outcome === "held") return outcomes;
        outcomes.push(outcome);
      }
      if (due.length === PASS_LIMIT) loop.wake();
      else loop.arm();
      return outcomes;
    });

  // A pass races shutdown's letting go: interrupted then, the run it was waiting on is not recorded (its schedule stays due).
  const runDue: ReportSchedulesShape["runDue"] = () => shutdown.pass(pass(), []);

  const sendNow: ReportSchedulesShape["sendNow"] = Effect.fn("ReportSchedules.sendNow")(function* (actor, id) {
    yield* readerOnly(actor);
    const row = rowOf(id);
    if (row === undefined) return yield* Effect.fail(new NotFound({ entity: "report email", id }));
    const at = clock();
    const period = periodOfRun(row.frequency, timezone(), at);
    const test = Effect.gen(function* () {
      // A test is its own mail (its own Message-ID), whatever was sent for the period.
      const tried = yield* attempt(row, period, `test:${at}`);
      const outcome: { status: RunStatus; reason: string | null } =
        "skipped" in tried
          ? { status: "skipped", reason: tried.skipped }
          : Either.isRight(tried.sent)
            ? { status: "sent", reason: null }
            : { status: "failed", reason: tried.sent.left.reason.slice(0, MAX_REASON) };
      yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          sqlite
            .prepare("UPDATE report_schedules SET last_status = ?, last_reason = ?, last_run_at = ?, last_period = ? WHERE id = ?")
            .run(outcome.status, outcome.reason, clock(), periodKey(period), id);
        }),
      );
      return outcome;
    });
    // Waited for at shutdown like a run; one not started (or let go) then is not recorded.
    const outcome = yield* shutdown.pass(shutdown.guard(test), "held" as const);
    if (outcome === "held") return { status: "skipped", reason: "the server is stopping: send it again once it is back", period };
    return { ...outcome, period };
  });

  const loop = makeTimedPassLoop(
    "ReportSchedules",
    () => db.sqlite.open,
    runDue,
    () =>
      (prepare("SELECT MIN(COALESCE(retry_at, next_run_at)) AS at FROM report_schedules WHERE next_run_at IS NOT NULL").get() as { at: number | null }).at,
    clock,
  );

  const drained = drainedLoop(shutdown, loop.start);

  return {
    list,
    options,
    create,
    update,
    setPaused,
    remove,
    sendNow,
    runDue,
    start: (intervalMs = REPORT_SCHEDULE_BACKSTOP_MS) => drained.start(intervalMs),
    stop: loop.stop,
    nextWakeAt: loop.armedFor,
    // What is still going after the wait is let go: interrupted, its schedule left due (run after the restart).
    drain: drained.drain,
  };
};

/**
 * The service. Released before the database (it depends on it), its finalizer stops the timer
 * and loop and drains the run under way for the configured wait (AppConfig's shutdownWaitMs,
 * else DELIVERY_SHUTDOWN_WAIT_MS), so its outcome is written.
 */
export const layer: Layer.Layer<ReportSchedules, never, Database | Reports | EmailChannel | ReportMailRenderer | AppConfig> = Layer.scoped(
  ReportSchedules,
  Effect.gen(function* () {
    const config = yield* AppConfig;
    const schedules = makeReportSchedules({
      db: yield* Database,
      reports: yield* Reports,
      email: yield* EmailChannel,
      renderer: yield* ReportMailRenderer,
      publicUrl: config.publicUrl,
    });
    yield* Effect.addFinalizer(() => schedules.drain(config.shutdownWaitMs ?? DELIVERY_SHUTDOWN_WAIT_MS));
    return schedules;
  }),
);

/** For a runtime without the server's renderer (command-line tools): a report email cannot be written there, a bug to reach. */
export const noRenderer: ReportMailRendererShape = {
  render: () => {
    throw new Error("report emails are written by the server's renderer (makeAppLayer's reportMail); this runtime has none");
  },
};

/** The renderer as a layer (the server builds it from the app's report tables). */
export const rendererLayer = (renderer: ReportMailRendererShape): Layer.Layer<ReportMailRenderer> => Layer.succeed(ReportMailRenderer, renderer);

