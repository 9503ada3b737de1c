/**
 * Accounts: the people who use Parley (admins, marketers, agents, analysts), their sign-in
 * sessions and their profiles.
 *
 * Sessions: the cookie carries a random 256-bit token; the database keeps only its SHA-256
 * (`sessions.id`), so a leaked database copy cannot be replayed as a cookie. Each session has
 * its own CSRF token, which every mutation of the Remix app must echo back.
 *
 * Login is constant-time with respect to unknown emails (a dummy scrypt verify still runs) and
 * throttled per email address (10 failures in 15 minutes → RateLimited) against guessing. A
 * wrong current password when changing one's password counts toward the same limit, so the
 * form cannot be used to guess around it.
 *
 * Two-factor sign-in (runtime/services/two-factor.ts): for a user who has it, a correct
 * password opens no session — `login` fails with SecondFactorRequired, and `completeLogin` opens
 * it once the second factor is proven. Wrong codes count toward the same throttles as wrong
 * passwords, and a correct password alone does not clear the email's failures (else knowing the
 * password would buy fresh code guesses).
 *
 * Passwords change in two ways: one's own (`changePassword`, which proves the current one and
 * ends one's OTHER sessions) and an admin's reset (`setPassword`, which ends every session of
 * that user). Disabling a user lives in Workspace, which also re-routes what they held.
 */
import { Clock, Context, Data, Effect, Either, Layer, Schema as S } from "effect";
import { createHash } from "node:crypto";
import { decodeWith } from "../../flows/decode.js";
import { storedLanguages } from "../core/language-tags.js";
import { auditActor, recordAudit, type AuditActor, type AuditRecord } from "./audit-log.js";
import { Database } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated } from "./errors.js";
import { newId, newSecret } from "./ids.js";
import { hashPassword, verifyPassword } from "./password.js";
import { AUTOMATION_ACTOR } from "./inbox-access.js";

// ---------------------------------------------------------------------------------------------
// Schemas

/** One of `values`, reported as ONE issue (a literal union would report one per member). */
const oneOf = <const T extends string>(values: ReadonlyArray<T>) =>
  S.String.pipe(
    S.filter((value): value is T => (values as ReadonlyArray<string>).includes(value), {
      message: () => `expected one of ${values.join(", ")}`,
    }),
  );

export const roles = ["admin", "marketer", "agent", "analyst"] as const;
export const Role = oneOf(roles);
export type Role = typeof Role.Type;

export const availabilities = ["available", "away"] as const;
export const Availability = oneOf(availabilities);
export type Availability = typeof Availability.Type;

/** An email address, trimmed and lower-cased (a deliberate, simple check). */
export const Email = S.compose(S.Trim, S.Lowercase).pipe(
  S.minLength(1, { message: () => "enter an email address" }),
  S.maxLength(254, { message: () => "an email address is at most 254 characters" }),
  S.pattern(/^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/, {
    message: () => "expected an email address like name@example.com",
  }),
);

export const PASSWORD_MIN = 8;
// scrypt's cost does not grow with the length, but nobody needs a password longer than this.
export const PASSWORD_MAX = 256;
export const Password = S.String.pipe(
  S.minLength(PASSWORD_MIN, { message: () => `a password has at least ${PASSWORD_MIN} characters` }),
  S.maxLength(PASSWORD_MAX, { message: () => `a password has at most ${PASSWORD_MAX} characters` }),
);

const Name = S.Trim.pipe(
  S.minLength(1, { message: () => "enter a name" }),
  S.maxLength(100, { message: () => "a name is at most 100 characters" }),
);

/** What an admin sends to create a user. */
export const NewUser = S.Struct({ email: Email, name: Name, role: Role, password: Password });
export type NewUser = typeof NewUser.Type;

const isHttpUrl = (value: string): boolean => {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
};

/** Optional text in a profile form: trimmed; an empty field clears the value (null). */
const ClearableText = (max: number, what: string) =>
  S.NullOr(S.Trim.pipe(S.maxLength(max, { message: () => `${what} is at most ${max} characters` })));
const ClearableUrl = (what: string) =>
  S.NullOr(
    S.Trim.pipe(
      S.maxLength(2000, { message: () => `${what} is at most 2,000 characters` }),
      S.filter((value) => value === "" || isHttpUrl(value), {
        message: () => `${what} must be an http(s) URL like https://example.com/…`,
      }),
    ),
  );

/** What a person sends to change their own password. */
export const PasswordChange = S.Struct({
  currentPassword: S.String.pipe(S.minLength(1, { message: () => "enter your current password" })),
  newPassword: Password,
  confirmPassword: S.String,
}).pipe(
  S.filter((change) => change.newPassword === change.confirmPassword || { path: ["confirmPassword"], message: "the two new passwords differ" }),
);
export type PasswordChange = typeof PasswordChange.Type;

/** What an admin sends to set someone's password (a temporary one they pass on). */
export const PasswordReset = S.Struct({ password: Password });

/** A profile edit: every field optional; an empty string or null clears it. */
export const ProfileUpdate = S.Struct({
  displayName: S.optional(ClearableText(80, "a display name")),
  avatarUrl: S.optional(ClearableUrl("an avatar URL")),
  meetingLink: S.optional(ClearableUrl("a meeting link")),
  availability: S.optional(Availability),
});
export type ProfileUpdate = typeof ProfileUpdate.Type;

// ---------------------------------------------------------------------------------------------
// Shapes

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  /** The name visitors see (falls back to `name`). */
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
  readonly meetingLink: string | null;
  readonly availability: Availability;
  /** The languages they answer in (primary tags, decision 055); empty when not set. */
  readonly languages: ReadonlyArray<string>;
  readonly createdAt: number;
  /** When an admin disabled the user (null while enabled): they cannot sign in or get conversations. */
  readonly disabledAt: number | null;
}

/** A signed-in session as login returns it: `token` goes into the cookie and nowhere else. */
export interface Session {
  readonly token: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
  readonly user: User;
}

/** What a session token resolves to. */
export interface SessionInfo {
  readonly user: User;
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** The workspace requires two-factor sign-in and this user has not set it up: they must, before anything else. */
  readonly twoFactorSetupDue: boolean;
}

/**
 * The password was right, but the user has two-factor sign-in: no session yet. Prove the second
 * factor with `completeLogin(userId, …)`. Not an HTTP error: the login page turns it into its
 * second step.
 */
export class SecondFactorRequired extends Data.TaggedError("SecondFactorRequired")<{ readonly userId: string }> {}

export interface AccountsShape {
  /**
   * Checks the password and opens a session; Unauthenticated for a wrong email or password;
   * SecondFactorRequired (no session) for a user with two-factor sign-in.
   * `from` is the client's address, when known: failures count per address too.
   */
  readonly login: (
    email: string,
    password: string,
    from?: string,
  ) => Effect.Effect<Session, Unauthenticated | RateLimited | SecondFactorRequired>;
  /**
   * The second step of a sign-in `login` answered with SecondFactorRequired: runs `check` (the
   * second factor: a value, or null when wrong) under the same throttles as passwords; a wrong
   * one counts as a failed sign-in and fails with Unauthenticated(`wrongMessage`); a right one
   * clears the email's failures and opens the session. A user disabled meanwhile is refused.
   */
  readonly completeLogin: <A, E, R>(
    userId: string,
    check: Effect.Effect<A | null, E, R>,
    options: { readonly from?: string | undefined; readonly wrongMessage: string },
  ) => Effect.Effect<{ readonly session: Session; readonly proof: A }, Unauthenticated | RateLimited | E, R>;
  /**
   * Runs `check` (a proof that `actor` is who they say: a code, a password) under their email's
   * sign-in throttle, as a wrong current password on the profile page does: RateLimited while
   * locked; null counts as a failed sign-in; a value clears the email's failures.
   */
  readonly proveIdentity: <A, E, R>(actor: User, check: Effect.Effect<A | null, E, R>) => Effect.Effect<A | null, RateLimited | E, R>;
  /** True when `password` is `userId`'s password (no throttle: wrap it in `proveIdentity`). */
  readonly checkPassword: (userId: string, password: string) => Effect.Effect<boolean>;
  /** Ends the session of `token` (no-op when it does not exist). */
  readonly logout: (token: string) => Effect.Effect<void>;
  /** The user and CSRF token of a live session; null when unknown, expired or the user is disabled. */
  readonly getSession: (token: string) => Effect.Effect<SessionInfo | null>;
  /** Creates a user; only admins may, and the input is decoded by `NewUser`. */
  readonly createUser: (actor: User, input: unknown) => Effect.Effect<User, Forbidden | InvalidInput | Conflict>;
  /**
   * Creates the user when its email is not taken yet, else returns the existing one — for the
   * first-start seed, which has no signed-in admin. Not for routes.
   */
  readonly seedUser: (input: unknown) => Effect.Effect<{ readonly user: User; readonly created: boolean }, InvalidInput>;
  /** Every enabled user (and the disabled ones too with `includeDisabled`), admins first, then by name. */
  readonly listUsers: (options?: { readonly includeDisabled?: boolean }) => Effect.Effect<ReadonlyArray<User>>;
  /** One user by id. */
  readonly getUser: (userId: string) => Effect.Effect<User, NotFound>;
  /** Edits a profile: one's own, or anyone's for an admin. */
  readonly updateUser: (
    actor: User,
    userId: string,
    input: unknown,
  ) => Effect.Effect<User, Forbidden | InvalidInput | NotFound>;
  /**
   * Changes one's own password (input decoded by `PasswordChange`): a wrong current password is
   * InvalidInput at `currentPassword` and counts as a failed login; on success every session of
   * the actor except `keepToken`'s ends. Returns how many sessions ended.
   */
  readonly changePassword: (
    actor: User,
    input: unknown,
    keepToken: string,
  ) => Effect.Effect<{ readonly endedSessions: number }, InvalidInput | RateLimited | NotFound>;
  /** An admin sets `userId`'s password (input decoded by `PasswordReset`); every session of that user ends. */
  readonly setPassword: (
    actor: User,
    userId: string,
    input: unknown,
  ) => Effect.Effect<{ readonly endedSessions: number }, Forbidden | InvalidInput | NotFound>;
}

export class Accounts extends Context.Tag("Accounts")<Accounts, AccountsShape>() {}

export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;
/**
 * Failed sign-ins from one address per window, whatever the emails: the per-email limit alone
 * lets one machine try a common password on every account ("spraying"). High enough for an
 * office behind one address where people mistype.
 */
export const LOGIN_ADDRESS_FAILURE_LIMIT = 50;

/** The `settings` row that, set to "1", makes every user set up two-factor sign-in before anything else. */
export const REQUIRE_TWO_FACTOR_SETTING = "require_two_factor";

/**
 * SQL: 1 when the workspace requires two-factor sign-in and the user whose id is in `userIdColumn`
 * has not turned it on (sessions are sent to set it up; API tokens are refused), else 0.
 */
export const twoFactorSetupDueSql = (userIdColumn: string): string =>
  `(EXISTS (SELECT 1 FROM settings WHERE key = '${REQUIRE_TWO_FACTOR_SETTING}' AND value = '1')
    AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = ${userIdColumn} AND t.enabled_at IS NOT NULL))`;

/** The message for every failed login, so it never tells which emails exist. */
export const WRONG_CREDENTIALS = "The email or password is incorrect.";

/** The database key of a session token (SHA-256, hex). Pure. */
export const sessionKey = (token: string): string => createHash("sha256").update(token).digest("hex");

// ---------------------------------------------------------------------------------------------
// Rows

const UserRow = S.Struct({
  id: S.String,
  email: S.String,
  name: S.String,
  role: Role,
  display_name: S.NullOr(S.String),
  avatar_url: S.NullOr(S.String),
  meeting_link: S.NullOr(S.String),
  availability: Availability,
  languages: S.NullOr(S.String),
  created_at: S.Number,
  disabled_at: S.NullOr(S.Number),
});
const decodeUserRow = S.decodeUnknownSync(UserRow);

// A row that fails to decode is a corrupted database, hence a defect (thrown), not an expected error.
const toUser = (row: unknown): User => {
  const r = decodeUserRow(row);
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    displayName: r.display_name,
    avatarUrl: r.avatar_url,
    meetingLink: r.meeting_link,
    availability: r.availability,
    languages: storedLanguages(r.languages),
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
};

/** An audit line and who it names, for a write that records it. */
interface Audited {
  readonly actor: AuditActor;
  readonly record: AuditRecord;
}

/** The audit line of a sign-in: the user, from `from`, and how they proved who they are. */
const signInLine = (actor: AuditActor, user: User, from: string | undefined, method: string): Audited => ({
  actor: { ...actor, userId: user.id, ip: from ?? actor.ip },
  record: { action: "session.signed_in", data: { method } },
});

const USER_COLUMNS = "id, email, name, role, display_name, avatar_url, meeting_link, availability, languages, created_at, disabled_at";

/** `input` decoded by `schema`, or InvalidInput with every issue. */
export const decodeOrFail = <A, I>(schema: S.Schema<A, I, never>, input: unknown): Effect.Effect<A, InvalidInput> =>
  Either.match(decodeWith(schema)(input), {
    onLeft: (issues) => Effect.fail(new InvalidInput({ issues })),
    onRight: Effect.succeed,
  });

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE";

// ---------------------------------------------------------------------------------------------
// Login throttle

interface Failures {
  count: number;
  since: number;
}

/** How many emails the throttle remembers at most. */
export const LOGIN_THROTTLE_CAPACITY = 10_000;

/**
 * Failed logins per key (an email, a client address) in a fixed window, in memory (checked on
 * every login without a read); the Accounts layer also keeps them in `login_failures` (migration
 * 22) and loads them at start, so a restart does not hand an attacker fresh guesses. When full,
 * it forgets the expired entries, then the oldest ones that lock nobody out yet: a spray of
 * made-up emails must not push a locked account out and so unlock it.
 */
export const makeLoginThrottle = (capacity = LOGIN_THROTTLE_CAPACITY, limit = LOGIN_FAILURE_LIMIT) => {
  const failures = new Map<string, Failures>();
  const expired = (entry: Failures, now: number) => now - entry.since >= LOGIN_FAILURE_WINDOW_MS;
  const makeRoom = (now: number) => {
    for (const [k, v] of failures) if (expired(v, now)) failures.delete(k);
    // Map iteration is insertion order: the oldest first. Keep a tenth free so this runs seldom.
    const target = Math.floor(capacity * 0.9);
    for (const [k, v] of failures) {
      if (failures.size < target) return;
      if (v.count < limit) failures.delete(k);
    }
    // Every entry is a locked account: forgetting the oldest lock is the least harm left.
    for (const k of failures.keys()) {
      if (failures.size < target) return;
      failures.delete(k);
    }
  };
  return {
    check: (key: string, now: number): RateLimited | undefined => {
      const entry = failures.get(key);
      if (!entry || expired(entry, now) || entry.count < limit) return undefined;
      return new RateLimited({ retryAfterSeconds: Math.max(1, Math.ceil((entry.since + LOGIN_FAILURE_WINDOW_MS - now) / 1000)) });
    },
    fail: (key: string, now: number) => {
      const entry = failures.get(key);
      if (entry && !expired(entry, now)) {
        entry.count++;
        return;
      }
      // A new window starts at the end of the order, so its entry is among the last forgotten.
      failures.delete(key);
      if (failures.size >= capacity) makeRoom(now);
      failures.set(key, { count: 1, since: now });
    },
    reset: (key: string) => {
      failures.delete(key);
    },
    size: () => failures.size,
    /** The key's count and window start, when it has failures. */
    entry: (key: string): Readonly<Failures> | undefined => failures.get(key),
    /** Puts back a stored entry (at start, oldest first, so the order of forgetting holds). */
    restore: (key: string, count: number, since: number) => {
      failures.delete(key);
      if (failures.size >= capacity) makeRoom(since);
      failures.set(key, { count, since });
    },
  };
};

/** The two throttles' names in `login_failures`. */
type ThrottleScope = "email" | "address";

// ---------------------------------------------------------------------------------------------
// Layer

/** The Accounts service over the app's Database. */
export const layer: Layer.Layer<Accounts, never, Database> = Layer.effect(
  Accounts,
  Effect.gen(function* () {
    const db = yield* Database;
    // Unknown emails are verified against this so a wrong email costs the same scrypt as a wrong password.
    const dummyHash = yield* Effect.promise(() => hashPassword(newSecret()));
    const throttle = makeLoginThrottle();
    const addressThrottle = makeLoginThrottle(LOGIN_THROTTLE_CAPACITY, LOGIN_ADDRESS_FAILURE_LIMIT);
    const throttles: Record<ThrottleScope, ReturnType<typeof makeLoginThrottle>> = { email: throttle, address: addressThrottle };
    // What the last run counted and whose window is still open: the newest ones, oldest first.
    {
      const since = Date.now() - LOGIN_FAILURE_WINDOW_MS;
      yield* Effect.orDie(db.writeEffect((s) => s.prepare("DELETE FROM login_failures WHERE since <= ?").run(since)));
      for (const scope of ["email", "address"] as const) {
        const rows = db
          .prepare("SELECT key, count, since FROM login_failures WHERE scope = ? AND since > ? ORDER BY since DESC, key LIMIT ?")
          .all(scope, since, LOGIN_THROTTLE_CAPACITY) as Array<{ key: string; count: number; since: number }>;
        for (const row of rows.reverse()) throttles[scope].restore(row.key, row.count, row.since);
      }
    }
    /** Forgets an email's failed sign-ins (it signed in, or got a new password), in memory and stored; no write when there were none. */
    const forgetEmail = (key: string, now: number) =>
      throttle.entry(key) === undefined ? Effect.void : Effect.zipRight(Effect.sync(() => throttle.reset(key)), persistThrottles([["email", key]], now));
    /** Writes the keys' entries as the throttles hold them now (a key without one is deleted), and drops expired rows. */
    const persistThrottles = (keys: ReadonlyArray<readonly [ThrottleScope, string]>, now: number, audited?: Audited) =>
      Effect.orDie(
        db.writeEffect((s) => {
          if (audited !== undefined) recordAudit(s, now, audited.actor, audited.record);
          for (const [scope, key] of keys) {
            const entry = throttles[scope].entry(key);
            if (entry === undefined) s.prepare("DELETE FROM login_failures WHERE scope = ? AND key = ?").run(scope, key);
            else
              s.prepare(
                `INSERT INTO login_failures (scope, key, count, since) VALUES (?, ?, ?, ?)
                 ON CONFLICT (scope, key) DO UPDATE SET count = excluded.count, since = excluded.since`,
              ).run(scope, key, entry.count, entry.since);
          }
          s.prepare("DELETE FROM login_failures WHERE since <= ?").run(now - LOGIN_FAILURE_WINDOW_MS);
        }),
      );

    const selectUserByEmail = db.prepare(`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = ?`);
    // The Automation user (automation rules) is nobody's to edit, enable or give a password: it does not exist here.
    const selectUserById = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ? AND id <> '${AUTOMATION_ACTOR.id}'`);
    // One statement per page load: the requirement of two-factor sign-in is read with the session.
    const selectSession = db.prepare(
      `SELECT s.csrf_token, s.expires_at, ${USER_COLUMNS.split(", ").map((c) => "u." + c).join(", ")},
         ${twoFactorSetupDueSql("u.id")} AS two_factor_setup_due
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
    );
    const selectSecondFactor = db.prepare("SELECT 1 FROM two_factor WHERE user_id = ? AND enabled_at IS NOT NULL");

    const findByEmail = (email: string) =>
      selectUserByEmail.get(email) as
        | (Record<string, unknown> & { password_hash: string; disabled_at: number | null })
        | undefined;

    const insertUser = (user: NewUser, passwordHash: string, now: number, actor: AuditActor): Effect.Effect<User, Conflict> => {
      const id = newId("usr");
      return db
        .writeEffect((sqlite) => {
          sqlite
            .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .run(id, user.email, user.name, user.role, passwordHash, now);
          recordAudit(sqlite, now, actor, { action: "user.created", target: { type: "user", id, label: user.email }, data: { role: user.role, name: user.name } });
          return toUser(selectUserById.get(id));
        })
        .pipe(
          Effect.catchTag("WriteFailed", (failed) =>
            isUniqueViolation(failed.cause)
              ? Effect.fail(new Conflict({ message: `A user with the email ${user.email} already exists.` }))
              : Effect.die(failed.cause),
          ),
        );
    };

    /** The throttles' verdict on `key` (an email) and `from` (an address) now: RateLimited while either is locked. */
    const limitedFor = (key: string, from: string | undefined, now: number) =>
      throttle.check(key, now) ?? (from !== undefined ? addressThrottle.check(from, now) : undefined);

    /** Counts one failed sign-in for `key` and `from`, in memory and stored (with its audit line, when one is given). */
    const countFailure = (key: string, from: string | undefined, now: number, audited?: Audited) => {
      throttle.fail(key, now);
      // Not reset by a success: one good account must not clear an address's failed guesses at others.
      if (from !== undefined) addressThrottle.fail(from, now);
      return persistThrottles(from !== undefined ? [["email", key], ["address", from]] : [["email", key]], now, audited);
    };

    /** The audit line of a refused sign-in as `email` (the user's, when the address is one). */
    const refusal = (actor: AuditActor, key: string, from: string | undefined, userId: string | null, reason: string): Audited => ({
      actor: { ...actor, userId: null, ip: from ?? actor.ip },
      record: {
        action: "session.sign_in_refused",
        ...(userId === null ? {} : { target: { type: "user", id: userId, label: key } }),
        data: { email: key.slice(0, 200), reason },
      },
    });

    /** `check` under the throttles of `key` and `from`: RateLimited while locked; null counts as a failure; a value clears `key`'s failures. */
    const throttled = <A, E, R>(key: string, from: string | undefined, check: Effect.Effect<A | null, E, R>, refused?: Audited) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const limited = limitedFor(key, from, now);
        if (limited) return yield* Effect.fail(limited);
        const proof = yield* check;
        if (proof === null) {
          yield* countFailure(key, from, now, refused);
          return null;
        }
        yield* forgetEmail(key, now);
        return proof;
      });

    /** A new session of `user`, stored (as its token's hash) in one write, with its audit line. */
    const openSession = (user: User, now: number, signedIn: Audited) => {
      const token = newSecret();
      const csrfToken = newSecret();
      const expiresAt = now + SESSION_TTL_MS;
      return Effect.as(
        Effect.orDie(
          db.writeEffect((sqlite) => {
            // Each login tidies the user's expired sessions, so the table does not grow without end.
            sqlite.prepare("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?").run(user.id, now);
            sqlite
              .prepare("INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
              .run(sessionKey(token), user.id, csrfToken, now, expiresAt);
            recordAudit(sqlite, now, signedIn.actor, signedIn.record);
          }),
        ),
        { token, csrfToken, expiresAt, user } satisfies Session,
      );
    };

    const login: AccountsShape["login"] = Effect.fn("Accounts.login")(function* (email, password, from) {
      const now = yield* Clock.currentTimeMillis;
      const key = email.trim().toLowerCase();
      const limited = limitedFor(key, from, now);
      if (limited) return yield* Effect.fail(limited);
      const row = key === "" ? undefined : findByEmail(key);
      const attempt = password.length <= PASSWORD_MAX ? password : "";
      const matches = yield* Effect.promise(() => verifyPassword(attempt, row?.password_hash ?? dummyHash));
      if (!row || !matches || row.disabled_at !== null || password.length > PASSWORD_MAX) {
        const reason = !row ? "no such user" : !matches || password.length > PASSWORD_MAX ? "wrong password" : "user disabled";
        const actor = yield* auditActor;
        // The Automation user has no password; a guess at its address reads as any unknown one.
        const userId = row && row.id !== AUTOMATION_ACTOR.id ? (row.id as string) : null;
        yield* countFailure(key, from, now, refusal(actor, key, from, userId, userId === null ? "no such user" : reason));
        return yield* new Unauthenticated({ message: WRONG_CREDENTIALS });
      }
      const user = toUser(row);
      // The email's failures stay counted until the second factor is proven too.
      if (selectSecondFactor.get(user.id) !== undefined) return yield* new SecondFactorRequired({ userId: user.id });
      yield* forgetEmail(key, now);
      return yield* openSession(user, now, signInLine(yield* auditActor, user, from, "password"));
    });

    const completeLogin: AccountsShape["completeLogin"] = (userId, check, options) =>
      Effect.gen(function* () {
        const row = selectUserById.get(userId);
        const user = row === undefined ? null : toUser(row);
        if (user === null || user.disabledAt !== null) return yield* new Unauthenticated({ message: WRONG_CREDENTIALS });
        const actor = yield* auditActor;
        const proof = yield* throttled(user.email, options.from, check, refusal(actor, user.email, options.from, user.id, "wrong second factor"));
        if (proof === null) return yield* new Unauthenticated({ message: options.wrongMessage });
        const session = yield* openSession(user, yield* Clock.currentTimeMillis, signInLine(actor, user, options.from, "password and second factor"));
        return { session, proof };
      });

    const proveIdentity: AccountsShape["proveIdentity"] = (actor, check) => throttled(actor.email, undefined, check);

    const checkPassword: AccountsShape["checkPassword"] = (userId, password) =>
      Effect.suspend(() => {
        const row = db.prepare("SELECT password_hash FROM users WHERE id = ?").get(userId) as { password_hash: string } | undefined;
        if (row === undefined || password.length > PASSWORD_MAX) return Effect.succeed(false);
        return Effect.promise(() => verifyPassword(password, row.password_hash));
      });

    const logout: AccountsShape["logout"] = Effect.fn("Accounts.logout")(function* (token) {
      const actor = yield* auditActor;
      const now = yield* Clock.currentTimeMillis;
      yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          const ended = sqlite.prepare("DELETE FROM sessions WHERE id = ? RETURNING user_id").get(sessionKey(token)) as { user_id: string } | undefined;
          if (ended !== undefined) recordAudit(sqlite, now, { ...actor, userId: ended.user_id }, { action: "session.signed_out" });
        }),
      );
    });

    // Not wrapped in Effect.fn: it runs on every page load and must stay cheap.
    const getSession: AccountsShape["getSession"] = (token) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          if (token === "") return null;
          const row = selectSession.get(sessionKey(token)) as
            | (Record<string, unknown> & { csrf_token: string; expires_at: number; disabled_at: number | null; two_factor_setup_due: number })
            | undefined;
          if (!row || row.expires_at <= now || row.disabled_at !== null) return null;
          return { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at, twoFactorSetupDue: row.two_factor_setup_due === 1 };
        }),
      );

    const createUser: AccountsShape["createUser"] = Effect.fn("Accounts.createUser")(function* (actor, input) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can create users." });
      const user = yield* decodeOrFail(NewUser, input);
      if (findByEmail(user.email)) {
        return yield* new Conflict({ message: `A user with the email ${user.email} already exists.` });
      }
      const passwordHash = yield* Effect.promise(() => hashPassword(user.password));
      return yield* insertUser(user, passwordHash, yield* Clock.currentTimeMillis, yield* auditActor);
    });

    const seedUser: AccountsShape["seedUser"] = Effect.fn("Accounts.seedUser")(function* (input) {
      const user = yield* decodeOrFail(NewUser, input);
      const existing = findByEmail(user.email);
      if (existing) return { user: toUser(existing), created: false };
      const passwordHash = yield* Effect.promise(() => hashPassword(user.password));
      const created = yield* insertUser(user, passwordHash, yield* Clock.currentTimeMillis, yield* auditActor).pipe(
        // Lost a race with another seeder: the user exists, which is what was asked.
        Effect.catchTag("Conflict", () => Effect.sync(() => toUser(findByEmail(user.email)))),
      );
      return { user: created, created: true };
    });

    const listUsers: AccountsShape["listUsers"] = (options) =>
      Effect.sync(() =>
        db
          .prepare(
            `SELECT ${USER_COLUMNS} FROM users WHERE (? OR disabled_at IS NULL) AND id <> '${AUTOMATION_ACTOR.id}'
             ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, name COLLATE NOCASE, email`,
          )
          .all(options?.includeDisabled === true ? 1 : 0)
          .map(toUser),
      );

    const getUser: AccountsShape["getUser"] = (userId) =>
      Effect.suspend(() => {
        const row = selectUserById.get(userId);
        return row ? Effect.succeed(toUser(row)) : Effect.fail(new NotFound({ entity: "user", id: userId }));
      });

    const updateUser: AccountsShape["updateUser"] = Effect.fn("Accounts.updateUser")(function* (actor, userId, input) {
      if (actor.id !== userId && actor.role !== "admin") {
        return yield* new Forbidden({ message: "You can only edit your own profile." });
      }
      const update = yield* decodeOrFail(ProfileUpdate, input);
      yield* getUser(userId);
      const emptyToNull = (value: string | null | undefined) => (value === undefined ? undefined : value === "" ? null : value);
      const columns: Array<[string, string | null]> = [];
      const set = (column: string, value: string | null | undefined) => {
        if (value !== undefined) columns.push([column, value]);
      };
      set("display_name", emptyToNull(update.displayName));
      set("avatar_url", emptyToNull(update.avatarUrl));
      set("meeting_link", emptyToNull(update.meetingLink));
      set("availability", update.availability);
      if (columns.length > 0) {
        yield* Effect.orDie(
          db.writeEffect((sqlite) =>
            sqlite
              .prepare(`UPDATE users SET ${columns.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?`)
              .run(...columns.map(([, v]) => v), userId),
          ),
        );
      }
      return yield* getUser(userId);
    });

    /** Stores `passwordHash` for `user` and ends its sessions (all, or all but `keepKey`'s) in one write, with its audit line. */
    const storePassword = (user: User, passwordHash: string, keepKey: string | null, action: "user.password_set" | "user.password_changed") =>
      Effect.gen(function* () {
        const actor = yield* auditActor;
        const now = yield* Clock.currentTimeMillis;
        return yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            sqlite.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(passwordHash, user.id);
            const endedSessions = sqlite.prepare("DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?").run(user.id, keepKey).changes;
            recordAudit(sqlite, now, actor, { action, target: { type: "user", id: user.id, label: user.email }, data: { endedSessions } });
            return endedSessions;
          }),
        );
      });

    const changePassword: AccountsShape["changePassword"] = Effect.fn("Accounts.changePassword")(function* (actor, input, keepToken) {
      const change = yield* decodeOrFail(PasswordChange, input);
      if (!findByEmail(actor.email)) return yield* new NotFound({ entity: "user", id: actor.id });
      const proven = yield* proveIdentity(actor, Effect.map(checkPassword(actor.id, change.currentPassword), (ok) => (ok ? true : null)));
      if (proven === null) {
        return yield* new InvalidInput({ issues: [{ path: "currentPassword", message: "this is not your current password" }] });
      }
      const passwordHash = yield* Effect.promise(() => hashPassword(change.newPassword));
      const endedSessions = yield* storePassword(actor, passwordHash, keepToken === "" ? null : sessionKey(keepToken), "user.password_changed");
      return { endedSessions };
    });

    const setPassword: AccountsShape["setPassword"] = Effect.fn("Accounts.setPassword")(function* (actor, userId, input) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can set someone's password." });
      const { password } = yield* decodeOrFail(PasswordReset, input);
      const user = yield* getUser(userId);
      const passwordHash = yield* Effect.promise(() => hashPassword(password));
      const endedSessions = yield* storePassword(user, passwordHash, null, "user.password_set");
      // A fresh password lifts the lock a forgotten one left, so the person can sign in at once.
      yield* forgetEmail(user.email, yield* Clock.currentTimeMillis);
      return { endedSessions };
    });

    return {
      login,
      completeLogin,
      proveIdentity,
      checkPassword,
      logout,
      getSession,
      createUser,
      seedUser,
      listUsers,
      getUser,
      updateUser,
      changePassword,
      setPassword,
    } satisfies AccountsShape;
  }),
);
