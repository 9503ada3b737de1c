/**
 * /inbox/:conversationId — the thread (whole transcript, composer) and the contact sidebar.
 * Opening it marks the conversation read. POST actions by `intent`: reply | comment | assign |
 * close | reopen | mark-pending | mark-open | snooze | unsnooze | create-contact | link-contact | update-contact | set-owner |
 * create-ticket | add-label | remove-label | set-labels | run-macro | email-transcript | retry-delivery (a failed reply to an email or Messenger conversation), and typing.
 * A reply by email or on Messenger may carry files: its post is then multipart (thread-action.server.ts
 * reads it with the reply limits).
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useOutletContext, type ShouldRevalidateFunction } from "@remix-run/react";
import { Effect } from "effect";
import { Composer } from "../components/inbox/composer.js";
import { ContactPanel } from "../components/inbox/contact-panel.js";
import { threadActionFor, threadBodyTooLarge } from "../components/inbox/thread-action.server.js";
import { ThreadHeader } from "../components/inbox/thread-header.js";
import { ThreadMessages } from "../components/inbox/thread-messages.js";
import { TranscriptControl } from "../components/inbox/transcript-control.js";
import { useNow } from "../components/inbox/time.js";
import { useHoursRecheck, type InboxOutletContext } from "../components/inbox/use-inbox-live.js";
import { useViewers } from "../components/inbox/use-viewers.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { ContactLists, Contacts, attachmentReplyLimitsFor, FollowUps, InboxService, Macros, Ratings, Reports, run, SavedReplies, Tickets, Transcripts } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.thread.conversation.title ?? "Conversation"} · Inbox · Parley` }];

const text = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const conversationId = params.conversationId ?? "";
  const contactSearch = new URL(request.url).searchParams.get("contactSearch")?.slice(0, 200) ?? "";
  const loaded = await run(
    context,
    Effect.gen(function* () {
      const inbox = yield* InboxService;
      const contacts = yield* Contacts;
      const thread = yield* inbox.getThread(conversationId, user);
      // Seeing it is reading it; the thread above still carries the previous mark for the "new" divider.
      yield* inbox.markRead(conversationId, user);
      const history = thread.contact ? yield* contacts.history(user, thread.contact.id) : null;
      const owners = thread.contact ? yield* contacts.owners(user) : [];
      const lists = thread.contact
        ? yield* Effect.flatMap(ContactLists, (l) =>
            Effect.all({ memberships: l.of(thread.contact!.id), consent: l.consentOf(thread.contact!.id) }),
          )
        : null;
      const contactResults = !thread.contact && contactSearch.trim() !== "" ? yield* contacts.search(user, contactSearch, 8) : null;
      const savedReplies = yield* Effect.flatMap(SavedReplies, (s) => s.list(user));
      const macros = yield* Effect.flatMap(Macros, (m) => m.list(user));
      const ticketDraft = yield* Effect.flatMap(Tickets, (t) => t.draftFromConversation(user, conversationId));
      // A chat's replies say whether the visitor saw them, or got them by email (after getThread: access is checked).
      const followUps = thread.conversation.replyVia === "chat" ? yield* Effect.flatMap(FollowUps, (f) => f.forConversation(conversationId)) : null;
      const rating = yield* Effect.flatMap(Ratings, (r) => r.forConversation(conversationId));
      // A chat's transcripts by email, asked for by the visitor or sent by an agent (after getThread: access is checked).
      const transcripts = thread.conversation.channel.kind === "chat" ? yield* Effect.flatMap(Transcripts, (t) => t.forConversation(conversationId)) : null;
      // A snooze's date-time field is read on it when the page's script cannot say the browser's zone.
      const workspaceTimeZone = yield* Effect.flatMap(Reports, (r) => r.timezone());
      return { thread, history, owners, lists, contactResults, savedReplies, macros, ticketDraft, followUps, rating, transcripts, workspaceTimeZone };
    }),
  );
  // What the bot collected, to prefill "Create contact".
  const collected: Record<string, unknown> = {};
  for (const m of loaded.thread.messages) if (m.handoff) Object.assign(collected, m.handoff);
  const attributes = loaded.thread.visitor?.attributes ?? {};
  const pick = (...keys: string[]) => keys.map((k) => text(collected[k]) ?? text(attributes[k])).find((v) => v !== undefined);
  const suggested = {
    ...(pick("contact.email", "email") ? { email: pick("contact.email", "email")! } : {}),
    ...(pick("contact.name", "name") ? { name: pick("contact.name", "name")! } : {}),
    ...(pick("contact.phone", "phone") ? { phone: pick("contact.phone", "phone")! } : {}),
  };
  return {
    ...loaded,
    savedReplies: loaded.savedReplies.map((r) => ({ id: r.id, shortcut: r.shortcut, title: r.title, text: r.text })),
    macros: loaded.macros.map((m) => ({ id: m.id, name: m.name, steps: m.steps })),
    suggested,
    contactSearch,
    // A rule's name links to it on Settings → Automation, which only admins open.
    linkRules: user.role === "admin",
    // The composer says the limits and checks them before the upload; the action holds the same ones.
    fileLimits: attachmentReplyLimitsFor(loaded.thread.conversation.replyVia),
    now: Date.now(),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  // Before the guard: its CSRF check reads the whole body, and a post this large is refused whoever sends it.
  const tooLarge = threadBodyTooLarge(request);
  if (tooLarge) return tooLarge;
  const { user } = await requireUser(request, context, access.inbox);
  return threadActionFor(context, user, params.conversationId ?? "", request);
}

/** Typing pings change nothing on the page: no loader runs after them. */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formData, defaultShouldRevalidate }) =>
  formData?.get("intent") === "typing" ? false : defaultShouldRevalidate;

export default function ConversationThread() {
  const { thread, history, owners, lists, contactResults, savedReplies, macros, ticketDraft, followUps, rating, transcripts, suggested, contactSearch, fileLimits, workspaceTimeZone, linkRules, now: loadedAt } =
    useLoaderData<typeof loader>();
  const { options, typing, presence, listFilter, me } = useOutletContext<InboxOutletContext>();
  const now = useNow(loadedAt);
  const conversation = thread.conversation;
  const typers = (typing[conversation.id] ?? []).filter((t) => t.userId !== me.id);
  const viewers = useViewers(conversation.id, me.id, presence[conversation.id]);
  // The queue line says whether the team is closed: it must change when the team opens or closes, even on a page showing no list row of it.
  useHoursRecheck(conversation.queueChangesAt);
  return (
    <>
      <section className="thread" aria-labelledby="thread-title">
        <ThreadHeader conversation={conversation} options={options} listFilter={listFilter} now={now} workspaceTimeZone={workspaceTimeZone} macros={macros} />
        <p className="thread__viewers" role="status">
          {viewers.length > 0 ? `${viewers.map((v) => v.name).join(", ")} ${viewers.length === 1 ? "is" : "are"} also viewing this conversation` : ""}
        </p>
        <ThreadMessages
          conversationId={conversation.id}
          messages={thread.messages}
          lastReadMessageId={thread.lastReadMessageId}
          truncated={thread.truncated}
          now={now}
          followUps={followUps}
          visitorEmail={thread.contact?.email ?? null}
          rating={rating}
          linkRules={linkRules}
        />
        <p className="thread__typing" aria-live="polite">
          {typers.length > 0 ? `${typers.map((t) => t.name).join(", ")} ${typers.length === 1 ? "is" : "are"} writing ${typers.every((t) => t.internal) ? "a comment" : "a reply"}…` : ""}
        </p>
        <Composer
          conversationId={conversation.id}
          closed={conversation.status === "closed"}
          savedReplies={savedReplies}
          replyVia={conversation.replyVia}
          replyTo={conversation.replyVia === "email" ? (thread.contact?.email ?? null) : null}
          fileLimits={fileLimits}
        />
      </section>
      <ContactPanel
        conversationId={conversation.id}
        visitor={thread.visitor}
        startedOn={conversation.pageUrl}
        channelKind={conversation.channel.kind}
        contact={thread.contact}
        history={history}
        suggested={suggested}
        contactSearch={contactSearch}
        contactResults={contactResults}
        ticketDraft={ticketDraft}
        listFilter={listFilter}
        owners={owners}
        lists={lists}
        viewerId={me.id}
        now={now}
        transcripts={
          transcripts ? <TranscriptControl conversationId={conversation.id} contactEmail={thread.contact?.email ?? null} transcripts={transcripts} now={now} /> : null
        }
      />
    </>
  );
}

export function ErrorBoundary() {
  return (
    <section className="thread thread--error">
      <RouteErrorBoundary />
    </section>
  );
}
