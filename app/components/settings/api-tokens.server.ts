/**
 * The server side of the personal access tokens section (app/components/settings/api-tokens.tsx)
 * that "Your profile" and an admin's page for someone show: what it loads, and its two intents
 * (create-token, revoke-token). The ApiTokens service decides who may see or revoke whose tokens;
 * each page keeps its own guard.
 */
import { data, type AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors, formValues } from "../../forms.js";
import { ApiTokens, attempt, run, type User } from "../../runtime.server.js";

/** The intents the section posts. */
export const apiTokenIntents = ["create-token", "revoke-token"] as const;
export type ApiTokenIntent = (typeof apiTokenIntents)[number];

/** True when a form's intent is the tokens section's. Pure. */
export const isApiTokenIntent = (intent: unknown): intent is ApiTokenIntent => (apiTokenIntents as ReadonlyArray<unknown>).includes(intent);

/** `userId`'s tokens as `actor` may see them (never the tokens themselves), newest first. */
export const loadApiTokens = (context: AppLoadContext, actor: User, userId: string) =>
  run(context, Effect.flatMap(ApiTokens, (t) => t.list(actor, userId)));

/**
 * Runs the section's intent for `userId`'s tokens. A created token is in the answer (`token`)
 * this once: the page shows it with a copy button, and nothing can show it again.
 */
export const apiTokenAction = async (context: AppLoadContext, actor: User, userId: string, intent: ApiTokenIntent, form: FormData) => {
  if (intent === "create-token") {
    const values = formValues(form, ["name", "expiresIn"]);
    const result = await attempt(context, Effect.flatMap(ApiTokens, (t) => t.create(actor, values)));
    if (!result.ok) return data({ intent, errors: fieldErrors(result.error), values, saved: false, token: null }, { status: result.status });
    // The one answer that carries a token: no cache may keep it.
    return data(
      { intent, errors: null, values: null, saved: true, token: { value: result.value.token, name: result.value.summary.name } },
      { headers: { "Cache-Control": "no-store" } },
    );
  }
  const tokenId = String(form.get("tokenId") ?? "");
  const result = await attempt(context, Effect.flatMap(ApiTokens, (t) => t.revoke(actor, userId, tokenId)));
  if (!result.ok) return data({ intent, errors: { form: result.error.message }, values: null, saved: false, token: null }, { status: result.status });
  return data({ intent, errors: null, values: null, saved: true, token: null });
};
