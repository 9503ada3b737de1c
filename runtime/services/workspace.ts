/**
 * Workspace: the admin settings of inboxes (name, fallback email, members, routing, email
 * filters) and teams, who may open which inbox, and each person's availability and profile
 * (display name, avatar, meeting link, working hours, notification settings, the languages they answer in).
 *
 * Public API (agreed with the inbox UI; `Workspace` service) — callers guard roles (routes
 * require admin for the settings; anyone may edit their own profile):
 *   listInboxes(), getInbox(id), createInbox({name, fallbackEmail?}),
 *   updateInbox(id, {name?, fallbackEmail?, routing?, emailFilters?, responseTargets?}), setInboxMembers(inboxId, userIds),
 *   listTeams(), getTeam(id), createTeam({name}), setTeamMembers(teamId, userIds), setTeamHours(teamId, TeamHours),
 *   inboxesOfUser(userId) → inbox ids (admins: all), canAccessInbox(user, inboxId) → boolean,
 *   setAvailability(userId, "available"|"away"),
 *   getProfile(userId), updateProfile(userId, {displayName, avatarUrl, meetingLink, workingHours, notificationSettings, languages}),
 *   setRole(actor, userId, role), setDisabled(actor, userId, disabled).
 *
 * Access rule: admins open every inbox; agents the inboxes they are members of; marketers and
 * analysts none. Only agents and admins can be members. Every change that can let someone take
 * a queued conversation (availability, members, routing) drains the queue (Routing.drainQueue);
 * an agent removed from an inbox gives its open conversations there back to the inbox's routing,
 * so none is left with someone who can no longer see it.
 *
 * Disabling: people who leave are disabled, never deleted, so their messages, events and report
 * figures stay. Disabling ends their sessions and re-routes the open conversations they hold in
 * the same write (manual inbox → back to Unassigned with an `unassigned` event; round-robin →
 * the next available member, or the queue), and clears them from pending ones, so a visitor who
 * answers later is not left with nobody. They stay listed as members (enabling them restores
 * their work) but routing, assignment and member checks skip them.
 */
import { Context, Effect, Either, Layer, Option, Schema as S } from "effect";
import { isValidTimezone } from "../../flows/availability.js";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import { OpeningHours, type Availability as Schedule } from "../../flows/flow-spec.js";
import { summarizeTeamHours, type TeamHoursSummary } from "../../flows/team-hours-summary.js";
import { TeamHours, teamAvailability } from "../../flows/team-hours.js";
import { encodeLanguages, Languages, storedLanguages } from "../core/language-tags.js";
import { ResponseTargets, storedResponseTargets } from "../core/response-targets.js";
import { Availability, Email, ProfileUpdate, Role, type User } from "./accounts.js";
import { auditActor, recordAudit } from "./audit-log.js";
import { readBusinessHours } from "./business-hours.js";
import { putTeamHours } from "./calendar-history.js";
import { Database, type Sqlite } from "./database.js";
import { Conflict, InvalidInput, NotFound } from "./errors.js";
import * as wallClock from "./clock.js";
import { newId } from "./ids.js";
import { AUTOMATION_ACTOR } from "./inbox-access.js";
import { putInboxTargets } from "./target-history.js";
import { decodeTeamHours, encodeTeamHours } from "./team-hours.js";
import { ClosedDatesImport, mergeClosedDates, sortClosedDates, type ClosedDatesImported } from "./calendar-import.js";
import type { ClosedDatesChange } from "./calendar-sync.js";
import { INBOX_ROLES, readRoutingConfig, Routing, RoutingConfig, userCanAccessInbox, type Prepare } from "./routing.js";

// ---------------------------------------------------------------------------------------------
// Schemas

const Name = (what: string, max: number) =>
  S.Trim.pipe(
    S.minLength(1, { message: () => `enter a name for the ${what}` }),
    S.maxLength(max, { message: () => `${/^[aeiou]/.test(what) ? "an" : "a"} ${what} name is at most ${max} characters` }),
  );

/** An optional email in a form: empty clears it (null). */
const ClearableEmail = S.NullOr(S.Union(S.Literal(""), Email));

/** A domain such as example.com (lower-cased; a leading "@" is dropped). It also covers its subdomains. */
export const Domain = S.compose(S.Trim, S.Lowercase).pipe(
  S.transform(S.String, { strict: true, decode: (s) => s.replace(/^@/, ""), encode: (s) => s }),
  S.pattern(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/, {
    message: () => "expected a domain like example.com",
  }),
);

export const MAX_FILTER_ENTRIES = 1000;

/** Blocked senders and domains of an inbox (applied by the email channel). */
export const EmailFilters = S.Struct({
  blockedSenders: S.Array(Email).pipe(S.maxItems(MAX_FILTER_ENTRIES, { message: () => `at most ${MAX_FILTER_ENTRIES} senders` })),
  blockedDomains: S.Array(Domain).pipe(S.maxItems(MAX_FILTER_ENTRIES, { message: () => `at most ${MAX_FILTER_ENTRIES} domains` })),
});
export type EmailFilters = typeof EmailFilters.Type;

export const NewInbox = S.Struct({ name: Name("inbox", 80), fallbackEmail: S.optional(ClearableEmail) });
export const InboxUpdate = S.Struct({
  name: S.optional(Name("inbox", 80)),
  fallbackEmail: S.optional(ClearableEmail),
  routing: S.optional(RoutingConfig),
  emailFilters: S.optional(EmailFilters),
  /** Response targets (SLAs): minutes, or null for none (runtime/core/response-targets.ts). */
  responseTargets: S.optional(ResponseTargets),
});
export const NewTeam = S.Struct({ name: Name("team", 80) });

const Timezone = S.String.pipe(S.filter((tz) => isValidTimezone(tz), { message: () => "expected a time zone like Europe/Berlin" }));

/** When a person works, on the wall clock of their time zone (shown to the team; the availability toggle routes). */
export const WorkingHours = S.Struct({
  timezone: Timezone,
  hours: S.Array(OpeningHours).pipe(S.maxItems(50, { message: () => "at most 50 ranges" })),
});
export type WorkingHours = typeof WorkingHours.Type;

const NotifyBy = S.Struct({ browser: S.Boolean, sound: S.Boolean });
/** How a person is told about a conversation assigned to them, a handoff in their inboxes, an @mention. */
export const NotificationSettings = S.Struct({ assigned: NotifyBy, handoff: NotifyBy, mention: NotifyBy });
export type NotificationSettings = typeof NotificationSettings.Type;

export const DEFAULT_NOTIFICATIONS: NotificationSettings = {
  assigned: { browser: true, sound: true },
  handoff: { browser: true, sound: true },
  mention: { browser: true, sound: true },
};
export const DEFAULT_WORKING_HOURS: WorkingHours = { timezone: "UTC", hours: [] };

export const ProfileEdit = S.Struct({
  displayName: ProfileUpdate.fields.displayName,
  avatarUrl: ProfileUpdate.fields.avatarUrl,
  meetingLink: ProfileUpdate.fields.meetingLink,
  workingHours: S.optional(WorkingHours),
  notificationSettings: S.optional(NotificationSettings),
  /** The languages they answer in (decision 055); an empty list clears them. */
  languages: S.optional(Languages),
});

const UserIds = S.Array(S.String).pipe(S.maxItems(1000, { message: () => "at most 1000 people" }));

// ---------------------------------------------------------------------------------------------
// Shapes

export interface Inbox {
  readonly id: string;
  readonly name: string;
  readonly fallbackEmail: string | null;
  readonly routing: RoutingConfig;
  readonly emailFilters: EmailFilters;
  /** First-response and next-reply targets; all null when the inbox has none. */
  readonly responseTargets: ResponseTargets;
  readonly memberIds: ReadonlyArray<string>;
  readonly createdAt: number;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly memberIds: ReadonlyArray<string>;
  readonly createdAt: number;
  /** When the team takes conversations (decision 048): none, the workspace's hours, or its own. */
  readonly hours: TeamHours;
  /** The calendar those hours read as (the workspace's, live, when the team follows it); null when they never close the team. */
  readonly schedule: Schedule | null;
  /** Open now or not, when it next opens, the closed date that closes it, as people read it. */
  readonly hoursSummary: TeamHoursSummary;
}

export interface Profile {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly role: Role;
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
  readonly meetingLink: string | null;
  readonly availability: Availability;
  readonly workingHours: WorkingHours;
  readonly notificationSettings: NotificationSettings;
  /** The languages they answer in (primary tags, decision 055); empty when not set. */
  readonly languages: ReadonlyArray<string>;
  /** When an admin disabled them; null while enabled. */
  readonly disabledAt: number | null;
}

export interface WorkspaceShape {
  /** Every inbox with its members, by name. */
  readonly listInboxes: () => Effect.Effect<ReadonlyArray<Inbox>>;
  readonly getInbox: (id: string) => Effect.Effect<Inbox, NotFound>;
  /** Creates an inbox (manual routing, no filters); Conflict when the name is taken. */
  readonly createInbox: (input: unknown) => Effect.Effect<Inbox, InvalidInput | Conflict>;
  /** Changes what `input` names; a routing change drains the inbox's queue. */
  readonly updateInbox: (id: string, input: unknown) => Effect.Effect<Inbox, NotFound | InvalidInput | Conflict>;
  /** Replaces the members (agents and admins only); drains the queue, re-routes what removed agents held. */
  readonly setInboxMembers: (inboxId: string, userIds: unknown) => Effect.Effect<Inbox, NotFound | InvalidInput>;
  readonly listTeams: () => Effect.Effect<ReadonlyArray<Team>>;
  readonly getTeam: (id: string) => Effect.Effect<Team, NotFound>;
  readonly createTeam: (input: unknown) => Effect.Effect<Team, InvalidInput | Conflict>;
  /** Replaces the members (agents and admins only); drains the queues. */
  readonly setTeamMembers: (teamId: string, userIds: unknown) => Effect.Effect<Team, NotFound | InvalidInput>;
  /**
   * Sets the team's hours (a `TeamHours`: none, the workspace's, or its own); audited when they
   * change, and the queues drained then, since hours that open the team may let queued
   * conversations through.
   */
  readonly setTeamHours: (teamId: string, hours: unknown) => Effect.Effect<Team, NotFound | InvalidInput>;
  /**
   * Adds a calendar's closed dates (ClosedDatesImport: `dates`, `source`, `dryRun`) to a team that
   * keeps its own hours: read, merged and written in one write, with one `team.hours_changed` line
   * (its `source` says where they came from); days already closed are skipped with a reason, and
   * a dry run stores nothing (decision 052). NotFound for an unknown team; InvalidInput with the
   * field as path, and on `refusalPath` when the team keeps no hours of its own or would pass 200 dates.
   */
  readonly importTeamClosedDates: (teamId: string, input: unknown, refusalPath?: string) => Effect.Effect<ClosedDatesImported, NotFound | InvalidInput>;
  /**
   * A change of the closed dates of a team that keeps its own hours, decided from its stored list
   * inside one write (a calendar subscription's sync or removal, decision 057): what
   * `change.plan` says is stored in the team's hours, and `change.alongside` writes in the same
   * transaction. NotFound for an unknown team; InvalidInput on `refusalPath` when the team keeps
   * no hours of its own (nothing is written then, `alongside` neither). The queues are drained
   * when the list changed (a removed date may open the team).
   */
  readonly changeTeamClosedDates: <A>(teamId: string, change: ClosedDatesChange<A>, refusalPath?: string) => Effect.Effect<A, NotFound | InvalidInput>;
  /** The inbox ids `userId` may open: all for admins, their memberships for agents, none otherwise. */
  readonly inboxesOfUser: (userId: string) => Effect.Effect<ReadonlyArray<string>>;
  /** True when `user` may open `inboxId` (read fresh from the database, not from `user.role`). */
  readonly canAccessInbox: (user: Pick<User, "id">, inboxId: string) => Effect.Effect<boolean>;
  /** Sets a person's availability; becoming available drains the queues of their inboxes. */
  readonly setAvailability: (userId: string, availability: unknown) => Effect.Effect<Profile, NotFound | InvalidInput>;
  readonly getProfile: (userId: string) => Effect.Effect<Profile, NotFound>;
  /** Edits the profile fields `input` names (empty strings clear text fields). */
  readonly updateProfile: (userId: string, input: unknown) => Effect.Effect<Profile, NotFound | InvalidInput>;
  /**
   * Changes a role; Conflict when it would leave no admin. Someone who can no longer work in
   * inboxes gives back what they held: open conversations go through routing again, pending ones
   * are unassigned by `actor` (they wait on the visitor, and must not come back to someone who
   * cannot open them).
   */
  readonly setRole: (actor: Pick<User, "id">, userId: string, role: unknown) => Effect.Effect<Profile, NotFound | InvalidInput | Conflict>;
  /**
   * Disables (ends sessions, re-routes open conversations, unassigns pending ones) or enables
   * `userId`. Conflict when `actor` disables themselves or it would leave no enabled admin.
   * Disabling a disabled user repeats the clean-up; enabling drains the queues of their inboxes.
   */
  readonly setDisabled: (
    actor: Pick<User, "id">,
    userId: string,
    disabled: boolean,
  ) => Effect.Effect<{ readonly profile: Profile; readonly endedSessions: number; readonly rerouted: number }, NotFound | Conflict>;
}

export class Workspace extends Context.Tag("Workspace")<Workspace, WorkspaceShape>() {}

/** True when `email` is blocked by `filters`: the exact sender, or its domain or a parent domain. Pure. */
export const isBlockedSender = (filters: EmailFilters, email: string): boolean => {
  const address = email.trim().toLowerCase();
  if (filters.blockedSenders.some((s) => s.toLowerCase() === address)) return true;
  const domain = address.slice(address.lastIndexOf("@") + 1);
  return filters.blockedDomains.some((d) => domain === d || domain.endsWith(`.${d}`));
};

// ---------------------------------------------------------------------------------------------
// Rows

// Optional and clearable fields are unions with undefined / null / "": their members' own
// "Expected null, actual …" lines say nothing when the field has a real message too.
const UNION_NOISE = /^Expected (undefined|null|""), actual /;
const covers = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);

/** The issues worth showing: union-member noise dropped where a real message covers the path. Pure. */
export const meaningfulIssues = (issues: ReadonlyArray<DecodeIssue>): ReadonlyArray<DecodeIssue> =>
  issues.filter(
    (issue) => !(UNION_NOISE.test(issue.message) && issues.some((other) => !UNION_NOISE.test(other.message) && covers(issue.path, other.path))),
  );

const decodeOrFail = <A, I>(schema: S.Schema<A, I, never>, input: unknown, prefix = ""): Effect.Effect<A, InvalidInput> =>
  Either.match(decodeWith(schema)(input), {
    onLeft: (issues) =>
      Effect.fail(
        new InvalidInput({
          issues: meaningfulIssues(issues).map((i) => ({ ...i, path: prefix && i.path ? `${prefix}.${i.path}` : prefix || i.path })),
        }),
      ),
    onRight: Effect.succeed,
  });

const decodeFilters = S.decodeUnknownOption(S.parseJson(EmailFilters));

const decodeHours = S.decodeUnknownOption(S.parseJson(WorkingHours));
const decodeNotifications = S.decodeUnknownOption(S.parseJson(S.partial(NotificationSettings)));

const EMPTY_FILTERS: EmailFilters = { blockedSenders: [], blockedDomains: [] };

interface InboxRow {
  id: string;
  name: string;
  fallback_email: string | null;
  email_filters: string;
  response_targets: string | null;
  created_at: number;
}

interface TeamRow {
  id: string;
  name: string;
  created_at: number;
  hours: string | null;
}

interface ProfileRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  display_name: string | null;
  avatar_url: string | null;
  meeting_link: string | null;
  availability: Availability;
  working_hours: string;
  notification_settings: string;
  languages: string | null;
  disabled_at: number | null;
}

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE";

const unique = <A>(values: ReadonlyArray<A>): A[] => [...new Set(values)];

// ---------------------------------------------------------------------------------------------
// Layer

/** The Workspace service over the app's Database and Routing. */
/** Who joined and who left, for a members change's audit line. */
const memberChange = (before: ReadonlyArray<string>, after: ReadonlyArray<string>) => ({
  added: after.filter((id) => !before.includes(id)),
  removed: before.filter((id) => !after.includes(id)),
});

export const layer: Layer.Layer<Workspace, never, Database | Routing> = Layer.effect(
  Workspace,
  Effect.gen(function* () {
    const db = yield* Database;
    const routing = yield* Routing;
    const prepare: Prepare = db.prepare;

    const membersOf = (table: "inbox_members" | "team_members", column: "inbox_id" | "team_id", id: string): string[] =>
      (
        prepare(`SELECT m.user_id FROM ${table} m JOIN users u ON u.id = m.user_id WHERE m.${column} = ? ORDER BY u.name COLLATE NOCASE, u.id`).all(
          id,
        ) as Array<{ user_id: string }>
      ).map((r) => r.user_id);

    const toInbox = (row: InboxRow): Inbox => ({
      id: row.id,
      name: row.name,
      fallbackEmail: row.fallback_email,
      routing: readRoutingConfig(prepare, row.id),
      emailFilters: Option.getOrElse(decodeFilters(row.email_filters), () => EMPTY_FILTERS),
      responseTargets: storedResponseTargets(row.response_targets),
      memberIds: membersOf("inbox_members", "inbox_id", row.id),
      createdAt: row.created_at,
    });

    const readInbox = (id: string): Effect.Effect<Inbox, NotFound> =>
      Effect.suspend(() => {
        const row = prepare("SELECT id, name, fallback_email, email_filters, response_targets, created_at FROM inboxes WHERE id = ?").get(id) as InboxRow | undefined;
        return row ? Effect.succeed(toInbox(row)) : Effect.fail(new NotFound({ entity: "inbox", id }));
      });

    /** A team row as the pages read it: its hours read against the workspace's calendar (read once per list) at one instant. */
    const toTeam = (row: TeamRow, workspace: ReturnType<typeof readBusinessHours>, now: number): Team => {
      const hours = decodeTeamHours(row.hours);
      const schedule = teamAvailability(hours, workspace);
      return {
        id: row.id,
        name: row.name,
        memberIds: membersOf("team_members", "team_id", row.id),
        createdAt: row.created_at,
        hours,
        schedule,
        hoursSummary: summarizeTeamHours(hours, schedule, now),
      };
    };

    const readTeam = (id: string): Effect.Effect<Team, NotFound> =>
      Effect.suspend(() => {
        const row = prepare("SELECT id, name, created_at, hours FROM teams WHERE id = ?").get(id) as TeamRow | undefined;
        return row ? Effect.succeed(toTeam(row, readBusinessHours(prepare), wallClock.now())) : Effect.fail(new NotFound({ entity: "team", id }));
      });

    const readProfile = (userId: string): Effect.Effect<Profile, NotFound> =>
      Effect.suspend(() => {
        const row = prepare(
          `SELECT id, name, email, role, display_name, avatar_url, meeting_link, availability, working_hours, notification_settings, languages, disabled_at
           FROM users WHERE id = ? AND id <> ?`,
          // The Automation user (automation rules) has no profile to read, edit, enable or give a role.
        ).get(userId, AUTOMATION_ACTOR.id) as ProfileRow | undefined;
        if (!row) return Effect.fail(new NotFound({ entity: "user", id: userId }));
        // Before any edit, working_hours holds the column's default '[]': no hours, UTC.
        const hours = Option.getOrElse(decodeHours(row.working_hours), () => DEFAULT_WORKING_HOURS);
        const notifications = Option.getOrElse(decodeNotifications(row.notification_settings), () => ({}));
        return Effect.succeed({
          userId: row.id,
          name: row.name,
          email: row.email,
          role: row.role,
          displayName: row.display_name,
          avatarUrl: row.avatar_url,
          meetingLink: row.meeting_link,
          availability: row.availability,
          workingHours: hours,
          notificationSettings: { ...DEFAULT_NOTIFICATIONS, ...notifications },
          languages: storedLanguages(row.languages),
          disabledAt: row.disabled_at,
        });
      });

    /** Writes `fn`; a unique-name violation becomes Conflict with `message`, anything else a defect. */
    const writeUnique = <T>(fn: (s: Sqlite) => T, message: string): Effect.Effect<T, Conflict> =>
      db.writeEffect(fn).pipe(
        Effect.catchTag("WriteFailed", (failed) =>
          isUniqueViolation(failed.cause) ? Effect.fail(new Conflict({ message })) : Effect.die(failed.cause),
        ),
      );

    /**
     * The ids, de-duplicated, each an enabled agent or admin — or a disabled one who is a member
     * already (`current`), so saving a checklist keeps what enabling them would restore; else
     * InvalidInput at `userIds[i]`.
     */
    const checkMembers = (input: unknown, current: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const ids = unique(yield* decodeOrFail(UserIds, input, "userIds"));
        const issues: Array<{ path: string; message: string }> = [];
        ids.forEach((id, i) => {
          const row = prepare("SELECT name, role, disabled_at FROM users WHERE id = ?").get(id) as
            | { name: string; role: string; disabled_at: number | null }
            | undefined;
          if (!row) issues.push({ path: `userIds[${i}]`, message: `no user has the id ${id}` });
          else if (row.disabled_at !== null && !current.includes(id)) issues.push({ path: `userIds[${i}]`, message: `${row.name} is disabled` });
          else if (!INBOX_ROLES.includes(row.role)) {
            issues.push({ path: `userIds[${i}]`, message: `${row.name} is a ${row.role}; only agents and admins work in inboxes` });
          }
        });
        if (issues.length > 0) return yield* Effect.fail(new InvalidInput({ issues }));
        return ids;
      });

    const listInboxes: WorkspaceShape["listInboxes"] = () =>
      Effect.sync(() =>
        (prepare("SELECT id, name, fallback_email, email_filters, response_targets, created_at FROM inboxes ORDER BY name COLLATE NOCASE, id").all() as InboxRow[]).map(
          toInbox,
        ),
      );

    const createInbox: WorkspaceShape["createInbox"] = Effect.fn("Workspace.createInbox")(function* (input) {
      const inbox = yield* decodeOrFail(NewInbox, input);
      const id = newId("inbox");
      const actor = yield* auditActor;
      yield* writeUnique((s) => {
        const now = wallClock.now();
        s.prepare("INSERT INTO inboxes (id, name, fallback_email, created_at) VALUES (?, ?, ?, ?)").run(id, inbox.name, inbox.fallbackEmail || null, now);
        recordAudit(s, now, actor, { action: "inbox.created", target: { type: "inbox", id, label: inbox.name } });
      }, `An inbox named ${inbox.name} already exists.`);
      return yield* Effect.orDie(readInbox(id));
    });

    const updateInbox: WorkspaceShape["updateInbox"] = Effect.fn("Workspace.updateInbox")(function* (id, input) {
      const before = yield* readInbox(id);
      const update = yield* decodeOrFail(InboxUpdate, input);
      if (update.routing?.teamId !== undefined && !prepare("SELECT 1 FROM teams WHERE id = ?").get(update.routing.teamId)) {
        return yield* Effect.fail(new InvalidInput({ issues: [{ path: "routing.teamId", message: "no such team" }] }));
      }
      const columns: Array<[string, string | null]> = [];
      if (update.name !== undefined) columns.push(["name", update.name]);
      if (update.fallbackEmail !== undefined) columns.push(["fallback_email", update.fallbackEmail || null]);
      if (update.routing !== undefined) columns.push(["routing", JSON.stringify(update.routing)]);
      // Targets are stored by their history's writer (decision 058, sixteenth session).
      const targets = update.responseTargets;
      if (update.emailFilters !== undefined) {
        columns.push([
          "email_filters",
          JSON.stringify({ blockedSenders: unique(update.emailFilters.blockedSenders), blockedDomains: unique(update.emailFilters.blockedDomains) }),
        ]);
      }
      const changed = [...columns.map(([c]) => c), ...(targets === undefined ? [] : ["response_targets"])];
      if (changed.length > 0) {
        const actor = yield* auditActor;
        yield* writeUnique((s) => {
          const now = wallClock.now();
          if (columns.length > 0) s.prepare(`UPDATE inboxes SET ${columns.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?`).run(...columns.map(([, v]) => v), id);
          if (targets !== undefined) putInboxTargets(s, now, id, targets);
          // What changed is named, not copied: filters and targets can be long.
          recordAudit(s, now, actor, {
            action: "inbox.updated",
            target: { type: "inbox", id, label: update.name ?? before.name },
            data: { changed, ...(update.name !== undefined && update.name !== before.name ? { renamedFrom: before.name } : {}) },
          });
        }, `An inbox named ${update.name ?? before.name} already exists.`);
      }
      // A new mode, team or cap can let queued conversations through (or end the queue, for manual).
      if (update.routing !== undefined) yield* routing.drainQueue(id);
      return yield* readInbox(id);
    });

    const setInboxMembers: WorkspaceShape["setInboxMembers"] = Effect.fn("Workspace.setInboxMembers")(function* (inboxId, input) {
      const before = yield* readInbox(inboxId);
      const ids = yield* checkMembers(input, before.memberIds);
      const actor = yield* auditActor;
      yield* Effect.orDie(
        db.writeEffect((s) => {
          s.prepare("DELETE FROM inbox_members WHERE inbox_id = ?").run(inboxId);
          const insert = s.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)");
          for (const id of ids) insert.run(inboxId, id);
          recordAudit(s, wallClock.now(), actor, {
            action: "inbox.members_changed",
            target: { type: "inbox", id: inboxId, label: before.name },
            data: memberChange(before.memberIds, ids),
          });
        }),
      );
      const removed = before.memberIds.filter((id) => !ids.includes(id));
      if (removed.length > 0) {
        // Agents who left cannot open these any more; admins still can, so theirs stay.
        const held = prepare(
          `SELECT c.id FROM conversations c JOIN users u ON u.id = c.assignee_id
           WHERE c.inbox_id = ? AND c.status = 'open' AND u.role <> 'admin'
             AND c.assignee_id IN (SELECT value FROM json_each(?))`,
        ).all(inboxId, JSON.stringify(removed)) as Array<{ id: string }>;
        yield* Effect.forEach(held, (c) => Effect.ignore(routing.routeConversation(c.id, { type: "routing" })), { discard: true });
      }
      yield* routing.drainQueue(inboxId);
      return yield* readInbox(inboxId);
    });

    const listTeams: WorkspaceShape["listTeams"] = () =>
      Effect.sync(() => {
        const workspace = readBusinessHours(prepare);
        const now = wallClock.now();
        return (prepare("SELECT id, name, created_at, hours FROM teams ORDER BY name COLLATE NOCASE, id").all() as TeamRow[]).map((row) =>
          toTeam(row, workspace, now),
        );
      });

    const createTeam: WorkspaceShape["createTeam"] = Effect.fn("Workspace.createTeam")(function* (input) {
      const team = yield* decodeOrFail(NewTeam, input);
      const id = newId("team");
      const actor = yield* auditActor;
      yield* writeUnique((s) => {
        const now = wallClock.now();
        s.prepare("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)").run(id, team.name, now);
        recordAudit(s, now, actor, { action: "team.created", target: { type: "team", id, label: team.name } });
      }, `A team named ${team.name} already exists.`);
      return yield* Effect.orDie(readTeam(id));
    });

    const setTeamMembers: WorkspaceShape["setTeamMembers"] = Effect.fn("Workspace.setTeamMembers")(function* (teamId, input) {
      const team = yield* readTeam(teamId);
      const ids = yield* checkMembers(input, team.memberIds);
      const actor = yield* auditActor;
      yield* Effect.orDie(
        db.writeEffect((s) => {
          s.prepare("DELETE FROM team_members WHERE team_id = ?").run(teamId);
          const insert = s.prepare("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)");
          for (const id of ids) insert.run(teamId, id);
          recordAudit(s, wallClock.now(), actor, { action: "team.members_changed", target: { type: "team", id: teamId, label: team.name }, data: memberChange(team.memberIds, ids) });
        }),
      );
      yield* routing.drainQueue();
      return yield* readTeam(teamId);
    });

    const setTeamHours: WorkspaceShape["setTeamHours"] = Effect.fn("Workspace.setTeamHours")(function* (teamId, input) {
      const team = yield* readTeam(teamId);
      const hours = yield* decodeOrFail(TeamHours, input);
      const stored = encodeTeamHours(hours);
      const actor = yield* auditActor;
      // Compared inside the write with what is stored (both written by encodeTeamHours), so saving the same hours again leaves no line.
      const changed = yield* Effect.orDie(
        db.writeEffect((s) => {
          const before = (s.prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined)?.hours ?? null;
          if (before === stored) return false;
          const now = wallClock.now();
          // In force from now on; earlier replies keep the hours of their day (decision 058).
          putTeamHours(s, now, teamId, stored);
          recordAudit(s, now, actor, {
            action: "team.hours_changed",
            target: { type: "team", id: teamId, label: team.name },
            data: { from: decodeTeamHours(before), to: hours },
          });
          return true;
        }),
      );
      // Hours that open the team now may let its queued conversations be assigned; those still waiting may read as open or closed now.
      if (changed) yield* routing.teamHoursChanged(teamId);
      return yield* readTeam(teamId);
    });

    const importTeamClosedDates: WorkspaceShape["importTeamClosedDates"] = Effect.fn("Workspace.importTeamClosedDates")(function* (teamId, input, refusalPath = "dates") {
      const team = yield* readTeam(teamId);
      const { dates, source, dryRun } = yield* decodeOrFail(ClosedDatesImport, input);
      const actor = yield* auditActor;
      /** What the import makes of the team's hours as stored now (read inside the write when it writes). */
      const plan = (stored: string | null) => {
        const hours = decodeTeamHours(stored);
        if (hours.source !== "own") return { refused: `${team.name} keeps no hours of its own: choose Own hours and save them first` } as const;
        const merged = mergeClosedDates(hours.closedDates, dates);
        if (merged.refused !== undefined) return { refused: merged.refused } as const;
        return { hours, added: merged.added, skipped: merged.skipped, closedDates: sortClosedDates([...hours.closedDates, ...merged.added]) } as const;
      };
      const readHours = (query: (sql: string) => { get: (id: string) => unknown }) => ((query("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined)?.hours ?? null);
      const outcome = dryRun
        ? plan(readHours(prepare))
        : yield* Effect.orDie(
            db.writeEffect((s) => {
              const planned = plan(readHours((sql) => s.prepare(sql)));
              if (planned.refused !== undefined || planned.added.length === 0) return planned;
              const next = { ...planned.hours, closedDates: planned.closedDates };
              const now = wallClock.now();
              putTeamHours(s, now, teamId, encodeTeamHours(next));
              recordAudit(s, now, actor, {
                action: "team.hours_changed",
                target: { type: "team", id: teamId, label: team.name },
                data: { from: planned.hours, to: next, source },
              });
              return planned;
            }),
          );
      if (outcome.refused !== undefined) return yield* Effect.fail(new InvalidInput({ issues: [{ path: refusalPath, message: outcome.refused }] }));
      // Closing days never opens the team, so the queues have nothing new to drain.
      return { dryRun, added: outcome.added, skipped: outcome.skipped, closedDates: outcome.closedDates } satisfies ClosedDatesImported;
    });

    const changeTeamClosedDates: WorkspaceShape["changeTeamClosedDates"] = <A>(teamId: string, change: ClosedDatesChange<A>, refusalPath = "teamId") =>
      Effect.gen(function* () {
        const team = yield* readTeam(teamId);
        const outcome = yield* Effect.orDie(
          db.writeEffect((s) => {
            const hours = decodeTeamHours((s.prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined)?.hours ?? null);
            if (hours.source !== "own") return { ok: false, refused: `${team.name} keeps no hours of its own: choose Own hours and save them first` } as const;
            const planned = change.plan(hours.closedDates);
            // Through the history, as every writer of a team's hours (decision 058).
            if (planned.store !== null) putTeamHours(s, wallClock.now(), teamId, encodeTeamHours({ ...hours, closedDates: sortClosedDates(planned.store) }));
            change.alongside(s, planned.result);
            return { ok: true, result: planned.result, changed: planned.store !== null } as const;
          }),
        );
        if (!outcome.ok) return yield* Effect.fail(new InvalidInput({ issues: [{ path: refusalPath, message: outcome.refused }] }));
        if (outcome.changed) yield* routing.teamHoursChanged(teamId);
        return outcome.result;
      }).pipe(Effect.withSpan("Workspace.changeTeamClosedDates"));

    const inboxesOfUser: WorkspaceShape["inboxesOfUser"] = (userId) =>
      Effect.sync(() =>
        (
          prepare(
            `SELECT i.id FROM inboxes i JOIN users u ON u.id = ?
             WHERE u.disabled_at IS NULL
               AND (u.role = 'admin' OR (u.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members m WHERE m.inbox_id = i.id AND m.user_id = u.id)))
             ORDER BY i.name COLLATE NOCASE, i.id`,
          ).all(userId) as Array<{ id: string }>
        ).map((r) => r.id),
      );

    const canAccessInbox: WorkspaceShape["canAccessInbox"] = (user, inboxId) => Effect.sync(() => userCanAccessInbox(prepare, user.id, inboxId));

    const setAvailability: WorkspaceShape["setAvailability"] = Effect.fn("Workspace.setAvailability")(function* (userId, input) {
      const availability = yield* decodeOrFail(Availability, input, "availability");
      yield* readProfile(userId);
      yield* Effect.orDie(db.writeEffect((s) => s.prepare("UPDATE users SET availability = ? WHERE id = ?").run(availability, userId)));
      if (availability === "available") {
        for (const inboxId of yield* inboxesOfUser(userId)) yield* routing.drainQueue(inboxId);
      }
      return yield* readProfile(userId);
    });

    const updateProfile: WorkspaceShape["updateProfile"] = Effect.fn("Workspace.updateProfile")(function* (userId, input) {
      yield* readProfile(userId);
      const edit = yield* decodeOrFail(ProfileEdit, input);
      const text = (value: string | null | undefined) => (value === undefined ? undefined : value === "" ? null : value);
      const columns: Array<[string, string | null]> = [];
      const set = (column: string, value: string | null | undefined) => {
        if (value !== undefined) columns.push([column, value]);
      };
      set("display_name", text(edit.displayName));
      set("avatar_url", text(edit.avatarUrl));
      set("meeting_link", text(edit.meetingLink));
      if (edit.workingHours !== undefined) set("working_hours", JSON.stringify(edit.workingHours));
      if (edit.notificationSettings !== undefined) set("notification_settings", JSON.stringify(edit.notificationSettings));
      // Nobody becomes free by speaking another language (the preference falls back to everyone), so no drain.
      if (edit.languages !== undefined) set("languages", encodeLanguages(edit.languages));
      if (columns.length > 0) {
        yield* Effect.orDie(
          db.writeEffect((s) =>
            s.prepare(`UPDATE users SET ${columns.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?`).run(...columns.map(([, v]) => v), userId),
          ),
        );
      }
      return yield* readProfile(userId);
    });

    /**
     * Pending conversations wait on the visitor; when they answer, the conversation must not come
     * back to someone who cannot open it. Unassigned by `actor`, with its event; returns how many.
     */
    const unassignPending = (actor: Pick<User, "id">, userId: string) =>
      Effect.gen(function* () {
        const pending = prepare("SELECT id, version FROM conversations WHERE assignee_id = ? AND status = 'pending'").all(userId) as Array<{
          id: string;
          version: number;
        }>;
        yield* Effect.forEach(pending, (c) => Effect.ignore(routing.assign(c.id, { userId: null }, actor.id, c.version)), { discard: true });
        return pending.length;
      });

    const setRole: WorkspaceShape["setRole"] = Effect.fn("Workspace.setRole")(function* (actor, userId, input) {
      const role = yield* decodeOrFail(Role, input, "role");
      const before = yield* readProfile(userId);
      if (before.role === role) return before;
      const audit = yield* auditActor;
      yield* db
        .writeEffect((s) => {
          const admins = (s.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?").get(userId) as {
            n: number;
          }).n;
          if (before.role === "admin" && admins === 0) throw new Conflict({ message: "The workspace needs at least one admin." });
          s.prepare("UPDATE users SET role = ? WHERE id = ?").run(role, userId);
          recordAudit(s, wallClock.now(), audit, { action: "user.role_changed", target: { type: "user", id: userId, label: before.email }, data: { from: before.role, to: role } });
        })
        .pipe(
          Effect.catchTag("WriteFailed", (failed) => (failed.cause instanceof Conflict ? Effect.fail(failed.cause) : Effect.die(failed.cause))),
        );
      // Someone who can no longer work in inboxes gives back what they held.
      if (!INBOX_ROLES.includes(role)) {
        const held = prepare("SELECT id FROM conversations WHERE assignee_id = ? AND status = 'open'").all(userId) as Array<{ id: string }>;
        yield* Effect.forEach(held, (c) => Effect.ignore(routing.routeConversation(c.id, { type: "routing" })), { discard: true });
        yield* unassignPending(actor, userId);
      }
      return yield* readProfile(userId);
    });

    const setDisabled: WorkspaceShape["setDisabled"] = Effect.fn("Workspace.setDisabled")(function* (actor, userId, disabled) {
      const before = yield* readProfile(userId);
      const audit = yield* auditActor;
      const target = { type: "user", id: userId, label: before.email };
      if (!disabled) {
        if (before.disabledAt !== null) {
          yield* Effect.orDie(
            db.writeEffect((s) => {
              s.prepare("UPDATE users SET disabled_at = NULL WHERE id = ?").run(userId);
              recordAudit(s, wallClock.now(), audit, { action: "user.enabled", target });
            }),
          );
          // Back at work: queued conversations of their inboxes may go to them now.
          for (const inboxId of yield* inboxesOfUser(userId)) yield* routing.drainQueue(inboxId);
        }
        return { profile: yield* readProfile(userId), endedSessions: 0, rerouted: 0 };
      }
      if (actor.id === userId) return yield* new Conflict({ message: "You cannot disable yourself; ask another admin." });
      const outcome = yield* db
        .writeEffect((s) => {
          const now = wallClock.now();
          // Counted inside the write, so two admins disabling each other at once cannot both succeed.
          const otherAdmins = (s.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?").get(userId) as {
            n: number;
          }).n;
          if (before.role === "admin" && otherAdmins === 0) throw new Conflict({ message: "The workspace needs at least one enabled admin." });
          const changed = s.prepare("UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ? AND disabled_at IS NULL").run(now, userId).changes;
          const endedSessions = s.prepare("DELETE FROM sessions WHERE user_id = ?").run(userId).changes;
          if (changed > 0) recordAudit(s, now, audit, { action: "user.disabled", target, data: { endedSessions } });
          // Disabled already, so the inbox's routing passes them over.
          const held = prepare("SELECT id FROM conversations WHERE assignee_id = ? AND status = 'open' ORDER BY id").all(userId) as Array<{
            id: string;
          }>;
          const assignments = held.flatMap((c) => routing.routeInWrite(prepare, c.id, { type: "routing" }, now) ?? []);
          return { endedSessions, assignments, rerouted: held.length };
        })
        .pipe(
          Effect.catchTag("WriteFailed", (failed) => (failed.cause instanceof Conflict ? Effect.fail(failed.cause) : Effect.die(failed.cause))),
        );
      yield* routing.publish(outcome.assignments);
      const unassigned = yield* unassignPending(actor, userId);
      return { profile: yield* readProfile(userId), endedSessions: outcome.endedSessions, rerouted: outcome.rerouted + unassigned };
    });

    return {
      setDisabled,
      listInboxes,
      getInbox: (id) => readInbox(id),
      createInbox,
      updateInbox,
      setInboxMembers,
      listTeams,
      getTeam: (id) => readTeam(id),
      createTeam,
      setTeamMembers,
      setTeamHours,
      importTeamClosedDates,
      changeTeamClosedDates,
      inboxesOfUser,
      canAccessInbox,
      setAvailability,
      getProfile: (userId) => readProfile(userId),
      updateProfile,
      setRole,
    } satisfies WorkspaceShape;
  }),
);
