/**
 * Pop-open: the flow's display settings may open the chat by themselves — after N seconds,
 * once the visitor scrolled past a share of the page, or on exit intent (the pointer leaving
 * through the top of the viewport, towards the tabs and the address bar).
 */
import type { PopOpen } from "./types.js";

/** How far down the page the visitor is, 0–100; null when the page cannot scroll. Pure. */
export const scrollPercent = (scrollTop: number, scrollHeight: number, viewportHeight: number): number | null => {
  const room = scrollHeight - viewportHeight;
  return room <= 0 ? null : Math.min(100, Math.max(0, (scrollTop / room) * 100));
};

/** The parts of `window` pop-open listens to (an EventTarget with scroll metrics). */
export interface PopOpenWindow extends EventTarget {
  readonly scrollY: number;
  readonly innerHeight: number;
  readonly document: EventTarget & { readonly documentElement: { readonly scrollHeight: number } };
}

/**
 * Calls `fire` once when the rule triggers; returns the disarm function (also called by the
 * trigger itself, so no listener or timer outlives it). `never` arms nothing.
 */
export const armPopOpen = (rule: PopOpen, fire: () => void, win: PopOpenWindow): (() => void) => {
  let disarm = () => {};
  const trigger = () => {
    disarm();
    fire();
  };
  if (rule.mode === "after_seconds") {
    const timer = setTimeout(trigger, Math.max(0, rule.seconds) * 1000);
    disarm = () => clearTimeout(timer);
  } else if (rule.mode === "after_scroll") {
    const onScroll = () => {
      const percent = scrollPercent(win.scrollY, win.document.documentElement.scrollHeight, win.innerHeight);
      if (percent !== null && percent >= rule.percent) trigger();
    };
    win.addEventListener("scroll", onScroll, { passive: true });
    disarm = () => win.removeEventListener("scroll", onScroll);
  } else if (rule.mode === "exit_intent") {
    const onOut = (event: Event) => {
      const { relatedTarget, clientY } = event as MouseEvent;
      if (!relatedTarget && clientY <= 0) trigger();
    };
    win.document.addEventListener("mouseout", onOut);
    disarm = () => win.document.removeEventListener("mouseout", onOut);
  }
  return () => disarm();
};
