import { Form, useFetcher } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { LabelChip as Chip } from "../../runtime.server.js";
import { CsrfInput, useCsrfToken } from "../csrf-input.js";
import { capitalise } from "../messages.js";
import type { ThreadActionResult } from "./action-result.js";
import { LabelChip } from "./label-chips.js";
import { MenuFilter, menuKeyDown, shownChoices } from "./menu-parts.js";

export const labelsFetcherKey = (conversationId: string) => `labels:${conversationId}`;

/** The labels whose name holds `query` (any case; all for a blank one). Pure. */
export const matchingLabels = <L extends Pick<Chip, "name">>(labels: ReadonlyArray<L>, query: string): ReadonlyArray<L> => {
  const q = query.trim().toLowerCase();
  return q === "" ? labels : labels.filter((l) => l.name.toLowerCase().includes(q));
};

/**
 * The thread header's Labels menu: a disclosure (keyboard and screen readers know it) holding a
 * filter field and a checkbox per label. Ticking or unticking one adds or removes that label at
 * once (`add-label` / `remove-label`, one label each with its own fetcher, so two quick ticks and
 * two agents' changes never undo each other); typing filters the list; ↓ / ↑ move between the
 * boxes and Escape closes the menu. Without JavaScript the boxes are sent together with Apply
 * (`set-labels`: each label shown is added when ticked and removed when not).
 */
export function LabelPicker({ conversationId, action, labels, chosen }: { conversationId: string; action: string; labels: ReadonlyArray<Chip>; chosen: ReadonlyArray<Chip> }) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const summaryRef = useRef<HTMLElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  // Labels whose change failed: when one is no longer offered (an admin deleted it meanwhile),
  // its own box and message are gone with it, so the menu says what happened.
  const [failed, setFailed] = useState<ReadonlyArray<Chip>>([]);
  const gone = failed.filter((f) => !labels.some((l) => l.id === f.id)).map((f) => f.name);
  const onResult = useCallback(
    (label: Chip, didFail: boolean) =>
      setFailed((all) =>
        all.some((f) => f.id === label.id) === didFail ? all : didFail ? [...all, label] : all.filter((f) => f.id !== label.id),
      ),
    [],
  );
  const has = new Set(chosen.map((l) => l.id));
  const shown = new Set(matchingLabels(labels, query).map((l) => l.id));

  const boxes = () => shownChoices<HTMLInputElement>(listRef.current, "input[type=checkbox]");
  const onKeyDown = menuKeyDown(boxes, () => setOpen(false), summaryRef);

  return (
    <details
      className="snooze-menu label-picker"
      open={open}
      onToggle={(event) => {
        setOpen(event.currentTarget.open);
        if (!event.currentTarget.open) setFailed([]);
      }}
      onKeyDown={onKeyDown}
    >
      <summary ref={summaryRef} className="button button--secondary button--small">
        Labels{chosen.length > 0 ? ` (${chosen.length})` : ""}
      </summary>
      <Form method="post" action={action} className="snooze-menu__panel" aria-label="Labels of this conversation">
        <CsrfInput />
        <input type="hidden" name="intent" value="set-labels" />
        {gone.length > 0 ? (
          <p className="field__error" role="alert">
            {gone.map((name) => `“${name}”`).join(", ")} {gone.length === 1 ? "was" : "were"} deleted meanwhile: nothing was changed.
          </p>
        ) : null}
        {labels.length === 0 ? (
          <p className="muted label-picker__empty">No labels yet: an admin adds them in Settings → Labels.</p>
        ) : (
          <>
            <MenuFilter label="Filter labels" value={query} onChange={setQuery} first={() => boxes()[0]} />
            <ul className="label-picker__list" ref={listRef}>
              {labels.map((label) => (
                <LabelOption
                  key={label.id}
                  conversationId={conversationId}
                  action={action}
                  label={label}
                  checked={has.has(label.id)}
                  hidden={!shown.has(label.id)}
                  onResult={onResult}
                />
              ))}
            </ul>
            {shown.size === 0 ? <p className="muted label-picker__empty">No label matches “{query.trim()}”.</p> : null}
            <noscript>
              <button type="submit" className="button button--small">
                Apply
              </button>
            </noscript>
          </>
        )}
      </Form>
    </details>
  );
}

/** One label's box in the menu: a tick adds it, an untick removes it, each through its own fetcher. */
function LabelOption({
  conversationId,
  action,
  label,
  checked,
  hidden,
  onResult,
}: {
  conversationId: string;
  action: string;
  label: Chip;
  checked: boolean;
  hidden: boolean;
  /** Told whether the box's last change failed. */
  onResult: (label: Chip, failed: boolean) => void;
}) {
  const fetcher = useFetcher<ThreadActionResult>({ key: `${labelsFetcherKey(conversationId)}:${label.id}` });
  const csrf = useCsrfToken();
  const failed = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.error : null;
  // What the agent asked for shows at once (a controlled box would otherwise spring back until the
  // fetcher starts), then what the server stored once the change and the re-read are done.
  const [asked, setAsked] = useState<boolean | null>(null);
  useEffect(() => {
    if (fetcher.state === "idle") setAsked(null);
  }, [fetcher.state, checked]);
  const sending = fetcher.formData ? fetcher.formData.get("intent") === "add-label" : null;
  useEffect(() => {
    // As soon as the answer is in (the page's re-read may follow, and take this box away).
    if (fetcher.state !== "submitting" && fetcher.data) onResult(label, !fetcher.data.ok);
  }, [fetcher.state, fetcher.data, label, onResult]);
  return (
    <li hidden={hidden}>
      <input type="hidden" name="shown" value={label.id} />
      <label className="choice">
        <input
          type="checkbox"
          name="labelId"
          value={label.id}
          checked={sending ?? asked ?? checked}
          onChange={(event) => {
            const add = event.currentTarget.checked;
            setAsked(add);
            fetcher.submit({ intent: add ? "add-label" : "remove-label", labelId: label.id, csrf }, { method: "post", action });
          }}
        />
        <LabelChip label={label} />
      </label>
      {failed ? (
        <p className="field__error" role="alert">
          {capitalise(failed)}
        </p>
      ) : null}
    </li>
  );
}
