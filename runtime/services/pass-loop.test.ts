import { Effect } from "effect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makePassLoop } from "./pass-loop.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("makePassLoop", () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it("runs one pass at a time, runs once more for a wake during a pass, and nothing before start or after stop", async () => {
    let open = true;
    let running = 0;
    let most = 0;
    let passes = 0;
    const gates: Array<() => void> = [];
    const loop = makePassLoop("Test", () => open, () =>
      Effect.promise(async () => {
        passes++;
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      }),
    );
    loop.wake();
    await tick();
    expect(passes).toBe(0);
    stop = loop.start(60_000);
    await tick();
    expect(passes).toBe(1);
    // Three wakes while the first pass runs: one more pass after it, not three, never two at once.
    loop.wake();
    loop.wake();
    loop.wake();
    await tick();
    gates.shift()!();
    await tick();
    await tick();
    expect(passes).toBe(2);
    gates.shift()!();
    await tick();
    await tick();
    expect(passes).toBe(2);
    expect(most).toBe(1);
    stop();
    loop.wake();
    await tick();
    expect(passes).toBe(2);
    open = false;
  });

  it("logs a failed pass and goes on; stays quiet once the database is closed", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let open = true;
    let passes = 0;
    const loop = makePassLoop("Test", () => open, () => Effect.sync(() => passes++).pipe(Effect.flatMap(() => Effect.die(new Error("boom")))));
    stop = loop.start(60_000);
    await tick();
    await tick();
    expect(error).toHaveBeenCalledWith("Test: a pass failed:", expect.anything());
    loop.wake();
    await tick();
    await tick();
    expect(passes).toBe(2);
    open = false;
    loop.wake();
    await tick();
    expect(passes).toBe(2);
    error.mockRestore();
  });
});
