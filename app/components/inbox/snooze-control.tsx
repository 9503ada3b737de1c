import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useState } from "react";
import type { ConversationSummary } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import type { ThreadActionResult } from "./action-result.js";
import { browserTimeZone, localValueOf, snoozePresets } from "./snooze-logic.js";
import { Time, useHydrated } from "./time.js";

export const snoozeFetcherKey = (conversationId: string) => `snooze:${conversationId}`;
export const unsnoozeFetcherKey = (conversationId: string) => `unsnooze:${conversationId}`;

/**
 * True while the agent's own reply is being stored and the thread reloaded: the version on the
 * page is then the one before the reply, and a snooze clicked in that moment ("I'll check
 * tomorrow", then Snooze) would meet the reply as someone else's change. The buttons wait.
 */
const useReplying = (conversationId: string): boolean => useFetcher({ key: `composer:${conversationId}` }).state !== "idle";

/**
 * The thread header's Snooze menu (a disclosure: keyboard and screen readers know it) with
 * presets computed on the agent's clock and a date-time field; it carries the conversation's version.
 * Without JavaScript the presets are those of the workspace's time zone when the page was
 * drawn, and the field is read on that zone, which it names; the page's script replaces both
 * with the browser's zone.
 */
export function SnoozeControl({
  conversation,
  action,
  workspaceTimeZone,
  now,
}: {
  conversation: ConversationSummary;
  action: string;
  /** The zone the field is read on without JavaScript (the reports' workspace time zone). */
  workspaceTimeZone: string;
  now: number;
}) {
  // Keyed: the header reads the same fetchers for its problem line and conflict refresh.
  const snooze = useFetcher<ThreadActionResult>({ key: snoozeFetcherKey(conversation.id) });
  const replying = useReplying(conversation.id);
  const busy = snooze.state !== "idle" || replying;
  const hydrated = useHydrated();
  const zone = (hydrated ? browserTimeZone() : null) ?? workspaceTimeZone;
  const [open, setOpen] = useState(false);
  const fieldId = useId();
  const presets = snoozePresets(now, zone);

  useEffect(() => {
    // A snooze that went through closes the menu.
    if (snooze.state === "idle" && snooze.data?.ok) setOpen(false);
  }, [snooze.state, snooze.data]);

  return (
    <details className="snooze-menu" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="button button--secondary button--small">{conversation.snooze ? "Snooze again" : "Snooze"}</summary>
      <snooze.Form method="post" action={action} className="snooze-menu__panel" aria-label="Snooze until">
        <CsrfInput />
        <input type="hidden" name="intent" value="snooze" />
        <input type="hidden" name="version" value={conversation.version} />
        <input type="hidden" name="timeZone" value={zone} />
        <ul className="snooze-menu__presets">
          {presets.map((p) => (
            <li key={p.id}>
              {/* Not held up by the field below: a half-typed or past date there must not block a preset. */}
              <button type="submit" name="until" value={p.at} className="button button--secondary button--small" disabled={busy} formNoValidate>
                {p.label}
                <span className="snooze-menu__when">
                  <Time at={p.at} now={now} />
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="snooze-menu__custom">
          <label htmlFor={fieldId}>Until</label>
          <input id={fieldId} type="datetime-local" name="at" min={localValueOf(now, zone)} required aria-describedby={`${fieldId}-zone`} />
          <button type="submit" className="button button--small" disabled={busy}>
            Snooze
          </button>
          <p id={`${fieldId}-zone`} className="snooze-menu__zone muted">
            Time zone: {zone}
          </p>
        </div>
      </snooze.Form>
    </details>
  );
}

/** "Snoozed until … by …" with Unsnooze (at the conversation's version), while it is snoozed. */
export function SnoozedLine({ conversation, action, now }: { conversation: ConversationSummary; action: string; now: number }) {
  const unsnooze = useFetcher<ThreadActionResult>({ key: unsnoozeFetcherKey(conversation.id) });
  const replying = useReplying(conversation.id);
  const snoozed = conversation.snooze;
  if (snoozed === null) return null;
  return (
    <div className="thread__snoozed">
      <span>
        Snoozed until <Time at={snoozed.until} now={now} style="full" />
        {snoozed.by ? ` by ${snoozed.by.name}` : ""} · it comes back then, or when the visitor writes.
      </span>
      <unsnooze.Form method="post" action={action}>
        <CsrfInput />
        <input type="hidden" name="intent" value="unsnooze" />
        <input type="hidden" name="version" value={conversation.version} />
        <button type="submit" className="button button--secondary button--small" disabled={unsnooze.state !== "idle" || replying}>
          Unsnooze
        </button>
      </unsnooze.Form>
    </div>
  );
}
