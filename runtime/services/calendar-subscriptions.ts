/**
 * Calendar subscriptions (decision 057): the workspace's closed dates, or a team's that keeps its
 * own hours, follow a calendar URL — a country's public holidays, the company's calendar.
 *
 * - A subscription is a row of `calendar_subscriptions` (migration 52) with its provenance: the
 *   dates it added, exactly as it wrote them. A sync changes only those (runtime/services/
 *   calendar-sync.ts: adds new days, renames renamed ones, removes vanished ones from today on)
 *   and never a date typed by hand, added by another subscription or by a one-off import.
 * - The calendar is fetched by CalendarImport's guarded client (the URL import's deadline, size
 *   cap, same-host redirects and private-network rule), conditionally when the server gave an ETag
 *   or Last-Modified (a 304 changes nothing and costs no parse).
 * - The list is written through the list's own write paths (`Reports.changeClosedDates`,
 *   `Workspace.changeTeamClosedDates`), the subscription's row and audit line in the same
 *   transaction. A sync that fails — unreachable, not a calendar, over 1 MB, over 200 dates, a
 *   team that no longer keeps its own hours — changes no date and records the error.
 * - Subscribing reads the calendar first: a URL that cannot be followed is refused and nothing is
 *   stored. Unsubscribing keeps the dates or removes the subscription's own (from today on).
 * - Scheduling as report emails do (decision 040/056): one timer at the earliest `next_sync_at`,
 *   re-armed after each pass and change, a slow backstop pass, and a drain at shutdown so a sync
 *   under way is recorded or let go (its row stays due) before the database closes.
 */
import { Context, Effect, Either, Layer, Option, Schema as S } from "effect";
import { ClosedDates, type ClosedDate } from "../../flows/flow-spec.js";
import { decodeWith } from "../../flows/decode.js";
import { localDay } from "../core/report-range.js";
import { auditActor, recordAudit, type AuditActor } from "./audit-log.js";
import { readTimezone } from "./business-hours.js";
import { CalendarImport, calendarUrl, type CalendarDates, type CalendarImportShape, type CalendarValidators } from "./calendar-import.js";
import { changesList, planCalendarSync, planUnsubscribe, type CalendarSyncPlan, type ClosedDatesChange, type SyncSkip } from "./calendar-sync.js";
import * as wallClock from "./clock.js";
import { AppConfig } from "./config.js";
import { Database, type DatabaseShape, type Sqlite } from "./database.js";
import { DELIVERY_SHUTDOWN_WAIT_MS } from "./deliveries.js";
import { Conflict, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { makeTimedPassLoop } from "./pass-loop.js";
import { Reports, type ReportsShape } from "./reports.js";
import { Routing, type RoutingShape } from "./routing.js";
import { drainedLoop, makeSendDrain } from "./send-drain.js";
import { decodeTeamHours } from "./team-hours.js";
import { Workspace, type WorkspaceShape } from "./workspace.js";

/** How often a calendar is read again. */
export const CALENDAR_SYNC_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** How soon a failed sync is tried again. */
export const CALENDAR_SYNC_RETRY_MS = 60 * 60 * 1000;
/** How often the loop looks whatever the timer says (a row written by another process). */
export const CALENDAR_SYNC_BACKSTOP_MS = 60_000;
/** Subscriptions in the whole workspace, teams' included. */
export const MAX_CALENDAR_SUBSCRIPTIONS = 50;
/** Syncs one pass runs before it lets another pass take the rest. */
const PASS_LIMIT = 10;
const MAX_ERROR = 500;

export interface CalendarSubscription {
  readonly id: string;
  readonly scope: "workspace" | "team";
  readonly teamId: string | null;
  /** The team's name (null for the workspace's). */
  readonly teamName: string | null;
  readonly url: string;
  /** The closed dates this subscription added that it still follows. */
  readonly dates: ReadonlyArray<ClosedDate>;
  /** How the last sync went: `failed` with `error` (nothing was changed then). */
  readonly status: "ok" | "failed";
  readonly error: string | null;
  /** The last time the calendar was read (or answered unchanged). */
  readonly lastSyncedAt: number | null;
  /** The last try, successful or not. */
  readonly lastAttemptAt: number | null;
  readonly nextSyncAt: number;
  readonly createdBy: string | null;
  readonly createdAt: number;
}

/** What one sync did: the list's changes, or why it changed nothing. */
export interface SyncOutcome {
  /** `not_modified`: the server answered 304; `failed`: see `error`, no date changed. */
  readonly status: "changed" | "unchanged" | "not_modified" | "failed";
  readonly added: ReadonlyArray<ClosedDate>;
  readonly renamed: ReadonlyArray<{ readonly from: ClosedDate; readonly to: ClosedDate }>;
  readonly removed: ReadonlyArray<ClosedDate>;
  /** Calendar days left alone: already closed by a date of another origin. */
  readonly skipped: ReadonlyArray<SyncSkip>;
  readonly error: string | null;
}

/** A subscription to add: the calendar's URL (http, https or webcal) and, for a team's own hours, the team. */
export const SubscribeInput = S.Struct({
  url: S.Trim.pipe(
    S.minLength(1, { message: () => "enter the calendar's URL" }),
    S.maxLength(2000, { message: () => "a URL is at most 2000 characters" }),
  ),
  teamId: S.optionalWith(S.NullOr(S.String.pipe(S.maxLength(100))), { exact: true }),
});
const decodeSubscribe = decodeWith(SubscribeInput);

export interface CalendarSubscriptionsShape {
  /** Every subscription, the workspace's first, then by team and URL. */
  readonly list: () => Effect.Effect<ReadonlyArray<CalendarSubscription>>;
  /**
   * Subscribes the workspace (no `teamId`) or a team that keeps its own hours to a calendar URL,
   * reading it at once: the first sync's dates are added with the subscription, in one write and
   * one audit line. InvalidInput on `url` (not http(s)/webcal, unreachable, not a calendar, too
   * big, would pass 200 dates) or `teamId` (unknown team, no hours of its own); Conflict when the
   * list already follows that URL. Nothing is stored on any refusal.
   */
  readonly subscribe: (input: unknown) => Effect.Effect<{ readonly subscription: CalendarSubscription; readonly sync: SyncOutcome }, InvalidInput | Conflict>;
  /** Reads the calendar now (Sync now); a failure is recorded, not raised. NotFound for an unknown id. */
  readonly sync: (id: string) => Effect.Effect<{ readonly subscription: CalendarSubscription; readonly sync: SyncOutcome }, NotFound>;
  /**
   * Ends a subscription, keeping its dates (`keepDates`) or removing those it added that are still
   * as it wrote them, from today on; one audit line. NotFound for an unknown id.
   */
  readonly unsubscribe: (id: string, keepDates: boolean) => Effect.Effect<{ readonly removed: ReadonlyArray<ClosedDate> }, NotFound>;
  /** Syncs every due subscription once (at most a pass's worth); their outcomes. */
  readonly runDue: () => Effect.Effect<ReadonlyArray<SyncOutcome>>;
  /** Starts the timer and the backstop pass (a first pass at once); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
  readonly stop: () => void;
  /** Shutdown: no sync starts any more; waits up to `waitMs` for those under way, then lets go (their rows stay due). */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
  /** The instant the timer is armed for; null when none is. */
  readonly nextWakeAt: () => number | null;
}

export class CalendarSubscriptions extends Context.Tag("CalendarSubscriptions")<CalendarSubscriptions, CalendarSubscriptionsShape>() {}

interface Row {
  readonly id: string;
  readonly scope: "workspace" | "team";
  readonly team_id: string | null;
  readonly team_name: string | null;
  readonly url: string;
  readonly dates: string;
  readonly status: "ok" | "failed";
  readonly error: string | null;
  readonly etag: string | null;
  readonly last_modified: string | null;
  readonly next_sync_at: number;
  readonly last_attempt_at: number | null;
  readonly last_synced_at: number | null;
  readonly created_by: string | null;
  readonly created_at: number;
}

const ROW_SQL = `SELECT s.*, t.name AS team_name FROM calendar_subscriptions s LEFT JOIN teams t ON t.id = s.team_id`;

const readOwned = S.decodeUnknownOption(S.parseJson(ClosedDates));
/** A subscription's provenance as stored (none when unreadable: then it owns nothing and removes nothing). */
const ownedOf = (json: string): ReadonlyArray<ClosedDate> => Option.getOrElse(readOwned(json), () => []);

const toSubscription = (row: Row): CalendarSubscription => ({
  id: row.id,
  scope: row.scope,
  teamId: row.team_id,
  teamName: row.team_name,
  url: row.url,
  dates: ownedOf(row.dates),
  status: row.status,
  error: row.error,
  lastSyncedAt: row.last_synced_at,
  lastAttemptAt: row.last_attempt_at,
  nextSyncAt: row.next_sync_at,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

const failedOutcome = (error: string): SyncOutcome => ({ status: "failed", added: [], renamed: [], removed: [], skipped: [], error });
const outcomeOf = (plan: CalendarSyncPlan): SyncOutcome =>
  plan.refused !== undefined
    ? { ...failedOutcome(plan.refused), skipped: plan.skipped }
    : { status: changesList(plan) ? "changed" : "unchanged", added: plan.added, renamed: plan.renamed, removed: plan.removed, skipped: plan.skipped, error: null };

/** What a sync's audit line says: the days, not the whole list. */
const syncAuditData = (url: string, plan: CalendarSyncPlan) => ({
  url,
  added: plan.added.map((c) => c.date),
  renamed: plan.renamed.map((r) => ({ date: r.to.date, from: r.from.name ?? null, to: r.to.name ?? null })),
  removed: plan.removed.map((c) => c.date),
});

const errorText = (error: InvalidInput | NotFound): string =>
  (error._tag === "InvalidInput" ? error.issues.map((i) => i.message).join("; ") : `no ${error.entity} ${error.id}`).slice(0, MAX_ERROR);

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

export interface CalendarSubscriptionsDeps {
  readonly db: DatabaseShape;
  readonly reports: ReportsShape;
  readonly workspace: WorkspaceShape;
  readonly routing: RoutingShape;
  readonly calendar: CalendarImportShape;
  /** The clock (tests move it); the runtime's wall clock by default. */
  readonly now?: () => number;
}

/** The service over its Database, the lists' write paths and the calendar reader (exported for tests). */
export const makeCalendarSubscriptions = (deps: CalendarSubscriptionsDeps): CalendarSubscriptionsShape => {
  const { db, reports, workspace, routing, calendar } = deps;
  const clock = deps.now ?? wallClock.now;
  const prepare = db.prepare;

  const rowOf = (id: string) => prepare(`${ROW_SQL} WHERE s.id = ?`).get(id) as Row | undefined;
  const today = () => localDay(readTimezone(prepare), clock());
  const subscriptionOf = (id: string): Effect.Effect<CalendarSubscription, NotFound> =>
    Effect.suspend(() => {
      const row = rowOf(id);
      return row === undefined ? Effect.fail(new NotFound({ entity: "calendar subscription", id })) : Effect.succeed(toSubscription(row));
    });

  /**
   * A change of the list the subscription follows, through that list's own write: the
   * workspace's (then routing hears that its calendar changed) or the team's (which drains its
   * queues itself).
   */
  const changeList = <A>(teamId: string | null, change: ClosedDatesChange<A>, changed: (a: A) => boolean): Effect.Effect<A, InvalidInput | NotFound> =>
    teamId === null
      ? Effect.tap(reports.changeClosedDates(change), (a) => (changed(a) ? routing.workspaceCalendarChanged("closedDates") : Effect.void))
      : workspace.changeTeamClosedDates(teamId, change);

  /** Records a failed try: no date changes, the error is kept, and the next try comes sooner. */
  const recordFailure = (id: string, error: string, at: number) =>
    Effect.orDie(
      db.writeEffect((s) => {
        s.prepare("UPDATE calendar_subscriptions SET status = 'failed', error = ?, last_attempt_at = ?, next_sync_at = ? WHERE id = ?").run(
          error.slice(0, MAX_ERROR),
          at,
          at + CALENDAR_SYNC_RETRY_MS,
          id,
        );
      }),
    );

  /** Applies a calendar read to the subscription's list, its provenance read inside the write. */
  const apply = (row: Row, dates: CalendarDates, validators: CalendarValidators, at: number, actor: AuditActor) => {
    const day = today();
    const change: ClosedDatesChange<CalendarSyncPlan | null> = {
      plan: (list) => {
        const current = rowOf(row.id);
        if (current === undefined) return { store: null, result: null };
        const plan = planCalendarSync(list, ownedOf(current.dates), dates.dates, day);
        return { store: plan.refused === undefined && changesList(plan) ? plan.closedDates : null, result: plan };
      },
      alongside: (s, plan) => {
        if (plan === null) return;
        if (plan.refused !== undefined) {
          s.prepare("UPDATE calendar_subscriptions SET status = 'failed', error = ?, last_attempt_at = ?, next_sync_at = ? WHERE id = ?").run(
            plan.refused,
            at,
            at + CALENDAR_SYNC_RETRY_MS,
            row.id,
          );
          return;
        }
        s.prepare(
          `UPDATE calendar_subscriptions SET dates = ?, status = 'ok', error = NULL, etag = ?, last_modified = ?, last_attempt_at = ?, last_synced_at = ?, next_sync_at = ?
            WHERE id = ?`,
        ).run(JSON.stringify(plan.owned), validators.etag ?? null, validators.lastModified ?? null, at, at, at + CALENDAR_SYNC_INTERVAL_MS, row.id);
        if (changesList(plan)) {
          recordAudit(s, at, actor, {
            action: "calendar_subscription.synced",
            target: { type: "calendar_subscription", id: row.id, label: row.team_name !== null ? `${row.team_name}: ${row.url}` : row.url },
            data: syncAuditData(row.url, plan),
          });
        }
      },
    };
    return changeList(row.team_id, change, (plan) => plan !== null && plan.refused === undefined && changesList(plan));
  };

  /** Syncs one subscription: fetch (conditionally), then apply; every failure is recorded on its row. */
  const syncRow = (row: Row, actor: AuditActor): Effect.Effect<SyncOutcome> =>
    Effect.gen(function* () {
      const at = clock();
      const validators: CalendarValidators = {
        ...(row.etag !== null ? { etag: row.etag } : {}),
        ...(row.last_modified !== null ? { lastModified: row.last_modified } : {}),
      };
      const read = yield* Effect.either(calendar.readUrl(row.url, validators));
      if (Either.isLeft(read)) {
        const error = errorText(read.left);
        yield* recordFailure(row.id, error, at);
        return failedOutcome(error);
      }
      if (read.right.notModified) {
        yield* Effect.orDie(
          db.writeEffect((s) => {
            s.prepare("UPDATE calendar_subscriptions SET status = 'ok', error = NULL, last_attempt_at = ?, last_synced_at = ?, next_sync_at = ? WHERE id = ?").run(
              at,
              at,
              at + CALENDAR_SYNC_INTERVAL_MS,
              row.id,
            );
          }),
        );
        return { status: "not_modified", added: [], renamed: [], removed: [], skipped: [], error: null } satisfies SyncOutcome;
      }
      const applied = yield* Effect.either(apply(row, read.right.calendar, read.right.validators, at, actor));
      if (Either.isLeft(applied)) {
        // The team no longer keeps its own hours (or is gone): nothing was written.
        const error = errorText(applied.left);
        yield* recordFailure(row.id, error, at);
        return failedOutcome(error);
      }
      if (applied.right === null) return failedOutcome("the subscription was removed during the sync");
      return outcomeOf(applied.right);
    });

  const list: CalendarSubscriptionsShape["list"] = () =>
    Effect.sync(() => (prepare(`${ROW_SQL} ORDER BY s.team_id IS NOT NULL, t.name COLLATE NOCASE, s.url, s.id`).all() as Row[]).map(toSubscription));

  const subscribe: CalendarSubscriptionsShape["subscribe"] = Effect.fn("CalendarSubscriptions.subscribe")(function* (input) {
    const decoded = decodeSubscribe(input);
    if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
    const url = calendarUrl(decoded.right.url);
    const teamId = decoded.right.teamId ?? null;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      return yield* Effect.fail(invalid("url", "a calendar URL begins with https://, http:// or webcal://"));
    }
    if (teamId !== null) {
      const team = prepare("SELECT name, hours FROM teams WHERE id = ?").get(teamId) as { name: string; hours: string | null } | undefined;
      if (team === undefined) return yield* Effect.fail(invalid("teamId", `no team ${teamId}`));
      if (decodeTeamHours(team.hours).source !== "own") {
        return yield* Effect.fail(invalid("teamId", `${team.name} keeps no hours of its own: choose Own hours and save them first`));
      }
    }
    const duplicate = () => prepare("SELECT id FROM calendar_subscriptions WHERE COALESCE(team_id, '') = ? AND url = ?").get(teamId ?? "", url) !== undefined;
    if (duplicate()) return yield* Effect.fail(new Conflict({ message: `${teamId === null ? "The workspace" : "This team"} already follows this calendar.` }));
    if ((prepare("SELECT count(*) AS n FROM calendar_subscriptions").get() as { n: number }).n >= MAX_CALENDAR_SUBSCRIPTIONS) {
      return yield* Effect.fail(invalid("url", `at most ${MAX_CALENDAR_SUBSCRIPTIONS} calendar subscriptions: remove one first`));
    }

    // The first sync: the calendar is read before anything is stored, so a URL that cannot be followed leaves no row.
    const read = yield* calendar.readUrl(url);
    if (read.notModified) return yield* Effect.fail(invalid("url", "the server answered 304 Not Modified to a first request"));
    const { calendar: dates, validators } = read;
    const actor = yield* auditActor;
    const at = clock();
    const id = newId("cal");
    const day = today();
    const change: ClosedDatesChange<{ plan: CalendarSyncPlan; stored: boolean }> = {
      plan: (list) => {
        const plan = planCalendarSync(list, [], dates.dates, day);
        // Checked again inside the write: two admins subscribing the same URL at once add one.
        if (plan.refused !== undefined || duplicate()) return { store: null, result: { plan, stored: false } };
        return { store: changesList(plan) ? plan.closedDates : null, result: { plan, stored: true } };
      },
      alongside: (s: Sqlite, { plan, stored }) => {
        if (!stored) return;
        s.prepare(
          `INSERT INTO calendar_subscriptions (id, scope, team_id, url, dates, status, etag, last_modified, next_sync_at, last_attempt_at, last_synced_at, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, teamId === null ? "workspace" : "team", teamId, url, JSON.stringify(plan.owned), validators.etag ?? null, validators.lastModified ?? null, at + CALENDAR_SYNC_INTERVAL_MS, at, at, actor.userId, at);
        const teamName = teamId === null ? null : (s.prepare("SELECT name FROM teams WHERE id = ?").get(teamId) as { name: string } | undefined)?.name ?? null;
        recordAudit(s, at, actor, {
          action: "calendar_subscription.created",
          target: { type: "calendar_subscription", id, label: teamName !== null ? `${teamName}: ${url}` : url },
          data: { ...syncAuditData(url, plan), ...(teamId !== null ? { teamId } : {}) },
        });
      },
    };
    const outcome = yield* changeList(teamId, change, (r) => r.stored && changesList(r.plan)).pipe(
      // The team stopped keeping its own hours (or went) between the check and the write.
      Effect.catchTag("NotFound", (e) => Effect.fail(invalid("teamId", `no team ${e.id}`))),
    );
    if (outcome.plan.refused !== undefined) return yield* Effect.fail(invalid("url", outcome.plan.refused));
    if (!outcome.stored) return yield* Effect.fail(new Conflict({ message: `${teamId === null ? "The workspace" : "This team"} already follows this calendar.` }));
    loop.arm();
    return { subscription: yield* Effect.orDie(subscriptionOf(id)), sync: outcomeOf(outcome.plan) };
  });

  /** Shutdown: no sync starts once draining; a sync not started is "held" (its row left due). */
  const shutdown = makeSendDrain();

  const sync: CalendarSubscriptionsShape["sync"] = Effect.fn("CalendarSubscriptions.sync")(function* (id) {
    const row = rowOf(id);
    if (row === undefined) return yield* Effect.fail(new NotFound({ entity: "calendar subscription", id }));
    const actor = yield* auditActor;
    const outcome = yield* shutdown.pass(shutdown.guard(syncRow(row, actor)), "held" as const);
    loop.arm();
    const sync = outcome === "held" ? failedOutcome("the server is stopping: sync again once it is back") : outcome;
    return { subscription: yield* subscriptionOf(id), sync };
  });

  const unsubscribe: CalendarSubscriptionsShape["unsubscribe"] = Effect.fn("CalendarSubscriptions.unsubscribe")(function* (id, keepDates) {
    const row = rowOf(id);
    if (row === undefined) return yield* Effect.fail(new NotFound({ entity: "calendar subscription", id }));
    const actor = yield* auditActor;
    const at = clock();
    const day = today();
    const label = row.team_name !== null ? `${row.team_name}: ${row.url}` : row.url;
    const remove = (s: Sqlite, removed: ReadonlyArray<ClosedDate>) => {
      if (s.prepare("DELETE FROM calendar_subscriptions WHERE id = ?").run(id).changes === 0) return;
      recordAudit(s, at, actor, {
        action: "calendar_subscription.deleted",
        target: { type: "calendar_subscription", id, label },
        data: { url: row.url, keepDates, removed: removed.map((c) => c.date) },
      });
    };
    const dropRow = () =>
      Effect.orDie(db.writeEffect((s) => remove(s, []))).pipe(Effect.as({ removed: [] as ReadonlyArray<ClosedDate> }));
    const result = keepDates
      ? yield* dropRow()
      : yield* changeList<{ removed: ReadonlyArray<ClosedDate> }>(
          row.team_id,
          {
            plan: (list) => {
              const current = rowOf(id);
              if (current === undefined) return { store: null, result: { removed: [] } };
              const planned = planUnsubscribe(list, ownedOf(current.dates), day);
              return { store: planned.removed.length > 0 ? planned.closedDates : null, result: { removed: planned.removed } };
            },
            alongside: (s, { removed }) => remove(s, removed),
          },
          (r) => r.removed.length > 0,
          // A team that no longer keeps its own hours has no list to remove from: the row goes alone.
        ).pipe(Effect.catchAll(() => dropRow()));
    loop.arm();
    return result;
  });

  const pass = () =>
    Effect.gen(function* () {
      const due = prepare(`${ROW_SQL} WHERE s.next_sync_at <= ? ORDER BY s.next_sync_at LIMIT ?`).all(clock(), PASS_LIMIT) as Row[];
      const outcomes: SyncOutcome[] = [];
      for (const row of due) {
        // Each sync of the schedule is the system's doing in the audit log.
        const outcome = yield* shutdown.guard(syncRow(row, { userId: null, via: "system", ip: null }));
        if (outcome === "held") return outcomes;
        outcomes.push(outcome);
      }
      if (due.length === PASS_LIMIT) loop.wake();
      else loop.arm();
      return outcomes;
    });

  // A pass races shutdown's letting go: interrupted then, the sync it waited on is not recorded (its row stays due).
  const runDue: CalendarSubscriptionsShape["runDue"] = () => shutdown.pass(pass(), []);

  const loop = makeTimedPassLoop(
    "CalendarSubscriptions",
    () => db.sqlite.open,
    runDue,
    () => (prepare("SELECT MIN(next_sync_at) AS at FROM calendar_subscriptions").get() as { at: number | null }).at,
    clock,
  );
  const drained = drainedLoop(shutdown, loop.start);

  return {
    list,
    subscribe,
    sync,
    unsubscribe,
    runDue,
    start: (intervalMs = CALENDAR_SYNC_BACKSTOP_MS) => drained.start(intervalMs),
    stop: loop.stop,
    drain: drained.drain,
    nextWakeAt: loop.armedFor,
  };
};

/**
 * The service. Released before the database (it depends on it), its finalizer stops the timer
 * and loop and drains the sync under way for the configured wait, so its outcome is written.
 */
export const layer: Layer.Layer<CalendarSubscriptions, never, Database | Reports | Workspace | Routing | CalendarImport | AppConfig> = Layer.scoped(
  CalendarSubscriptions,
  Effect.gen(function* () {
    const config = yield* AppConfig;
    const subscriptions = makeCalendarSubscriptions({
      db: yield* Database,
      reports: yield* Reports,
      workspace: yield* Workspace,
      routing: yield* Routing,
      calendar: yield* CalendarImport,
    });
    yield* Effect.addFinalizer(() => subscriptions.drain(config.shutdownWaitMs ?? DELIVERY_SHUTDOWN_WAIT_MS));
    return subscriptions;
  }),
);
