import { describe, expect, it } from "vitest";
import { createCallBuffer, readQueuedCalls } from "./queue.js";

describe("readQueuedCalls", () => {
  it("reads [method, ...args] entries in order, arrays and arguments objects alike", () => {
    function record(..._args: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      return arguments;
    }
    const stub = { q: [["identify", { email: "a@b.c", hash: "x" }], record("open"), ["on", "ready", "cb"]] };
    expect(readQueuedCalls(stub)).toEqual({
      calls: [
        { method: "identify", args: [{ email: "a@b.c", hash: "x" }] },
        { method: "open", args: [] },
        { method: "on", args: ["ready", "cb"] },
      ],
      problems: [],
    });
  });

  it("reports malformed entries with their path and keeps the good ones", () => {
    const { calls, problems } = readQueuedCalls({ q: ["open", ["explode"], ["close"], null] });
    expect(calls).toEqual([{ method: "close", args: [] }]);
    const message = "expected [method, ...args] naming a Parley method";
    expect(problems).toEqual([
      { path: "Parley.q[0]", message },
      { path: "Parley.q[1]", message },
      { path: "Parley.q[3]", message },
    ]);
  });

  it("treats no stub or no queue as nothing queued, and a non-array queue as a problem", () => {
    expect(readQueuedCalls(undefined)).toEqual({ calls: [], problems: [] });
    expect(readQueuedCalls({})).toEqual({ calls: [], problems: [] });
    expect(readQueuedCalls({ q: "open" }).problems).toEqual([{ path: "Parley.q", message: "expected an array" }]);
  });
});

describe("createCallBuffer", () => {
  it("holds calls until the target arrives, then replays them in order", async () => {
    const buffer = createCallBuffer<{ log: string[] }>();
    const target = { log: [] as string[] };
    const first = buffer.run((t) => {
      t.log.push("identify");
      return "one";
    });
    const second = buffer.run(async (t) => {
      t.log.push("open");
      return "two";
    });
    buffer.ifReady((t) => t.log.push("close before ready"));
    expect(target.log).toEqual([]);
    buffer.attach(target);
    expect(await first).toBe("one");
    expect(await second).toBe("two");
    expect(target.log).toEqual(["identify", "open"]);
  });

  it("runs at once once attached, and a throwing call rejects only its own promise", async () => {
    const buffer = createCallBuffer<string[]>();
    const log: string[] = [];
    buffer.attach(log);
    const bad = buffer.run(() => {
      throw new Error("boom");
    });
    await expect(bad).rejects.toThrow("boom");
    await buffer.run((t) => t.push("after"));
    buffer.ifReady((t) => t.push("ready"));
    expect(log).toEqual(["after", "ready"]);
  });
});
