/**
 * POST /inbox/bulk — one action on the conversations selected in the inbox list (InboxBulk):
 * the list's bar posts it through a fetcher and shows the notice; without JavaScript the bar's
 * form posts here and this page shows the outcome with the way back to the list.
 * Fields: `intent` (bulk-logic.ts: close | reopen | mark-pending | assign:… | snooze:<ms>), one
 * `conversation` per selected row (`<id>:<version>`), `timeZone` (a snooze's line), `back`
 * (the list's query string).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";
import { Effect } from "effect";
import { bulkInputOf, bulkNotice, BULK_FIELD, type BulkActionResult, type BulkAnswer } from "../components/inbox/bulk-logic.js";
import { listSearch } from "../components/inbox/url.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, decodeConversationFilter, filterFromSearchParams, InboxBulk, InboxService, Reports, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Bulk action · Inbox · Parley" }];

/**
 * The page shows a post's outcome; a plain visit only has the way back (the list is where
 * selections are made). Its query is the list's filter, read as /inbox reads it: 400 when wrong.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.inbox);
  await run(context, decodeConversationFilter(filterFromSearchParams(new URL(request.url).searchParams)));
  return null;
}

const field = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  // Only the list's own filter keys go back into the link: never a URL of the poster's choosing.
  const back = listSearch(filterFromSearchParams(new URLSearchParams(field(form, "back"))));
  const zone = field(form, "timeZone").trim() || (await run(context, Effect.flatMap(Reports, (r) => r.timezone())));
  const read = bulkInputOf({
    intent: field(form, "intent"),
    conversations: form.getAll(BULK_FIELD).filter((v): v is string => typeof v === "string"),
    timeZone: zone,
  }, Date.now());
  if (!read.ok) {
    const result: BulkActionResult = { ok: false, error: read.message, fields: { [read.field]: read.message }, path: read.field };
    return data({ result, back }, { status: 400 });
  }
  const outcome = await attempt(context, Effect.flatMap(InboxBulk, (bulk) => bulk.apply(read.input, user)));
  if (!outcome.ok) {
    const path = outcome.error.path !== undefined ? { path: outcome.error.path } : {};
    const result: BulkActionResult = { ok: false, error: outcome.error.message, fields: fieldErrors(outcome.error), ...path };
    return data({ result, back }, { status: outcome.status });
  }
  // An assignment's notice names who or which team took the conversations.
  const to =
    outcome.value.action === "assign" && outcome.value.applied.length > 0
      ? await run(
          context,
          Effect.map(Effect.flatMap(InboxService, (inbox) => inbox.options(user)), (options) => {
            const input = read.input as { userId?: string | null; teamId?: string | null };
            if (input.userId === null) return "nobody";
            return [...options.people, ...options.teams].find((o) => o.id === (input.userId ?? input.teamId))?.name;
          }),
        )
      : undefined;
  const result: BulkActionResult = { ok: true, ...outcome.value, notice: bulkNotice(outcome.value, to) };
  return { result, back } satisfies BulkAnswer;
}

/** Without JavaScript the bar's form lands here: the outcome, and the way back to the list. */
export default function BulkOutcomePage() {
  const answer = useActionData<typeof action>();
  const result = answer?.result;
  return (
    <section className="bulk-outcome">
      <header className="page-header">
        <h1>Bulk action</h1>
      </header>
      {result === undefined ? (
        <p className="muted">Select conversations in the inbox list, then pick an action for all of them.</p>
      ) : result.ok ? (
        <p className="notice notice--success" role="status">
          {result.notice}
        </p>
      ) : (
        <ErrorNotice message={result.error} />
      )}
      <p>
        <Link to={`/inbox${answer?.back ?? ""}`}>Back to the inbox</Link>
      </p>
    </section>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
