/**
 * /inbox — the three-pane inbox: views and the conversation list here, the thread and the
 * contact sidebar in the child route. Live: one EventSource on /inbox/events re-reads the
 * page's data on every change (no reload), shows who is typing, and notifies the agent (browser
 * notification and/or sound, by their settings) of a conversation handed or assigned to them.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useParams, type ShouldRevalidateFunction } from "@remix-run/react";
import { Effect } from "effect";
import { ConversationListPane } from "../components/inbox/conversation-list.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { NotificationsControl } from "../components/inbox/notifications.js";
import { useHoursRecheck, useInboxLive, type InboxOutletContext } from "../components/inbox/use-inbox-live.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { DEFAULT_NOTIFICATIONS, filterFromSearchParams, InboxService, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  const mine = data?.list.unread.mine ?? 0;
  return [{ title: `${mine > 0 ? `(${mine}) ` : ""}Inbox · Parley` }];
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const filter = filterFromSearchParams(new URL(request.url).searchParams);
  const { list, options, notifications } = await run(
    context,
    Effect.gen(function* () {
      const inbox = yield* InboxService;
      const workspace = yield* Workspace;
      const profile = yield* Effect.either(workspace.getProfile(user.id));
      return {
        list: yield* inbox.listConversations(filter, user),
        options: yield* inbox.options(user),
        notifications: profile._tag === "Right" ? profile.right.notificationSettings : DEFAULT_NOTIFICATIONS,
      };
    }),
  );
  return {
    me: { id: user.id, name: user.displayName ?? user.name },
    list,
    options,
    notifications,
    filter,
    now: Date.now(),
  };
}

/** Typing pings change nothing on the page: no loader runs after them. */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formData, defaultShouldRevalidate }) =>
  formData?.get("intent") === "typing" ? false : defaultShouldRevalidate;

export default function InboxLayout() {
  const data = useLoaderData<typeof loader>();
  const params = useParams();
  const live = useInboxLive({ me: data.me.id, notifications: data.notifications });
  useHoursRecheck(data.list.queueChangesAt);
  const context: InboxOutletContext = { me: data.me, options: data.options, typing: live.typing, presence: live.presence, listFilter: data.filter };
  return (
    <div className={params.conversationId ? "inbox inbox--thread" : "inbox"}>
      <ConversationListPane
        list={data.list}
        options={data.options}
        filter={data.filter}
        activeId={params.conversationId ?? null}
        now={data.now}
        connected={live.connected}
        typing={live.typing}
        notificationsControl={<NotificationsControl settings={data.notifications} />}
      />
      <Outlet context={context} />
      <div className="visually-hidden" role="status" aria-live="polite">
        {live.announcement}
      </div>
      {live.toasts.length > 0 ? (
        <ol className="inbox-toasts" aria-label="Notifications">
          {live.toasts.map((toast) => (
            <li key={toast.key} className="inbox-toast">
              <Link to={`/inbox/${encodeURIComponent(toast.conversationId)}`} onClick={() => live.dismiss(toast.key)}>
                <strong>{toast.title}</strong>
                {toast.body ? <span>{toast.body}</span> : null}
              </Link>
              <button type="button" className="inbox-toast__close" aria-label="Dismiss" onClick={() => live.dismiss(toast.key)}>
                ×
              </button>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
