/**
 * The inspector's form controls. Each reads and writes node data by path through the
 * inspector context, shows the schema's (and the compiler's) messages for its path, and has a
 * real <label>, so forms stay short and every field is reachable by its name.
 */
import { createContext, useContext, useRef, type ReactNode } from "react";
import { capitalise } from "../../messages.js";
import type { FlowReferences } from "../references.js";
import { insertAt, templateTokenGroups } from "../references.js";
import { appendAt, getIn, moveAt, pathString, removeAt, type DataPath } from "./data-path.js";

export interface Workspace {
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly users: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly contactProperties: ReadonlyArray<string>;
  /** Contact lists, for "Add to list" steps. */
  readonly lists: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** Conversation labels, for handoff steps. */
  readonly labels: ReadonlyArray<{ readonly id: string; readonly name: string }>;
}

/** What every field of one node's form shares. */
export interface InspectorApi {
  readonly nodeId: string;
  readonly data: unknown;
  /** Writes one value; consecutive writes to the same path are one undo step. */
  readonly set: (path: DataPath, value: unknown) => void;
  /** Replaces the whole data (adding or removing list items): one undo step each. */
  readonly replace: (data: unknown) => void;
  /** Messages for exactly this path (relative to the node's data). */
  readonly errorsAt: (path: DataPath) => ReadonlyArray<string>;
  readonly references: FlowReferences;
  readonly workspace: Workspace;
  readonly readOnly: boolean;
}

export const InspectorContext = createContext<InspectorApi | null>(null);

/**
 * Words read before every field label inside a list item ("Choice 2 "), so each field has a
 * unique accessible name while the visible label stays short.
 */
const LabelPrefix = createContext("");

/** The current node form's API; only valid inside an inspector form. */
export const useInspector = (): InspectorApi => {
  const api = useContext(InspectorContext);
  if (!api) throw new Error("useInspector must be used inside an InspectorContext provider");
  return api;
};

export const idFor = (nodeId: string, path: DataPath) => `fe-${nodeId}-${pathString(path).replace(/[^A-Za-z0-9_-]/g, "-")}`;

/** A label, the control, its hint and messages, wired for screen readers; `extra` sits beside the label. */
export function FieldShell({
  id,
  label,
  hint,
  errors,
  children,
  inline = false,
  extra,
}: {
  id: string;
  label: string;
  hint?: string | undefined;
  errors: ReadonlyArray<string>;
  children: (aria: { id: string; "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode;
  inline?: boolean;
  extra?: ReactNode;
}) {
  const prefix = useContext(LabelPrefix);
  const text = (
    <>
      {prefix ? <span className="fe-sr">{prefix}</span> : null}
      {label}
    </>
  );
  const describedBy = [hint ? `${id}-hint` : null, errors.length > 0 ? `${id}-error` : null].filter(Boolean).join(" ");
  const aria = { id, ...(errors.length > 0 ? { "aria-invalid": true as const } : {}), ...(describedBy ? { "aria-describedby": describedBy } : {}) };
  return (
    <div className={`fe-field${inline ? " fe-field--inline" : ""}${errors.length > 0 ? " fe-field--invalid" : ""}`}>
      {inline ? (
        <label htmlFor={id} className="fe-field__inline">
          {children(aria)}
          <span>{text}</span>
        </label>
      ) : (
        <div className="fe-field__top">
          <label htmlFor={id}>{text}</label>
          {extra}
        </div>
      )}
      {inline ? null : children(aria)}
      <FieldNotes id={id} hint={hint} errors={errors} />
    </div>
  );
}

/** A field's hint and messages, with the ids its control's aria-describedby names. */
function FieldNotes({ id, hint, errors }: { id: string; hint: string | undefined; errors: ReadonlyArray<string> }) {
  return (
    <>
      {hint ? (
        <p id={`${id}-hint`} className="fe-field__hint">
          {hint}
        </p>
      ) : null}
      {errors.length > 0 ? (
        <p id={`${id}-error`} className="fe-field__error">
          {errors.join(" ")}
        </p>
      ) : null}
    </>
  );
}

const asText = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** A one-line text field; an emptied optional field is removed from the data. */
export function TextField({
  path,
  label,
  hint,
  placeholder,
  optional = false,
  list,
}: {
  path: DataPath;
  label: string;
  hint?: string;
  placeholder?: string;
  optional?: boolean;
  /** Suggestions (a datalist), e.g. known variable names. */
  list?: ReadonlyArray<string>;
}) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  return (
    <FieldShell id={id} label={label} hint={hint} errors={api.errorsAt(path)}>
      {(aria) => (
        <>
          <input
            {...aria}
            type="text"
            value={asText(getIn(api.data, path))}
            placeholder={placeholder}
            readOnly={api.readOnly}
            list={list ? `${id}-list` : undefined}
            autoComplete="off"
            onChange={(e) => api.set(path, optional && e.target.value === "" ? undefined : e.target.value)}
          />
          {list ? (
            <datalist id={`${id}-list`}>
              {list.map((item) => (
                <option key={item} value={item} />
              ))}
            </datalist>
          ) : null}
        </>
      )}
    </FieldShell>
  );
}

/** A variable name field suggesting the flow's variables. */
export function VariableField(props: { path: DataPath; label: string; hint?: string; optional?: boolean }) {
  const api = useInspector();
  return <TextField {...props} list={api.references.variables} placeholder="e.g. email" />;
}

/** A contact property field suggesting the workspace's and the flow's properties. */
export function ContactPropertyField(props: { path: DataPath; label: string; hint?: string; optional?: boolean }) {
  const api = useInspector();
  return <TextField {...props} list={api.references.contactProperties} placeholder="e.g. company" />;
}

/**
 * A template field (text with `{{tokens}}`) with an "insert token" menu that puts the
 * chosen token where the caret is.
 */
export function TemplateField({
  path,
  label,
  hint,
  multiline = false,
  optional = false,
  placeholder,
}: {
  path: DataPath;
  label: string;
  hint?: string;
  multiline?: boolean;
  optional?: boolean;
  placeholder?: string;
}) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const value = asText(getIn(api.data, path));
  const write = (text: string) => api.set(path, optional && text === "" ? undefined : text);
  const prefix = useContext(LabelPrefix);
  const groups = templateTokenGroups(api.references);
  const menu = api.readOnly ? null : (
    <select
      className="fe-token-menu"
      aria-label={`Insert a token into ${prefix}${label}`}
      value=""
      onChange={(e) => {
        const token = e.target.value;
        if (!token) return;
        const el = ref.current;
        const start = el?.selectionStart ?? value.length;
        const end = el?.selectionEnd ?? value.length;
        const next = insertAt(value, token, start, end);
        write(next.text);
        // Put the caret after the token once React has written the new value.
        requestAnimationFrame(() => {
          el?.focus();
          el?.setSelectionRange(next.caret, next.caret);
        });
      }}
    >
      <option value="">Insert {"{{token}}"}</option>
      {groups.map((group) => (
        <optgroup key={group.label} label={group.label}>
          {group.tokens.map((token) => (
            <option key={token} value={token}>
              {token}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
  return (
    <FieldShell id={id} label={label} hint={hint} errors={api.errorsAt(path)} extra={menu}>
      {(aria) =>
        multiline ? (
          <textarea {...aria} ref={ref} rows={3} value={value} placeholder={placeholder} readOnly={api.readOnly} onChange={(e) => write(e.target.value)} />
        ) : (
          <input {...aria} ref={ref} type="text" value={value} placeholder={placeholder} readOnly={api.readOnly} onChange={(e) => write(e.target.value)} />
        )
      }
    </FieldShell>
  );
}

/** A number field; emptied, an optional number is removed from the data. */
export function NumberField({
  path,
  label,
  hint,
  min,
  max,
  step,
  optional = false,
}: {
  path: DataPath;
  label: string;
  hint?: string;
  min?: number;
  max?: number;
  step?: number;
  optional?: boolean;
}) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  const current = getIn(api.data, path);
  return (
    <FieldShell id={id} label={label} hint={hint} errors={api.errorsAt(path)}>
      {(aria) => (
        <input
          {...aria}
          type="number"
          inputMode="decimal"
          value={typeof current === "number" ? String(current) : ""}
          min={min}
          max={max}
          step={step ?? "any"}
          readOnly={api.readOnly}
          onChange={(e) => {
            const raw = e.target.value;
            if (raw === "") {
              if (optional) api.set(path, undefined);
              return;
            }
            const n = Number(raw);
            if (Number.isFinite(n)) api.set(path, n);
          }}
        />
      )}
    </FieldShell>
  );
}

export interface Option {
  readonly value: string;
  readonly label: string;
}

/** A select; with `emptyLabel`, choosing it removes the value. `onSelect` replaces the default write (e.g. to reshape data). */
export function SelectField({
  path,
  label,
  options,
  hint,
  emptyLabel,
  onSelect,
}: {
  path: DataPath;
  label: string;
  options: ReadonlyArray<Option>;
  hint?: string;
  emptyLabel?: string;
  onSelect?: (value: string) => void;
}) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  const current = asText(getIn(api.data, path));
  const known = options.some((o) => o.value === current);
  return (
    <FieldShell id={id} label={label} hint={hint} errors={api.errorsAt(path)}>
      {(aria) => (
        <select
          {...aria}
          value={current}
          disabled={api.readOnly}
          onChange={(e) => {
            const value = e.target.value;
            if (onSelect) onSelect(value);
            else api.set(path, value === "" && emptyLabel !== undefined ? undefined : value);
          }}
        >
          {emptyLabel !== undefined || current === "" ? <option value="">{emptyLabel ?? "Choose…"}</option> : null}
          {!known && current !== "" ? <option value={current}>{current} (unknown)</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

/** A checkbox with its label beside it. */
export function CheckboxField({ path, label, hint }: { path: DataPath; label: string; hint?: string }) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  return (
    <FieldShell id={id} label={label} hint={hint} errors={api.errorsAt(path)} inline>
      {(aria) => (
        <input {...aria} type="checkbox" checked={getIn(api.data, path) === true} disabled={api.readOnly} onChange={(e) => api.set(path, e.target.checked)} />
      )}
    </FieldShell>
  );
}

/**
 * A set of values picked with checkboxes under a legend (a handoff's labels), written as an
 * array in the options' order; none picked removes the value. An id no option has (deleted
 * since) stays listed, marked unknown, so it can be unticked.
 */
export function CheckListField({ path, legend, options, hint }: { path: DataPath; legend: string; options: ReadonlyArray<Option>; hint?: string }) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  const current = getIn(api.data, path);
  const picked = new Set(Array.isArray(current) ? current.filter((v): v is string => typeof v === "string") : []);
  const all = [...options, ...[...picked].filter((v) => !options.some((o) => o.value === v)).map((v) => ({ value: v, label: `${v} (unknown)` }))];
  const errors = [...api.errorsAt(path), ...listItemErrors(api, path, current)];
  const toggle = (value: string, on: boolean) => {
    const next = all.map((o) => o.value).filter((v) => (v === value ? on : picked.has(v)));
    api.set(path, next.length === 0 ? undefined : next);
  };
  return (
    <fieldset className="fe-group" aria-describedby={[hint ? `${id}-hint` : null, errors.length > 0 ? `${id}-error` : null].filter(Boolean).join(" ") || undefined}>
      <legend>{legend}</legend>
      {all.map((o, i) => (
        <div key={o.value} className="fe-field fe-field--inline">
          <label htmlFor={`${id}-${i}`} className="fe-field__inline">
            <input id={`${id}-${i}`} type="checkbox" checked={picked.has(o.value)} disabled={api.readOnly} onChange={(e) => toggle(o.value, e.target.checked)} />
            <span>{o.label}</span>
          </label>
        </div>
      ))}
      <FieldNotes id={id} hint={hint} errors={errors} />
    </fieldset>
  );
}

/** A comma-separated list of names (code inputs and outputs), written as an array. */
export function NameListField({ path, label, hint }: { path: DataPath; label: string; hint?: string }) {
  const api = useInspector();
  const id = idFor(api.nodeId, path);
  const current = getIn(api.data, path);
  const text = Array.isArray(current) ? current.join(", ") : "";
  return (
    <FieldShell id={id} label={label} hint={hint} errors={[...api.errorsAt(path), ...listItemErrors(api, path, current)]}>
      {(aria) => (
        <input
          {...aria}
          type="text"
          // Keyed by the list so an outside change (undo) shows, while typing keeps the raw text.
          key={text}
          defaultValue={text}
          readOnly={api.readOnly}
          autoComplete="off"
          onBlur={(e) => {
            const names = e.target.value.split(",").map((s) => s.trim()).filter((s) => s !== "");
            if (names.join(", ") !== text) api.set(path, names);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          }}
        />
      )}
    </FieldShell>
  );
}

const listItemErrors = (api: InspectorApi, path: DataPath, list: unknown): ReadonlyArray<string> =>
  Array.isArray(list) ? list.flatMap((item, i) => api.errorsAt([...path, i]).map((m) => `${String(item)}: ${m}`)) : [];

/**
 * A repeated group (bubbles, choices, rules…): each item in a box with move and remove
 * buttons named after the item ("Remove choice 2"), and an add button.
 */
export function ItemList({
  path,
  legend,
  itemName,
  newItem,
  minItems = 0,
  children,
}: {
  path: DataPath;
  legend: string;
  /** Lower-case noun for one item: "choice". */
  itemName: string;
  newItem: (items: ReadonlyArray<unknown>) => unknown;
  minItems?: number;
  children: (index: number) => ReactNode;
}) {
  const api = useInspector();
  const prefix = useContext(LabelPrefix);
  const list = getIn(api.data, path);
  const title = (index: number) => `${capitalise(itemName)} ${index + 1}`;
  const items: ReadonlyArray<unknown> = Array.isArray(list) ? list : [];
  const errors = api.errorsAt(path);
  return (
    <fieldset className="fe-list">
      <legend>
        {prefix ? <span className="fe-sr">{prefix}</span> : null}
        {legend}
      </legend>
      {errors.length > 0 ? <p className="fe-field__error">{errors.join(" ")}</p> : null}
      {items.map((_, index) => (
        <div className="fe-list__item" key={index}>
          <div className="fe-list__bar">
            <span className="fe-list__title">{title(index)}</span>
            {api.readOnly ? null : (
              <span className="fe-list__actions">
                <button type="button" className="fe-icon-button" aria-label={`Move ${prefix}${itemName} ${index + 1} up`} disabled={index === 0} onClick={() => api.replace(moveAt(api.data, path, index, -1))}>
                  ↑
                </button>
                <button
                  type="button"
                  className="fe-icon-button"
                  aria-label={`Move ${prefix}${itemName} ${index + 1} down`}
                  disabled={index === items.length - 1}
                  onClick={() => api.replace(moveAt(api.data, path, index, 1))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="fe-icon-button fe-icon-button--danger"
                  aria-label={`Remove ${prefix}${itemName} ${index + 1}`}
                  disabled={items.length <= minItems}
                  onClick={() => api.replace(removeAt(api.data, path, index))}
                >
                  ×
                </button>
              </span>
            )}
          </div>
          <LabelPrefix.Provider value={`${prefix}${title(index)} `}>{children(index)}</LabelPrefix.Provider>
        </div>
      ))}
      {api.readOnly ? null : (
        <button type="button" className="fe-button fe-button--small" onClick={() => api.replace(appendAt(api.data, path, newItem(items)))}>
          Add {itemName}
          {prefix ? <span className="fe-sr"> to {prefix.trim().toLowerCase()}</span> : null}
        </button>
      )}
    </fieldset>
  );
}
