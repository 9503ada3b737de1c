/**
 * Parts of the thread header's filterable menus (Labels, Macros): the filter field, where Enter
 * moves to the first choice shown; and the keys — Escape closes the menu and gives the focus back
 * to its toggle, ↓ / ↑ move between the choices still shown (those the filter hid are skipped),
 * wrapping around. Safe on the client.
 */
import { useId, type KeyboardEvent, type Ref } from "react";

/** The choices under `list` matching `selector`, leaving out those inside a hidden element. */
export const shownChoices = <E extends HTMLElement>(list: HTMLElement | null, selector: string): E[] =>
  [...(list?.querySelectorAll<E>(selector) ?? [])].filter((e) => !e.closest("[hidden]"));

/** A keydown handler for a menu: `close` on Escape (then focus `toggle`), arrows over `choices()`. */
export const menuKeyDown =
  (choices: () => ReadonlyArray<HTMLElement>, close: () => void, toggle: { readonly current: HTMLElement | null }) =>
  (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      toggle.current?.focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = choices();
    if (all.length === 0) return;
    event.preventDefault();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const next = event.key === "ArrowDown" ? (at + 1) % all.length : at <= 0 ? all.length - 1 : at - 1;
    all[next]?.focus();
  };

/** The menu's filter field (labelled for screen readers); Enter in it submits nothing and moves to the first choice shown. */
export function MenuFilter({ label, value, onChange, first, inputRef }: {
  /** Its label and placeholder, e.g. "Filter labels". */
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The first choice shown, if any. */
  first: () => HTMLElement | undefined;
  inputRef?: Ref<HTMLInputElement>;
}) {
  const id = useId();
  return (
    <>
      <label className="visually-hidden" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        ref={inputRef}
        type="search"
        placeholder={label}
        autoComplete="off"
        value={value}
        onChange={(event) => onChange(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            first()?.focus();
          }
        }}
      />
    </>
  );
}
