/**
 * The toolbar's "Find a step" box (decision 054): a combobox whose list shows the matches — each
 * step's name and kind and where it matched, the query's words marked — under the box. Typing
 * goes to the first match; ↓/↑ move through the list and Enter goes to the row chosen (or, on
 * the match already shown, to the next one; Shift+Enter to the one before); a click goes to a
 * row; Escape closes the list, and a second Escape empties the box. Going to a match selects it
 * and centres the canvas on it (`goTo`), also for a step a windowed canvas has not drawn.
 */
import { useEffect, useMemo, useState, type Ref } from "react";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { findSteps, matchSnippet, nextMatch } from "./find.js";
import type { NameLookup } from "./node-summary.js";

/** Rows the list shows at most; the rest are counted (a word more narrows them). */
export const FIND_ROWS = 50;
const LIST_ID = "fe-find-list";
const optionId = (index: number) => `fe-find-option-${index}`;

/** The find box's buttons: previous and next match. */
const FIND_STEPS = [
  { label: "Previous match", keys: "Shift+Enter", step: -1, icon: "m6 15 6-6 6 6" },
  { label: "Next match", keys: "Enter", step: 1, icon: "m6 9 6 6 6-6" },
] as const;

export function FindBox({
  document,
  names,
  goTo,
  inputRef,
}: {
  readonly document: FlowDocument;
  readonly names: NameLookup;
  /** Selects the step or note and centres the canvas on it. */
  readonly goTo: (id: string) => void;
  readonly inputRef: Ref<HTMLInputElement>;
}) {
  const [query, setQuery] = useState("");
  // `current`: the match on the canvas ("2 of 5"); `active`: the row ↓/↑ have reached.
  const [current, setCurrent] = useState(-1);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const matches = useMemo(() => findSteps(document, query, names), [document.nodes, document.notes, query, names]);
  const rows = useMemo(() => matches.slice(0, FIND_ROWS), [matches]);
  // `rows` changes whenever the steps, notes, query or names do: the snippets follow them.
  const snippets = useMemo(() => rows.map((match) => matchSnippet(document, match, query, names)), [rows]);
  const activeRow = active < rows.length ? active : -1;
  const listed = open && rows.length > 0;

  const jump = (index: number) => {
    const match = matches[index];
    if (!match) return;
    setCurrent(index);
    setActive(index < FIND_ROWS ? index : -1);
    goTo(match.id);
  };
  const onChange = (value: string) => {
    setQuery(value);
    setOpen(true);
    const first = findSteps(document, value, names)[0];
    setCurrent(first ? 0 : -1);
    setActive(first ? 0 : -1);
    if (first) goTo(first.id);
  };
  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setOpen(true);
      if (!listed && activeRow >= 0) return; // reopening shows where ↓/↑ were
      setActive(nextMatch(activeRow, rows.length, event.key === "ArrowUp" ? -1 : 1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (listed && !event.shiftKey && activeRow >= 0 && activeRow !== current) jump(activeRow);
      else jump(nextMatch(current, matches.length, event.shiftKey ? -1 : 1));
    } else if (event.key === "Escape" && query !== "") {
      event.preventDefault();
      if (listed) return setOpen(false);
      onChange("");
    }
  };

  // The row ↓/↑ reached stays in view inside the scrolling list.
  useEffect(() => {
    if (listed && activeRow >= 0) globalThis.document.getElementById(optionId(activeRow))?.scrollIntoView({ block: "nearest" });
  }, [listed, activeRow]);

  const status = query.trim() === "" ? "" : matches.length === 0 ? "No match" : `${matches[current] ? current + 1 : 0} of ${matches.length}`;
  return (
    <div className="fe-find" role="search" aria-label="Find a step">
      <input
        ref={inputRef}
        type="search"
        role="combobox"
        className="fe-find__input"
        aria-label="Find a step"
        aria-describedby="fe-find-status"
        aria-autocomplete="list"
        aria-expanded={listed}
        aria-controls={listed ? LIST_ID : undefined}
        aria-activedescendant={listed && activeRow >= 0 ? optionId(activeRow) : undefined}
        placeholder="Find a step (Ctrl/Cmd+F)"
        value={query}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
      />
      <span id="fe-find-status" className="fe-find__status" aria-live="polite" title={matches[current]?.title}>
        {status}
      </span>
      {FIND_STEPS.map(({ label, keys, step, icon }) => (
        <button
          key={label}
          type="button"
          className="fe-tool"
          aria-label={label}
          title={`${label} (${keys})`}
          disabled={matches.length === 0}
          onClick={() => jump(nextMatch(current, matches.length, step))}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" className="fe-tool__icon">
            <path d={icon} />
          </svg>
        </button>
      ))}
      {listed ? (
        <div className="fe-find__popup">
          <ul id={LIST_ID} role="listbox" aria-label="Matching steps" className="fe-find__list">
            {rows.map((match, index) => (
              <FindRow
                key={match.id}
                id={optionId(index)}
                name={match.name}
                kind={match.kind}
                snippet={snippets[index]!}
                active={index === activeRow}
                current={index === current}
                // Keeps the focus (and so the list) in the box while the row is clicked.
                onMouseDown={preventDefault}
                onClick={() => jump(index)}
              />
            ))}
          </ul>
          {matches.length > rows.length ? <p className="fe-find__more">and {matches.length - rows.length} more: add a word to narrow the list</p> : null}
        </div>
      ) : null}
    </div>
  );
}

const preventDefault = (event: React.SyntheticEvent) => event.preventDefault();

/** One match in the list; the snippet is text nodes and <mark>s, never HTML. */
function FindRow(props: {
  id: string;
  name: string;
  kind: string;
  snippet: ReturnType<typeof matchSnippet>;
  active: boolean;
  current: boolean;
  onMouseDown: (event: React.SyntheticEvent) => void;
  onClick: () => void;
}) {
  return (
    <li
      id={props.id}
      role="option"
      aria-selected={props.active}
      aria-current={props.current ? "true" : undefined}
      className={`fe-find__row${props.active ? " fe-find__row--active" : ""}${props.current ? " fe-find__row--current" : ""}`}
      onMouseDown={props.onMouseDown}
      onClick={props.onClick}
    >
      <span className="fe-find__row-head">
        <span className="fe-find__name">{props.name}</span> <span className="fe-find__kind">{props.kind}</span>
      </span>{" "}
      {props.snippet.length > 0 ? (
        <span className="fe-find__snippet">
          {props.snippet.map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : part.text))}
        </span>
      ) : null}
    </li>
  );
}
