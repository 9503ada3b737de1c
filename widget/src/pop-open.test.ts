import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { armPopOpen, scrollPercent, type PopOpenWindow } from "./pop-open.js";

const fakeWindow = () => {
  const win = new EventTarget() as EventTarget & { scrollY: number; innerHeight: number; document: EventTarget & { documentElement: { scrollHeight: number } } };
  win.scrollY = 0;
  win.innerHeight = 800;
  win.document = Object.assign(new EventTarget(), { documentElement: { scrollHeight: 2800 } });
  return win;
};

const mouseOut = (clientY: number, relatedTarget: unknown = null) => Object.assign(new Event("mouseout"), { clientY, relatedTarget });

describe("scrollPercent", () => {
  it("measures how far down the scrollable room the visitor is", () => {
    expect(scrollPercent(0, 2800, 800)).toBe(0);
    expect(scrollPercent(1000, 2800, 800)).toBe(50);
    expect(scrollPercent(5000, 2800, 800)).toBe(100);
    expect(scrollPercent(0, 800, 800)).toBeNull();
  });
});

describe("armPopOpen", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fires once after the given seconds, and not when disarmed first", () => {
    const fire = vi.fn();
    armPopOpen({ mode: "after_seconds", seconds: 15 }, fire, fakeWindow() as PopOpenWindow);
    vi.advanceTimersByTime(14_999);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);

    const never = vi.fn();
    const disarm = armPopOpen({ mode: "after_seconds", seconds: 1 }, never, fakeWindow() as PopOpenWindow);
    disarm();
    vi.advanceTimersByTime(5000);
    expect(never).not.toHaveBeenCalled();
  });

  it("fires when the scroll passes the percentage, once", () => {
    const win = fakeWindow();
    const fire = vi.fn();
    armPopOpen({ mode: "after_scroll", percent: 50 }, fire, win as PopOpenWindow);
    win.scrollY = 900;
    win.dispatchEvent(new Event("scroll"));
    expect(fire).not.toHaveBeenCalled();
    win.scrollY = 1000;
    win.dispatchEvent(new Event("scroll"));
    win.scrollY = 1500;
    win.dispatchEvent(new Event("scroll"));
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("fires on exit intent only when the pointer leaves through the top", () => {
    const win = fakeWindow();
    const fire = vi.fn();
    armPopOpen({ mode: "exit_intent" }, fire, win as PopOpenWindow);
    win.document.dispatchEvent(mouseOut(300));
    win.document.dispatchEvent(mouseOut(0, { tagName: "DIV" }));
    expect(fire).not.toHaveBeenCalled();
    win.document.dispatchEvent(mouseOut(-2));
    win.document.dispatchEvent(mouseOut(-2));
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("arms nothing for never", () => {
    const win = fakeWindow();
    const fire = vi.fn();
    armPopOpen({ mode: "never" }, fire, win as PopOpenWindow);
    win.document.dispatchEvent(mouseOut(-1));
    vi.advanceTimersByTime(100_000);
    expect(fire).not.toHaveBeenCalled();
  });
});
