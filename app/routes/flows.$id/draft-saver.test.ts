import { describe, expect, it, vi } from "vitest";
import { CONFLICT_MESSAGE, DraftSaver, statusLine, type SaveResult, type SaveStatus } from "./draft-saver.js";

interface Call {
  readonly document: string;
  readonly baseRevision: number;
  readonly resolve: (result: SaveResult) => void;
}

/** A saver on fake time whose requests the test answers by hand. */
const setup = (revision = 3) => {
  vi.useFakeTimers();
  const calls: Call[] = [];
  const statuses: SaveStatus[] = [];
  const saver = new DraftSaver<string>({
    revision,
    saved: "v0",
    send: (document, baseRevision) => new Promise((resolve) => calls.push({ document, baseRevision, resolve })),
    onStatus: (s) => statuses.push(s),
    delayMs: 800,
    retryMs: 1000,
  });
  return { saver, calls, statuses };
};

const settle = () => vi.advanceTimersByTimeAsync(0);

describe("DraftSaver", () => {
  it("waits for a pause in editing, then saves the latest document on the current revision", async () => {
    const { saver, calls, statuses } = setup();
    saver.change("v1");
    await vi.advanceTimersByTimeAsync(500);
    saver.change("v2");
    await vi.advanceTimersByTimeAsync(799);
    expect(calls).toHaveLength(0);
    expect(statusLine(saver.current())).toBe("Unsaved changes…");
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => [c.document, c.baseRevision])).toEqual([["v2", 3]]);
    calls[0]!.resolve({ ok: true, revision: 4 });
    await settle();
    expect(saver.current()).toEqual({ kind: "saved", revision: 4 });
    expect(statusLine(saver.current())).toBe("Saved · revision 4");
    expect(statuses.map((s) => s.kind)).toEqual(["dirty", "saving", "saved"]);
    vi.useRealTimers();
  });

  it("sends one request at a time and saves edits made meanwhile on the new revision", async () => {
    const { saver, calls } = setup();
    saver.change("v1");
    await vi.advanceTimersByTimeAsync(800);
    saver.change("v2");
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ ok: true, revision: 4 });
    await settle();
    expect(saver.current().kind).toBe("dirty");
    await vi.advanceTimersByTimeAsync(800);
    expect(calls.map((c) => [c.document, c.baseRevision])).toEqual([
      ["v1", 3],
      ["v2", 4],
    ]);
    calls[1]!.resolve({ ok: true, revision: 5 });
    await settle();
    expect(saver.current()).toEqual({ kind: "saved", revision: 5 });
    vi.useRealTimers();
  });

  it("stops on a conflict and never sends over the other edit", async () => {
    const { saver, calls } = setup();
    saver.change("v1");
    await vi.advanceTimersByTimeAsync(800);
    calls[0]!.resolve({ ok: false, kind: "conflict", message: "stale" });
    await settle();
    expect(saver.current()).toEqual({ kind: "conflict", revision: 3, message: CONFLICT_MESSAGE });
    saver.change("v2");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    expect(await saver.flush()).toBe(false);
    expect(saver.hasUnsavedChanges()).toBe(true);
    vi.useRealTimers();
  });

  it("retries a failed request with backoff", async () => {
    const { saver, calls } = setup();
    saver.change("v1");
    await vi.advanceTimersByTimeAsync(800);
    calls[0]!.resolve({ ok: false, kind: "failed", message: "offline" });
    await settle();
    expect(saver.current().kind).toBe("error");
    expect(statusLine(saver.current())).toContain("offline");
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve({ ok: false, kind: "failed", message: "offline" });
    await settle();
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve({ ok: true, revision: 4 });
    await settle();
    expect(saver.current()).toEqual({ kind: "saved", revision: 4 });
    vi.useRealTimers();
  });

  it("flushes at once and reports whether the server has the latest document", async () => {
    const { saver, calls } = setup();
    expect(await saver.flush()).toBe(true);
    saver.change("v1");
    const flushed = saver.flush();
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ ok: true, revision: 4 });
    expect(await flushed).toBe(true);
    expect(saver.hasUnsavedChanges()).toBe(false);
    vi.useRealTimers();
  });

  it("treats an undo back to the saved document as saved", async () => {
    const { saver, calls } = setup();
    saver.change("v1");
    saver.change("v0");
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(0);
    expect(saver.current()).toEqual({ kind: "saved", revision: 3 });
    vi.useRealTimers();
  });
});
