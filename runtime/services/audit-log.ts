/**
 * The audit log: who changed what in the workspace — sign-ins, users and roles, two-factor
 * sign-in, API tokens, webhooks, flows, channels, inboxes and teams, contacts' exports,
 * imports, merges and erasures, and workspace settings (decision 041). Admins read it on
 * Settings → Audit log and over the REST API.
 *
 * - **Written inside the change's own write** (`recordAudit(sqlite, …)`): a change and its line
 *   commit together or not at all. Nothing on a visitor's path writes here.
 * - **Who** comes from the fiber, not from every service's signature: the app's server module
 *   and the REST API set `CurrentAuditActor` (the signed-in user or the token's, its IP, and by
 *   which way) around each request's Effect; the command line sets its own; anything else is
 *   the system. A service reads it with `auditActor` before its write.
 * - **What** is one of `AUDIT_ACTIONS` with a target (type, id, and a label as it was then, so
 *   the line still reads after the target is renamed or deleted) and a small JSON `data`
 *   (never a secret, a password or a token).
 * - **How long** lines are kept is the workspace's setting (`audit_log_retention_days` in
 *   `settings`; absent: forever, so an upgrade deletes nothing), set by an admin and itself a
 *   line. A background pass (`start`, hourly and at once after a change) deletes the lines older
 *   than that, AUDIT_RETENTION_BATCH at a time, one write each, so the writer is never held long
 *   (decision 046).
 */
import { Context, Effect, FiberRef, Layer, Schema as S } from "effect";
import { globalValue } from "effect/GlobalValue";
import { addDays, dayStart, isDay } from "../core/report-range.js";
import * as wallClock from "./clock.js";
import type { User } from "./accounts.js";
import { readTimezone } from "./business-hours.js";
import type BetterSqlite3 from "better-sqlite3";
import { Database } from "./database.js";
import { Forbidden, InvalidInput } from "./errors.js";
import { decodeInput } from "./inbox-access.js";
import { makePassLoop } from "./pass-loop.js";

/** The sections of the log, as its filter offers them. */
export const AUDIT_CATEGORIES = {
  "sign-in": "Sign-in and security",
  users: "Users",
  integrations: "API tokens and webhooks",
  flows: "Flows",
  channels: "Channels",
  workspace: "Inboxes, teams and settings",
  contacts: "Contacts",
  automation: "Automation",
  reports: "Reports",
} as const;
export type AuditCategory = keyof typeof AUDIT_CATEGORIES;

const action = (category: AuditCategory, label: string) => ({ category, label });

/** Every action the log records: its section and how the page names it. */
export const AUDIT_ACTIONS = {
  "session.signed_in": action("sign-in", "Signed in"),
  "session.sign_in_refused": action("sign-in", "Sign-in refused"),
  "session.signed_out": action("sign-in", "Signed out"),
  "two_factor.enabled": action("sign-in", "Turned on two-factor sign-in"),
  "two_factor.disabled": action("sign-in", "Turned off two-factor sign-in"),
  "two_factor.reset": action("sign-in", "Reset two-factor sign-in"),
  "two_factor.recovery_code_used": action("sign-in", "Signed in with a recovery code"),
  "two_factor.recovery_codes_regenerated": action("sign-in", "Made new recovery codes"),
  "two_factor.requirement_changed": action("sign-in", "Changed the two-factor requirement"),
  "user.created": action("users", "Created a user"),
  "user.role_changed": action("users", "Changed a role"),
  "user.disabled": action("users", "Disabled a user"),
  "user.enabled": action("users", "Enabled a user"),
  "user.password_set": action("users", "Set a user's password"),
  "user.password_changed": action("users", "Changed their password"),
  "api_token.created": action("integrations", "Created an API token"),
  "api_token.revoked": action("integrations", "Revoked an API token"),
  "webhook.created": action("integrations", "Created a webhook"),
  "webhook.updated": action("integrations", "Changed a webhook"),
  "webhook.enabled": action("integrations", "Turned a webhook on"),
  "webhook.disabled": action("integrations", "Turned a webhook off"),
  "webhook.secret_rolled": action("integrations", "Rolled a webhook's secret"),
  "webhook.deleted": action("integrations", "Deleted a webhook"),
  "flow.created": action("flows", "Created a flow"),
  "flow.published": action("flows", "Published a flow"),
  "flow.enabled": action("flows", "Turned a flow on"),
  "flow.disabled": action("flows", "Turned a flow off"),
  "flow.renamed": action("flows", "Renamed a flow"),
  "flow.channel_changed": action("flows", "Moved a flow to another channel"),
  "flow.reordered": action("flows", "Changed the flows' order"),
  "flow.archived": action("flows", "Archived a flow"),
  "flow.deleted": action("flows", "Deleted a flow"),
  "channel.created": action("channels", "Created a channel"),
  "channel.updated": action("channels", "Changed a channel"),
  "channel.chat_settings_changed": action("channels", "Changed a chat channel's settings"),
  "channel.identity_secret_rotated": action("channels", "Rotated a channel's identity secret"),
  "channel.email_settings_changed": action("channels", "Changed a team email's settings"),
  "channel.messenger_settings_changed": action("channels", "Changed a Messenger page's settings"),
  "channel.form_settings_changed": action("channels", "Changed a form's settings"),
  "inbox.created": action("workspace", "Created an inbox"),
  "inbox.updated": action("workspace", "Changed an inbox"),
  "inbox.members_changed": action("workspace", "Changed an inbox's members"),
  "team.created": action("workspace", "Created a team"),
  "team.members_changed": action("workspace", "Changed a team's members"),
  "team.hours_changed": action("workspace", "Changed a team's hours"),
  "settings.timezone_changed": action("workspace", "Changed the time zone"),
  "settings.business_hours_changed": action("workspace", "Changed the business hours"),
  "settings.closed_date_added": action("workspace", "Added a closed date"),
  "settings.closed_date_removed": action("workspace", "Removed a closed date"),
  "settings.public_holidays_added": action("workspace", "Added public holidays as closed dates"),
  "settings.closed_dates_imported": action("workspace", "Imported closed dates from a calendar"),
  "settings.calendar_feed_created": action("workspace", "Created the calendar feed link"),
  "settings.calendar_feed_reset": action("workspace", "Reset the calendar feed link"),
  "settings.calendar_feed_turned_off": action("workspace", "Turned the calendar feed off"),
  "calendar_subscription.created": action("workspace", "Subscribed to a calendar"),
  "calendar_subscription.synced": action("workspace", "A calendar subscription changed closed dates"),
  "calendar_subscription.deleted": action("workspace", "Unsubscribed from a calendar"),
  "settings.audit_retention_changed": action("workspace", "Changed how long the audit log keeps entries"),
  "contacts.exported": action("contacts", "Exported contacts"),
  "contacts.imported": action("contacts", "Imported contacts"),
  "contact.data_exported": action("contacts", "Exported a contact's personal data"),
  "contact.erased": action("contacts", "Erased a contact"),
  "contacts.merged": action("contacts", "Merged contacts"),
  "automation.rule_created": action("automation", "Created a rule"),
  "automation.rule_updated": action("automation", "Changed a rule"),
  "automation.rule_enabled": action("automation", "Turned a rule on"),
  "automation.rule_disabled": action("automation", "Turned a rule off"),
  "automation.rule_deleted": action("automation", "Deleted a rule"),
  "report_schedule.created": action("reports", "Added a report email"),
  "report_schedule.updated": action("reports", "Changed a report email"),
  "report_schedule.paused": action("reports", "Paused a report email"),
  "report_schedule.resumed": action("reports", "Resumed a report email"),
  "report_schedule.deleted": action("reports", "Deleted a report email"),
} as const satisfies Record<string, { readonly category: AuditCategory; readonly label: string }>;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** The ways a change reaches Parley. */
export type AuditVia = "app" | "api" | "command line" | "system";

/** Who is acting, as the request (or command) that runs an Effect says. */
export interface AuditActor {
  /** The user; null for the system (a background pass) or the command line. */
  readonly userId: string | null;
  readonly via: AuditVia;
  /** The client's address, when a request carries one. */
  readonly ip: string | null;
  /** The API token's id, when `via` is "api". */
  readonly tokenId?: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { userId: null, via: "system", ip: null };
/** Someone at the server's command line (npm run reset-password, reset-2fa). */
export const COMMAND_LINE: AuditActor = { userId: null, via: "command line", ip: null };

/**
 * Who the running fiber acts for; the system unless a request or command says otherwise. One per
 * process (`globalValue`): the Remix build bundles its own copy of this module beside the one
 * the server runs, and both must set and read the same reference.
 */
export const CurrentAuditActor: FiberRef.FiberRef<AuditActor> = globalValue(Symbol.for("parley/CurrentAuditActor"), () =>
  FiberRef.unsafeMake<AuditActor>(SYSTEM_ACTOR),
);

/** Runs `effect` as `actor` (the app's server module, the REST API and the command line do). */
export const asAuditActor =
  (actor: AuditActor) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, CurrentAuditActor, actor);

/** Who the running fiber acts for. Read it before the write that records the line. */
export const auditActor: Effect.Effect<AuditActor> = FiberRef.get(CurrentAuditActor);

/**
 * The running fiber's request (its address, by which way) acting as `userId`: for a service
 * handed its actor explicitly, which is who did it whoever called the service.
 */
export const auditActorAs = (userId: string): Effect.Effect<AuditActor> => Effect.map(auditActor, (actor) => ({ ...actor, userId }));

/** What one line says. */
export interface AuditRecord {
  readonly action: AuditAction;
  readonly target?: { readonly type: string; readonly id: string; readonly label?: string | null };
  /** Small facts (what changed, from and to); never a secret. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Writes one line inside the caller's write, so it commits with the change it describes. */
export const recordAudit = (sqlite: { readonly prepare: (sql: string) => BetterSqlite3.Statement }, at: number, actor: AuditActor, record: AuditRecord): void => {
  sqlite
    .prepare(
      `INSERT INTO audit_log (at, action, actor_id, via, ip, token_id, target_type, target_id, target_label, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      at,
      record.action,
      actor.userId,
      actor.via,
      actor.ip,
      actor.tokenId ?? null,
      record.target?.type ?? null,
      record.target?.id ?? null,
      record.target?.label ?? null,
      JSON.stringify(record.data ?? {}),
    );
};

// ---------------------------------------------------------------------------------------------
// Reading

/** One line as the page and the API show it. */
export interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly action: string;
  /** The action's words; the action itself for one this version does not know. */
  readonly label: string;
  readonly category: AuditCategory | null;
  /** Null: the system or the command line (`via` says which). */
  readonly actor: { readonly id: string; readonly name: string; readonly email: string } | null;
  readonly via: AuditVia;
  readonly ip: string | null;
  readonly tokenId: string | null;
  readonly target: { readonly type: string; readonly id: string; readonly label: string | null } | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface AuditPage {
  readonly entries: ReadonlyArray<AuditEntry>;
  /** The cursor of the next (older) page; null on the last. */
  readonly next: string | null;
}

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_PAGE_MAX = 500;

const Cursor = S.String.pipe(S.pattern(/^[1-9][0-9]{0,15}$/, { message: () => "expected a cursor from a previous page" }));
const Day = S.String.pipe(S.filter((day) => isDay(day), { message: () => "expected a date as YYYY-MM-DD" }));
const Limit = S.NumberFromString.pipe(S.int(), S.between(1, AUDIT_PAGE_MAX, { message: () => `expected a whole number from 1 to ${AUDIT_PAGE_MAX}` }));

/** The log's filters, as query parameters (every one optional). */
export const AuditQuery = S.Struct({
  /** A user's id, or "system" for what no person did. */
  actor: S.optional(S.String.pipe(S.minLength(1), S.maxLength(100))),
  category: S.optional(S.Literal(...(Object.keys(AUDIT_CATEGORIES) as [AuditCategory, ...AuditCategory[]]))),
  /** First and last day, inclusive, in the workspace time zone. */
  from: S.optional(Day),
  to: S.optional(Day),
  /** Older than this line (the `next` of the page before). */
  before: S.optional(Cursor),
  limit: S.optional(Limit),
});
export type AuditQuery = typeof AuditQuery.Type;

/** Query parameters (a URLSearchParams or a record) as the log's filters; empty values are absent. */
export const auditQueryFrom = (params: URLSearchParams | Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].trim() !== "").map(([k, v]) => [k, v.trim()]));
};

const categoryActions = (category: AuditCategory): ReadonlyArray<string> =>
  Object.entries(AUDIT_ACTIONS)
    .filter(([, meta]) => meta.category === category)
    .map(([name]) => name);

interface AuditRow {
  readonly id: number;
  readonly at: number;
  readonly action: string;
  readonly actor_id: string | null;
  readonly actor_name: string | null;
  readonly actor_email: string | null;
  readonly via: AuditVia;
  readonly ip: string | null;
  readonly token_id: string | null;
  readonly target_type: string | null;
  readonly target_id: string | null;
  readonly target_label: string | null;
  readonly data: string;
}

const toEntry = (row: AuditRow): AuditEntry => {
  const meta = (AUDIT_ACTIONS as Record<string, { category: AuditCategory; label: string } | undefined>)[row.action];
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch {
    // A line written by hand with bad JSON still shows; its details are empty.
  }
  return {
    id: String(row.id),
    at: row.at,
    action: row.action,
    label: meta?.label ?? row.action,
    category: meta?.category ?? null,
    actor: row.actor_id === null ? null : { id: row.actor_id, name: row.actor_name ?? row.actor_id, email: row.actor_email ?? "" },
    via: row.via,
    ip: row.ip,
    tokenId: row.token_id,
    target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id, label: row.target_label },
    data,
  };
};

// ---------------------------------------------------------------------------------------------
// Retention

/** The `settings` key of how many days lines are kept; absent: forever. */
export const AUDIT_RETENTION_SETTING = "audit_log_retention_days";
export const AUDIT_RETENTION_MIN_DAYS = 30;
export const AUDIT_RETENTION_MAX_DAYS = 3650;
/** Most lines one write deletes: a short write, so a visitor's message never waits long behind it. */
export const AUDIT_RETENTION_BATCH = 1_000;
/** Most writes one pass makes; a longer backlog (the first pass after retention is lowered) goes on in the next pass, at once. */
const RETENTION_PASS_BATCHES = 100;
/** How often the pass looks for lines past the retention (a day's lines age out a day at a time). */
export const AUDIT_RETENTION_LOOP_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** How long lines are kept: a number of days, or null for forever. */
export interface AuditRetention {
  readonly days: number | null;
}

const keepMessage = "choose to keep entries forever or for a number of days";
const daysMessage = `enter a number of days from ${AUDIT_RETENTION_MIN_DAYS} to ${AUDIT_RETENTION_MAX_DAYS}`;

/**
 * The retention form (and any caller): `keep` "forever", or "days" with `days` a whole number
 * from AUDIT_RETENTION_MIN_DAYS to AUDIT_RETENTION_MAX_DAYS (a form's digits are read as one first).
 * `days` is required with "days" (checked by `setRetention`, at `days`).
 */
export const AuditRetentionInput = S.Struct({
  keep: S.String.annotations({ message: () => keepMessage }).pipe(
    S.filter((keep): keep is "forever" | "days" => keep === "forever" || keep === "days", { message: () => keepMessage }),
  ),
  days: S.optional(
    S.Number.annotations({ message: () => daysMessage }).pipe(
      S.int({ message: () => "expected a whole number of days" }),
      S.between(AUDIT_RETENTION_MIN_DAYS, AUDIT_RETENTION_MAX_DAYS, { message: () => daysMessage }),
    ),
  ),
});

/** The stored setting as a retention: anything but a whole number in range is forever (nothing is deleted on a doubt). Pure. */
export const retentionFromSetting = (value: string | undefined): AuditRetention => {
  if (value === undefined || !/^[0-9]{1,5}$/.test(value)) return { days: null };
  const days = Number(value);
  return { days: days >= AUDIT_RETENTION_MIN_DAYS && days <= AUDIT_RETENTION_MAX_DAYS ? days : null };
};

/** The stored retention, read with `prepare` (the service's reader, or a write's own connection). */
const storedRetention = (prepare: (sql: string) => BetterSqlite3.Statement): AuditRetention =>
  retentionFromSetting((prepare("SELECT value FROM settings WHERE key = ?").get(AUDIT_RETENTION_SETTING) as { value: string } | undefined)?.value);

/** What the form sent, as the input the schema decodes: `days` only with `keep` "days"; unknown `keep` left for the schema to refuse. Pure. */
const retentionInput = (raw: unknown): unknown => {
  if (typeof raw !== "object" || raw === null) return raw;
  const { keep, days } = raw as { keep?: unknown; days?: unknown };
  // Forever takes no number (the form sends its field anyway); a blank number is a missing one.
  if (keep === "forever" || days === undefined || (typeof days === "string" && days.trim() === "")) return { keep };
  return { keep, days: typeof days === "string" && /^[0-9]+(\.[0-9]+)?$/.test(days.trim()) ? Number(days.trim()) : days };
};

/** What one retention pass deleted, and in how many writes. */
export interface AuditPurge {
  readonly deleted: number;
  readonly writes: number;
}

export interface AuditLogShape {
  /**
   * One page of the log, newest first, for an admin (Forbidden otherwise). `query` holds the
   * filters as strings (query parameters); InvalidInput at the parameter's name when one is bad
   * (`from`, `before`, `limit`…) or `to` is before `from`.
   */
  readonly list: (actor: User, query: unknown) => Effect.Effect<AuditPage, Forbidden | InvalidInput>;
  /** How long lines are kept (anyone may read it; only admins see the page). */
  readonly retention: () => Effect.Effect<AuditRetention>;
  /**
   * Sets how long lines are kept, for an admin (Forbidden otherwise): AuditRetentionInput;
   * InvalidInput at `keep` or `days`, nothing stored. A change is stored with its audit line in
   * one write (the same retention again writes nothing) and wakes the pass.
   */
  readonly setRetention: (actor: User, input: unknown) => Effect.Effect<AuditRetention, Forbidden | InvalidInput>;
  /** Deletes the lines older than the retention, AUDIT_RETENTION_BATCH per write; nothing when kept forever. */
  readonly purgeExpired: () => Effect.Effect<AuditPurge>;
  /** Starts the pass (at once, then every `intervalMs`, default AUDIT_RETENTION_LOOP_MS); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
}

export class AuditLog extends Context.Tag("AuditLog")<AuditLog, AuditLogShape>() {}

export const layer = Layer.effect(
  AuditLog,
  Effect.gen(function* () {
    const db = yield* Database;

    const list: AuditLogShape["list"] = Effect.fn("AuditLog.list")(function* (actor, raw) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can read the audit log." });
      const query = yield* decodeInput(AuditQuery, typeof raw === "object" && raw !== null ? raw : {});
      if (query.from !== undefined && query.to !== undefined && query.to < query.from) {
        return yield* new InvalidInput({ issues: [{ path: "to", message: "the last day is before the first" }] });
      }
      const limit = query.limit ?? AUDIT_PAGE_SIZE;
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (query.before !== undefined) {
        where.push("a.id < ?");
        params.push(Number(query.before));
      }
      if (query.actor !== undefined) {
        if (query.actor === "system") where.push("a.actor_id IS NULL");
        else {
          where.push("a.actor_id = ?");
          params.push(query.actor);
        }
      }
      if (query.category !== undefined) {
        const actions = categoryActions(query.category);
        where.push(`a.action IN (${actions.map(() => "?").join(", ")})`);
        params.push(...actions);
      }
      if (query.from !== undefined || query.to !== undefined) {
        const timezone = readTimezone(db.prepare);
        if (query.from !== undefined) {
          where.push("a.at >= ?");
          params.push(dayStart(timezone, query.from));
        }
        if (query.to !== undefined) {
          where.push("a.at < ?");
          params.push(dayStart(timezone, addDays(query.to, 1)));
        }
      }
      const rows = db
        .prepare(
          `SELECT a.id, a.at, a.action, a.actor_id, u.name AS actor_name, u.email AS actor_email, a.via, a.ip, a.token_id,
                  a.target_type, a.target_id, a.target_label, a.data
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
            ORDER BY a.id DESC LIMIT ?`,
        )
        .all(...params, limit + 1) as AuditRow[];
      const entries = rows.slice(0, limit).map(toEntry);
      return { entries, next: rows.length > limit ? entries[entries.length - 1]!.id : null };
    });

    const retention: AuditLogShape["retention"] = () => Effect.sync(() => storedRetention(db.prepare));

    const setRetention: AuditLogShape["setRetention"] = Effect.fn("AuditLog.setRetention")(function* (actor, raw) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can change how long the audit log keeps entries." });
      const input = yield* decodeInput(AuditRetentionInput, retentionInput(raw));
      if (input.keep === "days" && input.days === undefined) return yield* new InvalidInput({ issues: [{ path: "days", message: daysMessage }] });
      const days = input.keep === "forever" ? null : input.days!;
      const audit = yield* auditActorAs(actor.id);
      const changed = yield* Effect.orDie(
        db.writeEffect((s) => {
          const before = storedRetention((sql) => s.prepare(sql)).days;
          if (before === days) return false;
          // Forever is no row: the state before any retention was set, so an upgrade and "forever" read the same.
          if (days === null) s.prepare("DELETE FROM settings WHERE key = ?").run(AUDIT_RETENTION_SETTING);
          else s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(AUDIT_RETENTION_SETTING, String(days));
          recordAudit(s, wallClock.now(), audit, { action: "settings.audit_retention_changed", data: { from: before ?? "forever", to: days ?? "forever" } });
          return true;
        }),
      );
      if (changed) loop.wake();
      return { days };
    });

    const purgeExpired: AuditLogShape["purgeExpired"] = () =>
      Effect.gen(function* () {
        const { days } = storedRetention(db.prepare);
        if (days === null) return { deleted: 0, writes: 0 };
        const cutoff = wallClock.now() - days * DAY_MS;
        let deleted = 0;
        let writes = 0;
        // One short write per batch (the oldest first, by the index on `at`); others' writes go between them.
        while (writes < RETENTION_PASS_BATCHES) {
          const batch = yield* Effect.orDie(
            db.writeEffect(
              (s) =>
                s
                  .prepare(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ${AUDIT_RETENTION_BATCH})`)
                  .run(cutoff).changes,
            ),
          );
          writes++;
          deleted += batch;
          if (batch < AUDIT_RETENTION_BATCH) return { deleted, writes };
        }
        // More than one pass's share: the next pass goes on at once.
        loop.wake();
        return { deleted, writes };
      });

    const loop = makePassLoop("AuditLog retention", () => db.sqlite.open, purgeExpired);

    return {
      list,
      retention,
      setRetention,
      purgeExpired,
      start: (intervalMs = AUDIT_RETENTION_LOOP_MS) => loop.start(intervalMs),
    } satisfies AuditLogShape;
  }),
);
