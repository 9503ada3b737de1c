/**
 * Two-factor sign-in: a time-based one-time password (TOTP, RFC 6238: 6 digits, 30-second
 * steps, SHA-1, as every authenticator app reads it) from otpauth, and 10 single-use recovery
 * codes. docs/decisions/031-two-factor-sign-in.md says why these choices.
 *
 * - Setting up: `startSetup` stores a fresh secret, sealed (AES-256-GCM under a key derived from
 *   SESSION_SECRET, bound to the user id: secret-box.ts); `confirmSetup` turns it on once a code
 *   from the app matches, and returns the recovery codes — the only time they exist in clear.
 * - Codes: the current step ±1 is accepted (a phone's clock a little off, a code typed as it
 *   changes); a code of a step no newer than the last accepted one is refused (replay), checked
 *   and moved in one UPDATE so two sign-ins racing with one code cannot both pass.
 * - Recovery codes are SHA-256 hashes (random, ~50 bits each); one is spent by setting its
 *   `used_at` in one UPDATE. They do not depend on SESSION_SECRET, so they still open the door
 *   after that secret changed (when the sealed TOTP secrets no longer open).
 * - Signing in: `Accounts.login` answers SecondFactorRequired; `completeLogin` proves the code
 *   under the same throttles as passwords (Accounts.completeLogin) and opens the session.
 * - Admins reset someone's two-factor sign-in (a lost phone) and may require it for everyone;
 *   both, and every change a person makes, are events in the `events` log (the audit trail).
 *
 * Nothing here runs on a visitor's bot turn.
 */
import { Clock, Context, Effect, Layer, Schema as S } from "effect";
import { createHash, randomInt } from "node:crypto";
import * as OTPAuth from "otpauth";
import { Accounts, decodeOrFail, REQUIRE_TWO_FACTOR_SETTING, type Session, type User } from "./accounts.js";
import { AppConfig } from "./config.js";
import { auditActorAs, recordAudit, type AuditAction, type AuditActor } from "./audit-log.js";
import { Database, type Sqlite } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated } from "./errors.js";
import { deriveKey, open, seal } from "./secret-box.js";

// ---------------------------------------------------------------------------------------------
// Constants and pure helpers

export const TOTP_ISSUER = "Parley";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** Steps either side of now that still count: ±1 (30 s). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
/** Letters and digits nobody confuses (no 0/o, 1/l/i): 31 symbols, 10 per code ≈ 50 bits. */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** The message for a wrong or replayed code at sign-in. */
export const WRONG_CODE = "That code is not right, or it was already used. Enter the newest code from your app, or a recovery code.";
/** The message when a user's sealed secret no longer opens (SESSION_SECRET changed). */
export const SECRET_UNREADABLE =
  "Your two-factor key cannot be read on this server (its SESSION_SECRET changed). Sign in with a recovery code, or ask an admin to reset your two-factor sign-in.";

/** The TOTP time step of `at` (epoch ms). Pure. */
export const timeStep = (at: number): number => Math.floor(at / 1000 / TOTP_PERIOD_S);

const totpOf = (secret: string, label = "") =>
  new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: OTPAuth.Secret.fromBase32(secret),
  });

/** The code an authenticator app shows for `secret` (base32) at `at` (epoch ms). Pure. */
export const totpCode = (secret: string, at: number): string => totpOf(secret).generate({ timestamp: at });

/** The otpauth:// URI an app scans: issuer Parley, labelled with the email. Pure. */
export const otpauthUri = (secret: string, email: string): string => totpOf(secret, email).toString();

/** The time step whose code `code` is, within ±TOTP_WINDOW of `at`, or null. Pure. */
export const matchingStep = (secret: string, code: string, at: number): number | null => {
  const delta = totpOf(secret).validate({ token: code, timestamp: at, window: TOTP_WINDOW });
  return delta === null ? null : timeStep(at) + delta;
};

/** A recovery code as stored and compared: lower case, without the dash or spaces. Pure. */
const normalRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, "");

/** The stored form of a recovery code (SHA-256, hex). Pure. */
export const recoveryCodeHash = (code: string): string => createHash("sha256").update(normalRecoveryCode(code)).digest("hex");

/** Fresh recovery codes, shown as `abcde-fghjk`. Random. */
export const newRecoveryCodes = (count = RECOVERY_CODE_COUNT): ReadonlyArray<string> =>
  Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });

/** A new TOTP secret: 160 random bits (RFC 4226's recommendation), base32. Random. */
export const newTotpSecret = (): string => new OTPAuth.Secret({ size: 20 }).base32;

// ---------------------------------------------------------------------------------------------
// Schemas

const withoutSpaces = S.transform(S.String, S.String, { strict: true, decode: (s) => s.replace(/\s/g, ""), encode: (s) => s });

/** A 6-digit code from the app (spaces allowed, as apps show "123 456"). */
export const TotpCode = withoutSpaces.pipe(
  S.pattern(/^\d{6}$/, { message: () => "enter the 6-digit code from your authenticator app" }),
);

/** A second factor at sign-in: the app's 6-digit code, or a recovery code like abcde-fghjk. */
export const LoginCode = withoutSpaces.pipe(
  S.filter((code) => /^\d{6}$/.test(code) || /^[a-z0-9]{5}-?[a-z0-9]{5}$/i.test(code), {
    message: () => "enter the 6-digit code from your authenticator app, or a recovery code like abcde-fghjk",
  }),
);

const ConfirmInput = S.Struct({ code: TotpCode });
const LoginInput = S.Struct({ code: LoginCode });
/** Turning it off: a current code (or a recovery code), or the password. */
const DisableInput = S.Struct({ code: S.optionalWith(S.String, { default: () => "" }), password: S.optionalWith(S.String, { default: () => "" }) });
const RequiredInput = S.Boolean.annotations({ message: () => "expected on or off" });

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

// ---------------------------------------------------------------------------------------------
// Shapes

/** What anyone (the person, an admin) may know of someone's two-factor sign-in. */
export interface TwoFactorStatus {
  readonly enabled: boolean;
  readonly enabledAt: number | null;
  /** Unused recovery codes (0 while off). */
  readonly recoveryCodesLeft: number;
}

/** A setup in progress, for the person only: the secret to type in and the URI the QR code holds. */
export interface TwoFactorSetup {
  readonly secret: string;
  readonly uri: string;
}

/** How a sign-in's second step was proven. */
export type SecondFactorProof = { readonly method: "totp" } | { readonly method: "recovery"; readonly recoveryCodesLeft: number };

/** A user's sealed TOTP secret no longer opens (SESSION_SECRET changed): sign in with a recovery code. */
class SecretUnreadable extends S.TaggedError<SecretUnreadable>()("SecretUnreadable", {}) {}

export interface TwoFactorShape {
  readonly status: (userId: string) => Effect.Effect<TwoFactorStatus, NotFound>;
  /** The actor's setup in progress (null when none, or when it is on). */
  readonly pendingSetup: (actor: User) => Effect.Effect<TwoFactorSetup | null>;
  /** Starts (or starts over) setting up: a new secret. Conflict when it is on already. */
  readonly startSetup: (actor: User) => Effect.Effect<TwoFactorSetup, Conflict>;
  /** Drops a setup in progress (nothing when none). */
  readonly cancelSetup: (actor: User) => Effect.Effect<void>;
  /** Turns it on with a code of the pending secret (input `{ code }`); returns the recovery codes, shown once. */
  readonly confirmSetup: (actor: User, input: unknown) => Effect.Effect<{ readonly recoveryCodes: ReadonlyArray<string> }, InvalidInput | Conflict>;
  /** Turns it off with a current code, a recovery code or the password (`{ code, password }`); wrong ones count as failed sign-ins. */
  readonly disable: (actor: User, input: unknown) => Effect.Effect<void, InvalidInput | Conflict | RateLimited>;
  /** New recovery codes (the old ones stop working), with a current code (`{ code }`). */
  readonly regenerateRecoveryCodes: (
    actor: User,
    input: unknown,
  ) => Effect.Effect<{ readonly recoveryCodes: ReadonlyArray<string> }, InvalidInput | Conflict | RateLimited>;
  /** The second step of signing in (`{ code }`: the app's code or a recovery code): the session, and how it was proven. */
  readonly completeLogin: (
    userId: string,
    input: unknown,
    from?: string,
  ) => Effect.Effect<{ readonly session: Session; readonly proof: SecondFactorProof }, InvalidInput | Unauthenticated | RateLimited>;
  /** An admin turns off `userId`'s two-factor sign-in (a lost phone); they set it up again. */
  readonly reset: (actor: User, userId: string) => Effect.Effect<{ readonly wasEnabled: boolean }, Forbidden | NotFound>;
  /** The ids of the users who have it on. */
  readonly enabledUserIds: () => Effect.Effect<ReadonlySet<string>>;
  readonly isRequired: () => Effect.Effect<boolean>;
  /** An admin requires it of everyone (or stops): Conflict when they would require it without having it on themselves. */
  readonly setRequired: (actor: User, required: unknown) => Effect.Effect<boolean, Forbidden | Conflict | InvalidInput>;
}

export class TwoFactor extends Context.Tag("TwoFactor")<TwoFactor, TwoFactorShape>() {}

// ---------------------------------------------------------------------------------------------
// Writes shared with the reset-2fa command

/** The audit log's action for each of the events below. */
const AUDIT_ACTION_OF = {
  two_factor_enabled: "two_factor.enabled",
  two_factor_disabled: "two_factor.disabled",
  two_factor_reset: "two_factor.reset",
  two_factor_recovery_code_used: "two_factor.recovery_code_used",
  two_factor_recovery_codes_regenerated: "two_factor.recovery_codes_regenerated",
  two_factor_requirement_changed: "two_factor.requirement_changed",
} as const satisfies Record<string, AuditAction>;

/**
 * An event outside any conversation (`actor.userId` did it; null: the server's command line),
 * and its line in the audit log, naming the user whose sign-in changed (`data.userId`).
 */
const logEvent = (sqlite: Sqlite, type: keyof typeof AUDIT_ACTION_OF, at: number, actor: AuditActor, data: Record<string, unknown>) => {
  sqlite.prepare("INSERT INTO events (type, at, user_id, data) VALUES (?, ?, ?, ?)").run(type, at, actor.userId, JSON.stringify(data));
  const userId = typeof data["userId"] === "string" ? data["userId"] : null;
  const label = userId === null ? null : (sqlite.prepare("SELECT email FROM users WHERE id = ?").pluck().get(userId) as string | undefined) ?? null;
  recordAudit(sqlite, at, actor, { action: AUDIT_ACTION_OF[type], ...(userId === null ? {} : { target: { type: "user", id: userId, label } }), data });
};

/**
 * Turns off `userId`'s two-factor sign-in (a setup in progress too) and logs `two_factor_reset`,
 * inside the caller's write. Returns whether it was on. Used by the service and the CLI.
 */
export const resetTwoFactorInWrite = (
  sqlite: Sqlite,
  userId: string,
  at: number,
  by: { readonly actor: AuditActor; readonly via: "admin" | "command line" },
): boolean => {
  const row = sqlite.prepare("SELECT enabled_at FROM two_factor WHERE user_id = ?").get(userId) as { enabled_at: number | null } | undefined;
  sqlite.prepare("DELETE FROM two_factor WHERE user_id = ?").run(userId);
  sqlite.prepare("DELETE FROM two_factor_recovery_codes WHERE user_id = ?").run(userId);
  const wasEnabled = row !== undefined && row.enabled_at !== null;
  logEvent(sqlite, "two_factor_reset", at, by.actor, { userId, via: by.via, wasEnabled });
  return wasEnabled;
};

const storeRecoveryCodes = (sqlite: Sqlite, userId: string, codes: ReadonlyArray<string>) => {
  sqlite.prepare("DELETE FROM two_factor_recovery_codes WHERE user_id = ?").run(userId);
  const insert = sqlite.prepare("INSERT INTO two_factor_recovery_codes (user_id, code_hash) VALUES (?, ?)");
  for (const code of codes) insert.run(userId, recoveryCodeHash(code));
};

// ---------------------------------------------------------------------------------------------
// Layer

interface Row {
  readonly secret: string;
  readonly enabled_at: number | null;
}

/** The TwoFactor service over the app's Database, its SESSION_SECRET and the Accounts throttles. */
export const layer: Layer.Layer<TwoFactor, never, Database | AppConfig | Accounts> = Layer.effect(
  TwoFactor,
  Effect.gen(function* () {
    const db = yield* Database;
    const accounts = yield* Accounts;
    const key = deriveKey((yield* AppConfig).sessionSecret, "two-factor totp secret");
    const prepare = db.prepare;
    const write = <T>(fn: (sqlite: Sqlite) => T) => Effect.orDie(db.writeEffect(fn));

    const rowOf = (userId: string) => prepare("SELECT secret, enabled_at FROM two_factor WHERE user_id = ?").get(userId) as Row | undefined;
    const codesLeft = (userId: string) =>
      prepare("SELECT COUNT(*) FROM two_factor_recovery_codes WHERE user_id = ? AND used_at IS NULL").pluck().get(userId) as number;
    const secretOf = (userId: string, row: Row) => {
      const secret = open(key, userId, row.secret);
      return secret === null ? Effect.fail(new SecretUnreadable()) : Effect.succeed(secret);
    };

    /** True when `code` is a current code of the enabled user's secret, newer than the last accepted one (which it becomes). */
    const acceptTotp = (userId: string, row: Row, code: string) =>
      Effect.gen(function* () {
        const secret = yield* secretOf(userId, row);
        const step = matchingStep(secret, code, yield* Clock.currentTimeMillis);
        if (step === null) return false;
        const moved = yield* write(
          (s) =>
            s
              .prepare("UPDATE two_factor SET last_step = ? WHERE user_id = ? AND enabled_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)")
              .run(step, userId, step).changes,
        );
        return moved === 1;
      });

    /** Spends `code` when it is one of the user's unused recovery codes; the codes left, or null. */
    const spendRecoveryCode = (userId: string, code: string) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const audit = yield* auditActorAs(userId);
        return yield* write((s) => {
          const spent = s
            .prepare("UPDATE two_factor_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL")
            .run(now, userId, recoveryCodeHash(code)).changes;
          if (spent !== 1) return null;
          const left = s.prepare("SELECT COUNT(*) FROM two_factor_recovery_codes WHERE user_id = ? AND used_at IS NULL").pluck().get(userId) as number;
          logEvent(s, "two_factor_recovery_code_used", now, audit, { userId, recoveryCodesLeft: left });
          return left;
        });
      });

    /** Proves a sign-in code (the app's or a recovery code, as LoginCode decoded it): how, or null when wrong. */
    const proveCode = (userId: string, code: string): Effect.Effect<SecondFactorProof | null, SecretUnreadable> =>
      Effect.gen(function* () {
        const row = rowOf(userId);
        if (row === undefined || row.enabled_at === null) return null;
        if (/^\d{6}$/.test(code)) return (yield* acceptTotp(userId, row, code)) ? ({ method: "totp" } as const) : null;
        const left = yield* spendRecoveryCode(userId, code);
        return left === null ? null : ({ method: "recovery", recoveryCodesLeft: left } as const);
      });

    const enabledRow = (actor: User) => {
      const row = rowOf(actor.id);
      return row !== undefined && row.enabled_at !== null
        ? Effect.succeed(row)
        : Effect.fail(new Conflict({ message: "Two-factor authentication is not on." }));
    };

    /** A code field's proof for a signed-in person, under their throttle; the unreadable secret as a message on the field. */
    const proveForActor = (actor: User, check: Effect.Effect<boolean, SecretUnreadable>, path: string, wrong: string) =>
      accounts.proveIdentity(actor, Effect.map(check, (ok) => (ok ? true : null))).pipe(
        Effect.catchTag("SecretUnreadable", () => Effect.fail(invalid(path, SECRET_UNREADABLE))),
        Effect.flatMap((proof) => (proof === null ? Effect.fail(invalid(path, wrong)) : Effect.void)),
      );

    const status: TwoFactorShape["status"] = (userId) =>
      Effect.gen(function* () {
        if (prepare("SELECT 1 FROM users WHERE id = ?").get(userId) === undefined) return yield* new NotFound({ entity: "user", id: userId });
        const row = rowOf(userId);
        const enabled = row !== undefined && row.enabled_at !== null;
        return { enabled, enabledAt: enabled ? row.enabled_at : null, recoveryCodesLeft: enabled ? codesLeft(userId) : 0 };
      });

    const pendingSetup: TwoFactorShape["pendingSetup"] = (actor) =>
      Effect.sync(() => {
        const row = rowOf(actor.id);
        if (row === undefined || row.enabled_at !== null) return null;
        const secret = open(key, actor.id, row.secret);
        // A setup sealed under an old SESSION_SECRET is simply started over.
        return secret === null ? null : { secret, uri: otpauthUri(secret, actor.email) };
      });

    const startSetup: TwoFactorShape["startSetup"] = Effect.fn("TwoFactor.startSetup")(function* (actor) {
      const now = yield* Clock.currentTimeMillis;
      const secret = newTotpSecret();
      const started = yield* write((s) => {
        const existing = s.prepare("SELECT enabled_at FROM two_factor WHERE user_id = ?").get(actor.id) as { enabled_at: number | null } | undefined;
        if (existing?.enabled_at != null) return false;
        s.prepare(
          `INSERT INTO two_factor (user_id, secret, enabled_at, last_step, created_at) VALUES (?, ?, NULL, NULL, ?)
           ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`,
        ).run(actor.id, seal(key, actor.id, secret), now);
        return true;
      });
      if (!started) return yield* new Conflict({ message: "Two-factor authentication is already on." });
      return { secret, uri: otpauthUri(secret, actor.email) };
    });

    const cancelSetup: TwoFactorShape["cancelSetup"] = (actor) =>
      Effect.asVoid(write((s) => s.prepare("DELETE FROM two_factor WHERE user_id = ? AND enabled_at IS NULL").run(actor.id)));

    const confirmSetup: TwoFactorShape["confirmSetup"] = Effect.fn("TwoFactor.confirmSetup")(function* (actor, input) {
      const { code } = yield* decodeOrFail(ConfirmInput, input);
      const row = rowOf(actor.id);
      if (row !== undefined && row.enabled_at !== null) return yield* new Conflict({ message: "Two-factor authentication is already on." });
      const secret = row === undefined ? null : open(key, actor.id, row.secret);
      if (row === undefined || secret === null) return yield* new Conflict({ message: "Start setting up two-factor authentication again." });
      const now = yield* Clock.currentTimeMillis;
      const audit = yield* auditActorAs(actor.id);
      const step = matchingStep(secret, code, now);
      if (step === null) {
        return yield* invalid("code", "this is not the current code: check that the app shows Parley and that your phone's clock is right");
      }
      const recoveryCodes = newRecoveryCodes();
      const turnedOn = yield* write((s) => {
        // Only the secret that was checked: a setup started over meanwhile (another tab) is not turned on with it.
        const changed = s
          .prepare("UPDATE two_factor SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL AND secret = ?")
          .run(now, step, actor.id, row.secret).changes;
        if (changed !== 1) return false;
        storeRecoveryCodes(s, actor.id, recoveryCodes);
        logEvent(s, "two_factor_enabled", now, audit, { userId: actor.id });
        return true;
      });
      if (!turnedOn) return yield* new Conflict({ message: "Two-factor authentication changed in another window: reload the page." });
      return { recoveryCodes };
    });

    const disable: TwoFactorShape["disable"] = Effect.fn("TwoFactor.disable")(function* (actor, input) {
      const sent = yield* decodeOrFail(DisableInput, input);
      yield* enabledRow(actor);
      if (sent.code.trim() !== "") {
        const code = yield* Effect.mapError(decodeOrFail(LoginCode, sent.code), (e) => invalid("code", e.issues[0]?.message ?? "invalid code"));
        yield* proveForActor(
          actor,
          Effect.map(proveCode(actor.id, code), (proof) => proof !== null),
          "code",
          "this code is not right, or it was already used",
        );
      } else if (sent.password !== "") {
        yield* proveForActor(actor, accounts.checkPassword(actor.id, sent.password), "password", "this is not your password");
      } else {
        return yield* invalid("code", "enter a code from your app, or your password");
      }
      const now = yield* Clock.currentTimeMillis;
      const audit = yield* auditActorAs(actor.id);
      yield* write((s) => {
        s.prepare("DELETE FROM two_factor WHERE user_id = ?").run(actor.id);
        s.prepare("DELETE FROM two_factor_recovery_codes WHERE user_id = ?").run(actor.id);
        logEvent(s, "two_factor_disabled", now, audit, { userId: actor.id });
      });
    });

    const regenerateRecoveryCodes: TwoFactorShape["regenerateRecoveryCodes"] = Effect.fn("TwoFactor.regenerateRecoveryCodes")(function* (actor, input) {
      const { code } = yield* decodeOrFail(ConfirmInput, input);
      const row = yield* enabledRow(actor);
      yield* proveForActor(actor, acceptTotp(actor.id, row, code), "code", "this code is not right, or it was already used");
      const recoveryCodes = newRecoveryCodes();
      const now = yield* Clock.currentTimeMillis;
      const audit = yield* auditActorAs(actor.id);
      yield* write((s) => {
        storeRecoveryCodes(s, actor.id, recoveryCodes);
        logEvent(s, "two_factor_recovery_codes_regenerated", now, audit, { userId: actor.id });
      });
      return { recoveryCodes };
    });

    const completeLogin: TwoFactorShape["completeLogin"] = Effect.fn("TwoFactor.completeLogin")(function* (userId, input, from) {
      const { code } = yield* decodeOrFail(LoginInput, input);
      return yield* accounts
        .completeLogin(userId, proveCode(userId, code), { from, wrongMessage: WRONG_CODE })
        .pipe(Effect.catchTag("SecretUnreadable", () => Effect.fail(new Unauthenticated({ message: SECRET_UNREADABLE }))));
    });

    const reset: TwoFactorShape["reset"] = Effect.fn("TwoFactor.reset")(function* (actor, userId) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can reset someone's two-factor authentication." });
      yield* status(userId);
      const now = yield* Clock.currentTimeMillis;
      const audit = yield* auditActorAs(actor.id);
      const wasEnabled = yield* write((s) => resetTwoFactorInWrite(s, userId, now, { actor: audit, via: "admin" }));
      return { wasEnabled };
    });

    const enabledUserIds: TwoFactorShape["enabledUserIds"] = () =>
      Effect.sync(() => new Set(prepare("SELECT user_id FROM two_factor WHERE enabled_at IS NOT NULL").pluck().all() as string[]));

    const isRequired: TwoFactorShape["isRequired"] = () =>
      // Not .pluck(): `prepare` hands out one cached statement per SQL text, and pluck() would change
      // it for every other reader of this query (Reports read business hours with it as rows).
      Effect.sync(
        () => (prepare("SELECT value FROM settings WHERE key = ?").get(REQUIRE_TWO_FACTOR_SETTING) as { value: string } | undefined)?.value === "1",
      );

    const setRequired: TwoFactorShape["setRequired"] = Effect.fn("TwoFactor.setRequired")(function* (actor, input) {
      if (actor.role !== "admin") return yield* new Forbidden({ message: "Only admins can require two-factor authentication." });
      const required = yield* decodeOrFail(RequiredInput, input);
      if (required === (yield* isRequired())) return required;
      if (required && !(yield* status(actor.id).pipe(Effect.orDie)).enabled) {
        return yield* new Conflict({
          message: "Turn on two-factor authentication for yourself first (Your profile), then require it of everyone.",
        });
      }
      const now = yield* Clock.currentTimeMillis;
      const audit = yield* auditActorAs(actor.id);
      yield* write((s) => {
        s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
          REQUIRE_TWO_FACTOR_SETTING,
          required ? "1" : "0",
        );
        logEvent(s, "two_factor_requirement_changed", now, audit, { required });
      });
      return required;
    });

    return {
      status,
      pendingSetup,
      startSetup,
      cancelSetup,
      confirmSetup,
      disable,
      regenerateRecoveryCodes,
      completeLogin,
      reset,
      enabledUserIds,
      isRequired,
      setRequired,
    } satisfies TwoFactorShape;
  }),
);
