import { useFetcher } from "@remix-run/react";
import { useEffect, useLayoutEffect, useRef } from "react";
import type { ConversationFollowUps, Rating, ThreadMessage } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import { ErrorNotice } from "../settings/notices.js";
import type { ThreadActionResult } from "./action-result.js";
import { followUpNotes, type FollowUpNote } from "./follow-up-logic.js";
import { fieldLabel, handoffClosedLine } from "./labels.js";
import { Time } from "./time.js";
import { ruleByline, ruleHref, ruleLineParts, type RuleRef } from "./rule-line.js";

type Delivery = NonNullable<ThreadMessage["delivery"]>;
type Email = NonNullable<ThreadMessage["email"]>;
type Address = Email["to"][number];

/** What the thread route answers to intent "retry-delivery". */
export type RetryDeliveryResult =
  | { readonly ok: true; readonly intent: "retry-delivery"; readonly messageId: string; readonly message: string }
  | Extract<ThreadActionResult, { ok: false }>;

/** "512 B", "48 KB", "1.2 MB" (1024-based, as file managers show sizes); "size unknown" for null. Pure. */
export const humanSize = (bytes: number | null): string => {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return "size unknown";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)} ${units[unit]}`;
};

/** "Ann Customer <ann@customer.test>", or the bare address without a name. Pure. */
export const addressLabel = (a: Address): string => (a.name ? `${a.name} <${a.address}>` : a.address);

/** A subject without its reply and forward prefixes, for telling whether a thread's subject changed. Pure. */
export const baseSubject = (subject: string): string =>
  subject
    .replace(/^(\s*(re|fw|fwd|aw|wg|sv|vs)(\[\d+\])?\s*:\s*)+/i, "")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();

/**
 * The ids of the email messages whose subject the thread shows: the first email's, and each later
 * one whose subject differs from the previous email's (ignoring "Re:" and the like). Pure.
 */
export const subjectShownOn = (messages: ReadonlyArray<Pick<ThreadMessage, "id" | "email">>): ReadonlySet<string> => {
  const shown = new Set<string>();
  let previous: string | undefined;
  for (const m of messages) {
    if (!m.email) continue;
    const subject = baseSubject(m.email.subject ?? "");
    if (previous === undefined || subject !== previous) {
      if (m.email.subject !== null && m.email.subject.trim() !== "") shown.add(m.id);
    }
    previous = subject;
  }
  return shown;
};

/** At most this many addresses show before the rest fold away. */
const ADDRESSES_SHOWN = 2;

/** One header line (To or Cc): the first addresses, the rest behind "+N more". */
function AddressLine({ label, addresses }: { label: string; addresses: ReadonlyArray<Address> }) {
  if (addresses.length === 0) return null;
  const first = addresses.slice(0, ADDRESSES_SHOWN).map(addressLabel).join(", ");
  if (addresses.length <= ADDRESSES_SHOWN) {
    return (
      <div>
        <dt>{label}</dt>
        <dd>{first}</dd>
      </div>
    );
  }
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <details className="email-head__more">
          <summary>
            {first} and {addresses.length - ADDRESSES_SHOWN} more
          </summary>
          {addresses.map(addressLabel).join(", ")}
        </details>
      </dd>
    </div>
  );
}

/** An email's From, To and Cc, and its subject where the thread's subject starts or changes. */
function EmailHead({ email, showSubject }: { email: Email; showSubject: boolean }) {
  return (
    <dl className="email-head" aria-label="Email headers">
      {showSubject && email.subject ? (
        <div className="email-head__subject">
          <dt>Subject</dt>
          <dd>{email.subject}</dd>
        </div>
      ) : null}
      {email.from ? (
        <div>
          <dt>From</dt>
          <dd>{addressLabel(email.from)}</dd>
        </div>
      ) : null}
      <AddressLine label="To" addresses={email.to} />
      <AddressLine label="Cc" addresses={email.cc} />
    </dl>
  );
}

/** After a file that was not stored: "(not stored)", with the reason when the payload gives one. Pure. */
export const notStoredNote = (skipped: string | undefined): string => (skipped ? `(not stored: ${skipped})` : "(not stored)");

/** Types the download route shows inline (attachments.ts): only these get a thumbnail. */
const THUMBNAIL_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** Whether a listed file shows as a small picture: stored (it has an id) and a plain raster image. Pure. */
export const hasThumbnail = (a: Pick<Email["attachments"][number], "id" | "type">): boolean => a.id !== undefined && a.type !== null && THUMBNAIL_TYPES.has(a.type);

/**
 * The files an email came with, an agent's reply carried, or a visitor sent on Messenger: a
 * download link where the file was stored (a plain image with a small picture of it), else its
 * name and why it was not.
 */
function Attachments({ attachments, notListed }: { attachments: Email["attachments"]; notListed: number }) {
  if (attachments.length === 0 && notListed === 0) return null;
  return (
    <ul className="attachments" aria-label="Attachments">
      {attachments.map((a, i) => {
        const name = a.name ?? "unnamed file";
        return (
          <li key={`${i}:${a.id ?? name}`}>
            {a.id !== undefined ? (
              <a href={`/inbox/attachments/${encodeURIComponent(a.id)}`} download={a.name ?? true}>
                {hasThumbnail(a) ? (
                  // Decorative: the link's text names the file. Loaded lazily, so a long thread does not fetch every photo at once.
                  <img className="attachments__thumbnail" src={`/inbox/attachments/${encodeURIComponent(a.id)}`} alt="" loading="lazy" width={96} height={96} />
                ) : null}
                {name}
              </a>
            ) : (
              <span>{name}</span>
            )}{" "}
            <span className="muted">
              ({humanSize(a.size)}){a.id === undefined ? ` ${notStoredNote(a.skipped)}` : ""}
            </span>
          </li>
        );
      })}
      {notListed > 0 ? (
        <li className="muted">
          and {notListed} more {notListed === 1 ? "file" : "files"}, not listed or stored
        </li>
      ) : null}
    </ul>
  );
}

/**
 * Under an outgoing message in an email or Messenger conversation: "Sending…" (with the next try
 * and why the last failed, while a retry waits), "Sent" quietly, or "Not delivered — <reason>"
 * with a Retry button. The state is text in a status region, so a change is announced.
 */
function DeliveryLine({ conversationId, messageId, delivery, now }: { conversationId: string; messageId: string; delivery: Delivery; now: number }) {
  const retry = useFetcher<RetryDeliveryResult>({ key: `retry-delivery:${messageId}` });
  const busy = retry.state !== "idle";
  const problem = retry.data && !retry.data.ok && retry.state === "idle" ? (retry.data.fields.messageId ?? retry.data.error) : null;
  // While the retry is on its way the row is pending already: say so before the page re-reads it.
  const status: Delivery["status"] = busy ? "pending" : delivery.status;
  return (
    <div className={`delivery delivery--${status}`}>
      <p className="delivery__state" role="status">
        {status === "sent" ? (
          <>
            Sent{delivery.sentAt !== null ? <> · <Time at={delivery.sentAt} now={now} /></> : null}
          </>
        ) : status === "pending" ? (
          <>
            Sending…
            {!busy && delivery.attempts > 0 && delivery.nextAttemptAt !== null ? (
              <>
                {" "}
                retry at <Time at={delivery.nextAttemptAt} now={now} />
                {delivery.lastError ? ` — last try failed: ${delivery.lastError}` : ""}
              </>
            ) : null}
          </>
        ) : (
          <>Not delivered — {delivery.lastError ?? "the channel refused it"}</>
        )}
      </p>
      {delivery.status === "failed" && !busy ? (
        <retry.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="delivery__retry">
          <CsrfInput />
          <input type="hidden" name="intent" value="retry-delivery" />
          <input type="hidden" name="messageId" value={messageId} />
          <button type="submit" className="button button--secondary button--small" aria-label="Retry sending this message">
            Retry
          </button>
        </retry.Form>
      ) : null}
      <ErrorNotice message={problem} />
    </div>
  );
}

/**
 * Under an agent's chat reply: Seen (in the widget, with the panel open), Not seen yet (and when
 * it will be emailed, or why not), or the follow-up email that carried it (follow-ups.ts).
 */
function FollowUpLine({ note, now }: { note: FollowUpNote; now: number }) {
  switch (note.kind) {
    case "seen":
      return (
        <p className="follow-up follow-up--seen">
          Seen · <Time at={note.at} now={now} />
        </p>
      );
    case "emailed":
      return (
        <p className="follow-up follow-up--emailed">
          Not seen in the chat · emailed{note.to ? ` to ${note.to}` : ""} · <Time at={note.at} now={now} />
        </p>
      );
    case "not_emailed":
      return (
        <p className="follow-up follow-up--failed">
          Not seen in the chat · not emailed: {note.reason}
        </p>
      );
    case "unseen":
      return (
        <p className="follow-up">
          Not seen yet
          {note.emailAt !== null ? (
            <>
              {" "}
              · {note.lastError ? "emailing failed, next try at" : "emailed to the visitor at"} <Time at={note.emailAt} now={now} />
              {note.lastError ? "" : " if still unseen"}
              {note.lastError ? ` — ${note.lastError}` : ""}
            </>
          ) : note.why === "no_address" ? (
            " · the visitor left no email address to follow up by"
          ) : null}
        </p>
      );
  }
}

// Layout effects warn on the server; plain effects there are no-ops anyway.
const useIsoLayoutEffect = typeof window === "undefined" ? useEffect : useLayoutEffect;

const authorLabel = (m: ThreadMessage): string => {
  switch (m.author) {
    case "visitor":
      return "Visitor";
    case "bot":
      return "Bot";
    case "agent":
      return m.authorName ?? "Agent";
    case "system":
      return "Parley";
  }
};

/** Only web links become links: a bubble URL is the flow author's text. */
const safeHref = (url: string): string | undefined => (/^https?:\/\//i.test(url) ? url : undefined);

const valueText = (value: unknown): string =>
  typeof value === "string" ? value : value === null || value === undefined ? "—" : JSON.stringify(value);

/** A text naming an automation rule, the name a link to the rule for those who may open it. */
function RuleText({ text, rule, link }: { text: string; rule: RuleRef; link: boolean }) {
  const parts = ruleLineParts(text, rule);
  if (parts.name === null || !link) return <>{text}</>;
  return (
    <>
      {parts.before}
      <a href={ruleHref(rule)}>{parts.name}</a>
      {parts.after}
    </>
  );
}

/** The handoff marker: where the bot let go, and everything it collected. */
function HandoffMarker({ message, now }: { message: ThreadMessage; now: number }) {
  // The bot may hold a value twice (a variable and the contact property it was saved to): show it once.
  const seen = new Set<string>();
  const fields = Object.entries(message.handoff ?? {}).filter(([key, v]) => {
    if (v === null || v === "") return false;
    const shown = `${fieldLabel(key)}\u0000${valueText(v)}`;
    if (seen.has(shown)) return false;
    seen.add(shown);
    return true;
  });
  return (
    <li className="message message--handoff" aria-label="Handoff from the bot">
      <p className="message--handoff__title">
        <strong>Handed off by the bot</strong> · <Time at={message.createdAt} now={now} />
      </p>
      {message.handoffTeamClosed ? <p className="muted">{handoffClosedLine(message.handoffTeamClosed)}</p> : null}
      {fields.length > 0 ? (
        <dl className="facts facts--compact">
          {fields.map(([key, value]) => (
            <div key={key}>
              <dt>{fieldLabel(key)}</dt>
              <dd>{valueText(value)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">The bot collected nothing.</p>
      )}
    </li>
  );
}

/**
 * The whole transcript as a log: the visitor's, the bot's and agents' messages, internal
 * comments (marked, never shown to the visitor), the handoff marker, and a "new" divider
 * before what arrived since the agent last read it. Text is rendered as text, never as HTML.
 * An email shows its headers and attachments, an agent's reply by email the files it carried, a
 * visitor's Messenger message the files it came with;
 * a reply to an outside channel shows whether it was delivered, an agent's chat reply whether the
 * visitor saw it or was emailed it. Keeps the view at the bottom as messages arrive unless the agent scrolled up.
 */
export function ThreadMessages({
  conversationId,
  messages,
  lastReadMessageId,
  truncated,
  now,
  followUps = null,
  visitorEmail = null,
  rating = null,
  linkRules = false,
}: {
  conversationId: string;
  messages: ReadonlyArray<ThreadMessage>;
  lastReadMessageId: number;
  truncated: boolean;
  now: number;
  /** A chat conversation's seen mark and follow-up emails; null for other channels. */
  followUps?: ConversationFollowUps | null;
  /** The address a follow-up would go to (the contact's). */
  visitorEmail?: string | null;
  /** The visitor's rating of the conversation, when they gave one. */
  rating?: Rating | null;
  /** Whether a rule's name links to it on Settings → Automation (admins only see that page). */
  linkRules?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const lastId = messages[messages.length - 1]?.id;
  const firstUnread = lastReadMessageId > 0 ? messages.find((m) => Number(m.id) > lastReadMessageId && m.author !== "agent") : undefined;
  const subjects = subjectShownOn(messages);
  // A delivery line appearing or changing under the last message grows the list too: follow it.
  const notes = followUps === null ? new Map<string, ReadonlyArray<FollowUpNote>>() : followUpNotes(messages, followUps, visitorEmail);
  const deliveries =
    messages.map((m) => (m.delivery ? `${m.id}:${m.delivery.status}` : "")).join(",") +
    [...notes].map(([id, list]) => `${id}:${list.map((n) => n.kind).join("+")}`).join(",") +
    (rating ? `rated:${rating.at}` : "");

  useIsoLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lastId, deliveries]);

  return (
    // The log wraps the list (a role on the <ol> itself would take its list semantics away).
    <div
      ref={ref}
      className="messages"
      role="log"
      aria-label="Conversation transcript"
      aria-live="polite"
      tabIndex={0}
      onScroll={(event) => {
        const el = event.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
    >
      <ol className="messages__list">
      {truncated ? <li className="messages__note muted">Older messages are not shown.</li> : null}
      {messages.length === 0 ? <li className="messages__note muted">No messages yet.</li> : null}
      {messages.map((m) => {
        const divider = firstUnread?.id === m.id ? (
          <li key={`new-${m.id}`} className="messages__divider" aria-label="New messages">
            <span>New</span>
          </li>
        ) : null;
        if (m.handoff !== undefined) {
          return [divider, <HandoffMarker key={m.id} message={m} now={now} />];
        }
        if (m.author === "system") {
          // An event in the conversation (a snooze and its end): one quiet line, for the team only.
          return [
            divider,
            <li key={m.id} className="messages__event">
              {m.rule ? <RuleText text={m.text} rule={m.rule} link={linkRules} /> : m.text} · <Time at={m.createdAt} now={now} />
            </li>,
          ];
        }
        const kind = m.internal ? "comment" : m.author;
        return [
          divider,
          <li key={m.id} className={`message message--${kind}`}>
            <p className="message__meta">
              <span className="message__author">{authorLabel(m)}</span>
              {m.rule ? (
                <span className="message__rule">
                  <RuleText text={ruleByline(m.rule)} rule={m.rule} link={linkRules} />
                </span>
              ) : null}
              {m.internal ? <span className="message__internal">Internal comment · never shown to the visitor</span> : null}
              <Time at={m.createdAt} now={now} />
            </p>
            {m.email ? <EmailHead email={m.email} showSubject={subjects.has(m.id)} /> : null}
            <div className="message__body">
              {m.bubble?.type === "image" ? (
                <p>
                  <a href={safeHref(m.bubble.url)} target="_blank" rel="noopener noreferrer">
                    Image{m.bubble.alt ? `: ${m.bubble.alt}` : ""}
                  </a>
                </p>
              ) : m.bubble?.type === "link" ? (
                <p>
                  <a href={safeHref(m.bubble.url)} target="_blank" rel="noopener noreferrer">
                    {m.bubble.label}
                  </a>
                </p>
              ) : (
                <p className="message__text">{m.text}</p>
              )}
              {m.choices && m.choices.length > 0 ? (
                <ul className="message__choices" aria-label="Quick replies offered">
                  {m.choices.map((c) => (
                    <li key={c.id}>{c.label}</li>
                  ))}
                </ul>
              ) : null}
              {m.email ? (
                <Attachments attachments={m.email.attachments} notListed={m.email.attachmentsNotListed} />
              ) : m.attachments ? (
                <Attachments attachments={m.attachments} notListed={0} />
              ) : null}
            </div>
            {m.delivery ? <DeliveryLine conversationId={conversationId} messageId={m.id} delivery={m.delivery} now={now} /> : null}
            {(notes.get(m.id) ?? []).map((note, i) => (
              <FollowUpLine key={i} note={note} now={now} />
            ))}
          </li>,
        ];
      })}
      {rating ? (
        <li className="messages__rating" aria-label="The visitor's rating">
          <strong>
            Rated {rating.score} / 5 · {RATING_WORDS[rating.score] ?? ""}
          </strong>{" "}
          · <Time at={rating.at} now={now} />
          {rating.comment ? <p className="messages__rating-comment">“{rating.comment}”</p> : null}
        </li>
      ) : null}
      </ol>
    </div>
  );
}

/** The words the widget shows beside each score. */
const RATING_WORDS: Readonly<Record<number, string>> = { 1: "Terrible", 2: "Bad", 3: "OK", 4: "Good", 5: "Great" };
