/**
 * The server side of the two-factor forms: one's own section (Your profile, and the page a
 * user is sent to when the workspace requires it), an admin's view of someone (status, reset),
 * and the workspace's requirement (Settings → Users). Each page keeps its own guard and calls
 * these with the signed-in user; every intent here starts with `two-factor-`.
 */
import { data, type AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import qrcode from "qrcode-generator";
import { fieldErrors } from "../../forms.js";
import { attempt, run, TwoFactor, type User } from "../../runtime.server.js";

/** A QR code as one SVG path over a `size` × `size` grid of modules (the quiet zone included). */
export interface QrPath {
  readonly size: number;
  readonly path: string;
}

const QR_MARGIN = 4;

/** The QR code of `text` (error correction M, the smallest version that holds it) as an SVG path. Pure. */
export const qrPath = (text: string): QrPath => {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const count = qr.getModuleCount();
  const parts: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) if (qr.isDark(row, col)) parts.push(`M${col + QR_MARGIN} ${row + QR_MARGIN}h1v1h-1z`);
  }
  return { size: count + 2 * QR_MARGIN, path: parts.join("") };
};

/** A secret in groups of four, as people type it into an app. Pure. */
export const secretGroups = (secret: string): string => (secret.match(/.{1,4}/g) ?? []).join(" ");

/** One's own two-factor state for the section: on or off, codes left, and the setup in progress (QR code, secret). */
export const loadTwoFactor = async (context: AppLoadContext, user: User) => {
  const { status, setup, required } = await run(
    context,
    Effect.flatMap(TwoFactor, (t) => Effect.all({ status: t.status(user.id), setup: t.pendingSetup(user), required: t.isRequired() })),
  );
  return {
    ...status,
    required,
    email: user.email,
    setup: setup === null ? null : { secret: secretGroups(setup.secret), qr: qrPath(setup.uri) },
  };
};

export type TwoFactorView = Awaited<ReturnType<typeof loadTwoFactor>>;

/** The intents of one's own section. */
export const twoFactorIntents = ["two-factor-start", "two-factor-cancel", "two-factor-confirm", "two-factor-disable", "two-factor-regenerate"] as const;
export type TwoFactorIntent = (typeof twoFactorIntents)[number];

/** True when a form posted one of the section's intents. Pure. */
export const isTwoFactorIntent = (intent: unknown): intent is TwoFactorIntent => (twoFactorIntents as ReadonlyArray<unknown>).includes(intent);

/** What the section's forms answer: as the profile forms' (intent, errors, saved), plus the recovery codes to show once. */
const answer = (intent: TwoFactorIntent, init: { errors?: Record<string, string>; recoveryCodes?: ReadonlyArray<string>; status?: number }) =>
  data(
    { intent, errors: init.errors ?? null, values: null, saved: init.errors === undefined, recoveryCodes: init.recoveryCodes ?? null },
    init.status === undefined ? undefined : { status: init.status },
  );

/** Runs one of the section's intents for `user` (never echoing codes or passwords back). */
export const twoFactorAction = async (context: AppLoadContext, user: User, intent: TwoFactorIntent, form: FormData) => {
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const outcome = await attempt(
    context,
    Effect.flatMap(TwoFactor, (t): Effect.Effect<{ readonly recoveryCodes?: ReadonlyArray<string> } | void, unknown> => {
      switch (intent) {
        case "two-factor-start":
          return Effect.asVoid(t.startSetup(user));
        case "two-factor-cancel":
          return t.cancelSetup(user);
        case "two-factor-confirm":
          return t.confirmSetup(user, { code: field("code") });
        case "two-factor-disable":
          return t.disable(user, { code: field("code"), password: field("password") });
        case "two-factor-regenerate":
          return t.regenerateRecoveryCodes(user, { code: field("code") });
      }
    }),
  );
  if (!outcome.ok) return answer(intent, { errors: fieldErrors(outcome.error), status: outcome.status });
  const recoveryCodes = outcome.value && "recoveryCodes" in outcome.value ? outcome.value.recoveryCodes : undefined;
  return answer(intent, recoveryCodes === undefined ? {} : { recoveryCodes });
};

/** Someone's two-factor status, for an admin's page of them. */
export const loadTwoFactorStatus = (context: AppLoadContext, userId: string) => run(context, Effect.flatMap(TwoFactor, (t) => t.status(userId)));

/** An admin resets `userId`'s two-factor sign-in (intent `two-factor-reset`). */
export const resetTwoFactorAction = async (context: AppLoadContext, actor: User, userId: string) => {
  const result = await attempt(context, Effect.flatMap(TwoFactor, (t) => t.reset(actor, userId)));
  if (!result.ok) return data({ intent: "two-factor-reset", errors: { form: result.error.message }, values: null, saved: false }, { status: result.status });
  return data({ intent: "two-factor-reset", errors: null, values: null, saved: true });
};

/** Whether the workspace requires two-factor sign-in, and who has it on. */
export const loadTwoFactorOverview = (context: AppLoadContext) =>
  run(
    context,
    Effect.flatMap(TwoFactor, (t) => Effect.all({ required: t.isRequired(), enabled: Effect.map(t.enabledUserIds(), (ids) => [...ids]) })),
  );

/** An admin requires two-factor sign-in of everyone, or stops (intent `two-factor-required`, checkbox `required`). */
export const requireTwoFactorAction = async (context: AppLoadContext, actor: User, form: FormData) => {
  const result = await attempt(context, Effect.flatMap(TwoFactor, (t) => t.setRequired(actor, form.get("required") === "on")));
  if (!result.ok) return data({ intent: "two-factor-required", errors: { form: result.error.message }, required: null }, { status: result.status });
  return data({ intent: "two-factor-required", errors: null, required: result.value });
};
