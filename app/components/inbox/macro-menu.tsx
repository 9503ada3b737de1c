import { useActionData, useFetcher } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import type { ConversationSummary } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import { ErrorNotice } from "../settings/notices.js";
import type { ThreadActionResult } from "./action-result.js";
import { newClientMessageId } from "./composer-logic.js";
import { isTyping } from "./conversation-list.js";
import { MenuFilter, menuKeyDown, shownChoices } from "./menu-parts.js";
import { browserTimeZone } from "./snooze-logic.js";
import { useHydrated } from "./time.js";

/** A macro as the menu shows it: its name and what it will do, a line a step. */
export interface MacroChoice {
  readonly id: string;
  readonly name: string;
  readonly steps: ReadonlyArray<string>;
}

export const macroFetcherKey = (conversationId: string) => `macro:${conversationId}`;

/** The macros whose name or steps hold `query` (any case; all for a blank one). Pure. */
export const matchingMacros = <M extends MacroChoice>(macros: ReadonlyArray<M>, query: string): ReadonlyArray<M> => {
  const q = query.trim().toLowerCase();
  return q === "" ? macros : macros.filter((m) => m.name.toLowerCase().includes(q) || m.steps.some((s) => s.toLowerCase().includes(q)));
};

/** The run's answer, from the menu's fetcher or (without JavaScript) the page's own post. */
const useMacroResult = (conversationId: string): ThreadActionResult | undefined => {
  const fetcher = useFetcher<ThreadActionResult>({ key: macroFetcherKey(conversationId) });
  const posted = useActionData<ThreadActionResult>();
  if (fetcher.data) return fetcher.state === "idle" ? fetcher.data : undefined;
  return posted?.intent === "run-macro" ? posted : undefined;
};

/**
 * The thread header's Macros menu: a disclosure (like Labels) with a type-to-filter field and,
 * for each macro, its name, the preview line of what it will do, and a Run button that posts
 * `run-macro` with the conversation's version. ↓ / ↑ move between the Run buttons, Escape
 * closes, and `m` anywhere in the thread outside a text field opens it at the filter. Works
 * without JavaScript (each Run is a form; the page shows the outcome).
 */
export function MacroMenu({ conversation, action, macros }: { conversation: ConversationSummary; action: string; macros: ReadonlyArray<MacroChoice> }) {
  const fetcher = useFetcher<ThreadActionResult>({ key: macroFetcherKey(conversation.id) });
  const replying = useFetcher({ key: `composer:${conversation.id}` }).state !== "idle";
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const summaryRef = useRef<HTMLElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  // With no macros the link to Settings takes the focus, so Escape (a key of the open menu) closes it.
  const emptyRef = useRef<HTMLAnchorElement>(null);
  const hydrated = useHydrated();
  const zone = hydrated ? browserTimeZone() : null;
  // One id per run: a double submit of the same run stores its reply once.
  const [clientMessageId, setClientMessageId] = useState(newClientMessageId);
  const shown = new Set(matchingMacros(macros, query).map((m) => m.id));
  const busy = fetcher.state !== "idle" || replying;

  useEffect(() => {
    // A run that went through closes the menu; the next run is a new send.
    if (fetcher.state === "idle" && fetcher.data?.ok) {
      setOpen(false);
      setQuery("");
      setClientMessageId(newClientMessageId());
    }
  }, [fetcher.state, fetcher.data]);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== "m" || event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target)) return;
      event.preventDefault();
      setOpen(true);
      // After the disclosure has opened.
      requestAnimationFrame(() => (filterRef.current ?? listRef.current?.querySelector<HTMLButtonElement>("button") ?? emptyRef.current)?.focus());
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const buttons = () => shownChoices<HTMLButtonElement>(listRef.current, "button[type=submit]");
  const onKeyDown = menuKeyDown(buttons, () => setOpen(false), summaryRef);

  return (
    <details className="snooze-menu macro-menu" open={open} onToggle={(event) => setOpen(event.currentTarget.open)} onKeyDown={onKeyDown}>
      <summary ref={summaryRef} className="button button--secondary button--small" aria-keyshortcuts="m">
        Macros
      </summary>
      <div className="snooze-menu__panel" role="group" aria-label="Macros">
        {macros.length === 0 ? (
          <p className="muted label-picker__empty">
            No macros yet: add one in{" "}
            <a href="/settings/macros" ref={emptyRef}>
              Settings → Macros
            </a>
            .
          </p>
        ) : (
          <>
            <MenuFilter label="Filter macros" value={query} onChange={setQuery} first={() => buttons()[0]} inputRef={filterRef} />
            <ul className="macro-menu__list" ref={listRef}>
              {macros.map((macro) => (
                <li key={macro.id} hidden={!shown.has(macro.id)}>
                  <fetcher.Form method="post" action={action} className="macro-menu__item">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="run-macro" />
                    <input type="hidden" name="macroId" value={macro.id} />
                    <input type="hidden" name="version" value={conversation.version} />
                    <input type="hidden" name="clientMessageId" value={clientMessageId} />
                    {zone ? <input type="hidden" name="timeZone" value={zone} /> : null}
                    <div className="macro-menu__text">
                      <strong id={`macro-${macro.id}-name`}>{macro.name}</strong>
                      <span className="macro-menu__steps muted" id={`macro-${macro.id}-steps`}>
                        {macro.steps.length > 0 ? macro.steps.join(" · ") : "Does nothing yet"}
                      </span>
                    </div>
                    <button
                      type="submit"
                      className="button button--small"
                      disabled={busy}
                      aria-label={`Run ${macro.name}`}
                      aria-describedby={`macro-${macro.id}-steps`}
                    >
                      Run
                    </button>
                  </fetcher.Form>
                </li>
              ))}
            </ul>
            {shown.size === 0 ? <p className="muted label-picker__empty">No macro matches “{query.trim()}”.</p> : null}
          </>
        )}
      </div>
    </details>
  );
}

/** What the last macro run did: the steps done and, precisely, those skipped and why; or why it did not run. */
export function MacroOutcome({ conversationId }: { conversationId: string }) {
  const result = useMacroResult(conversationId);
  if (result === undefined) return null;
  if (!result.ok) {
    return (
      <ErrorNotice
        message={result.conflict ? `${result.error} Nothing was changed.` : `The macro did not run: ${result.error}`}
        tone={result.conflict ? "warning" : "error"}
      />
    );
  }
  const macro = result.macro;
  if (!macro) return null;
  return (
    <div className={macro.skipped.length > 0 ? "notice notice--warning macro-outcome" : "notice notice--success macro-outcome"} role="status">
      <p>{result.message}</p>
      {macro.skipped.length > 0 ? (
        <ul>
          {macro.skipped.map((s, i) => (
            <li key={i}>
              Skipped: {s.step} — {s.reason}.
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
