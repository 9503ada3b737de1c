import { useEffect, useLayoutEffect, useRef } from "react";
import type { ThreadMessage } from "../../runtime.server.js";
import { fieldLabel } from "./labels.js";
import { Time } from "./time.js";

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
 * Keeps the view at the bottom as messages arrive unless the agent scrolled up.
 */
export function ThreadMessages({
  messages,
  lastReadMessageId,
  truncated,
  now,
}: {
  messages: ReadonlyArray<ThreadMessage>;
  lastReadMessageId: number;
  truncated: boolean;
  now: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const lastId = messages[messages.length - 1]?.id;
  const firstUnread = lastReadMessageId > 0 ? messages.find((m) => Number(m.id) > lastReadMessageId && m.author !== "agent") : undefined;

  useIsoLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lastId]);

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
        const kind = m.internal ? "comment" : m.author;
        return [
          divider,
          <li key={m.id} className={`message message--${kind}`}>
            <p className="message__meta">
              <span className="message__author">{authorLabel(m)}</span>
              {m.internal ? <span className="message__internal">Internal comment · never shown to the visitor</span> : null}
              <Time at={m.createdAt} now={now} />
            </p>
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
            </div>
          </li>,
        ];
      })}
      </ol>
    </div>
  );
}
