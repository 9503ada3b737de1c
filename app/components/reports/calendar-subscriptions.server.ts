/**
 * The calendar subscriptions' forms (decision 057), shared by the Reports page (the workspace's
 * closed dates) and a team's page (its own hours): the subscriptions of one list for the loader,
 * and the action's three intents — subscribe, Sync now, unsubscribe (keeping or removing the
 * dates) — each the REST API's own `CalendarSubscriptions` call.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors } from "../../forms.js";
import { attempt, CalendarSubscriptions, run, type CalendarSubscription, type SyncOutcome } from "../../runtime.server.js";
import type { SubscriptionRow } from "./calendar-subscriptions.js";

export const SUBSCRIPTION_INTENTS: ReadonlyArray<string> = ["subscription-add", "subscription-sync", "subscription-remove"];


const view = (s: CalendarSubscription): SubscriptionRow => ({
  id: s.id,
  url: s.url,
  status: s.status,
  error: s.error,
  lastSyncedAt: s.lastSyncedAt,
  lastAttemptAt: s.lastAttemptAt,
  nextSyncAt: s.nextSyncAt,
  dates: s.dates.length,
});

/** The subscriptions of the workspace's list (`teamId` null) or of a team's. */
export const loadSubscriptions = async (context: AppLoadContext, teamId: string | null): Promise<ReadonlyArray<SubscriptionRow>> =>
  (await run(context, Effect.flatMap(CalendarSubscriptions, (s) => s.list()))).filter((s) => s.teamId === teamId).map(view);

/** What a sync did, in a sentence. Pure. */
export const syncSentence = (sync: SyncOutcome): string => {
  if (sync.status === "failed") return `The calendar could not be followed: ${sync.error ?? "unknown error"}. No date was changed.`;
  if (sync.status === "not_modified" || sync.status === "unchanged") return "The calendar has not changed.";
  const parts = [
    sync.added.length > 0 ? `${sync.added.length} added` : null,
    sync.renamed.length > 0 ? `${sync.renamed.length} renamed` : null,
    sync.removed.length > 0 ? `${sync.removed.length} removed` : null,
  ].filter((p) => p !== null);
  return `Closed dates: ${parts.join(", ")}.`;
};

export interface SubscriptionResult {
  readonly intent: "subscription";
  readonly errors: Record<string, string> | null;
  readonly notice: string | null;
}

/** Runs one of SUBSCRIPTION_INTENTS for the workspace's list (`teamId` null) or a team's; the page's result and HTTP status. */
export const subscriptionAction = async (context: AppLoadContext, form: FormData, teamId: string | null): Promise<{ result: SubscriptionResult; status: number }> => {
  const intent = form.get("intent");
  const id = String(form.get("id") ?? "");
  const refused = (error: Parameters<typeof fieldErrors>[0], status: number) => ({ result: { intent: "subscription" as const, errors: fieldErrors(error), notice: null }, status });
  const done = (notice: string) => ({ result: { intent: "subscription" as const, errors: null, notice }, status: 200 });
  if (intent === "subscription-add") {
    const url = String(form.get("url") ?? "");
    const made = await attempt(context, Effect.flatMap(CalendarSubscriptions, (s) => s.subscribe(teamId === null ? { url } : { url, teamId })));
    if (!made.ok) return refused(made.error, made.status);
    const added = made.value.sync.added.length;
    const skipped = made.value.sync.skipped.length;
    return done(
      `Subscribed. ${added === 1 ? "1 closed date" : `${added} closed dates`} added${skipped > 0 ? `; ${skipped === 1 ? "1 day was" : `${skipped} days were`} closed already` : ""}.`,
    );
  }
  if (intent === "subscription-sync") {
    const synced = await attempt(context, Effect.flatMap(CalendarSubscriptions, (s) => s.sync(id)));
    if (!synced.ok) return refused(synced.error, synced.status);
    return done(syncSentence(synced.value.sync));
  }
  const keepDates = form.get("keepDates") !== "false";
  const gone = await attempt(context, Effect.flatMap(CalendarSubscriptions, (s) => s.unsubscribe(id, keepDates)));
  if (!gone.ok) return refused(gone.error, gone.status);
  const removed = gone.value.removed.length;
  return done(keepDates ? "Unsubscribed; its closed dates were kept." : `Unsubscribed; ${removed === 1 ? "1 closed date" : `${removed} closed dates`} removed.`);
};
