import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compareIds, isMessage, latestId, mergeById, messagesOf } from "./messages.js";
import type { Message } from "./types.js";

const msg = (id: string, author: Message["author"] = "agent", text = `m${id}`): Message => ({ id, author, text, createdAt: "2025-01-01T00:00:00Z" });

describe("compareIds", () => {
  it("orders decimal ids numerically and others by code unit", () => {
    expect(compareIds("9", "10")).toBeLessThan(0);
    expect(compareIds("10", "9")).toBeGreaterThan(0);
    expect(compareIds("7", "7")).toBe(0);
    expect(compareIds("a", "b")).toBeLessThan(0);
    expect(["12", "3", "100", "21"].sort(compareIds)).toEqual(["3", "12", "21", "100"]);
  });
});

describe("mergeById (SSE catch-up)", () => {
  it("merges a catch-up batch that overlaps what the stream already delivered", () => {
    const shown = [msg("8", "visitor"), msg("9", "bot"), msg("10", "agent")];
    const catchUp = [msg("10", "agent", "duplicate"), msg("11", "agent"), msg("12", "system")];
    const { messages, added } = mergeById(shown, catchUp);
    expect(messages.map((m) => m.id)).toEqual(["8", "9", "10", "11", "12"]);
    expect(messages.find((m) => m.id === "10")?.text).toBe("m10");
    expect(added.map((m) => m.id)).toEqual(["11", "12"]);
  });

  it("puts a late older message in its place and reports nothing new for a replay", () => {
    const { messages } = mergeById([msg("1"), msg("3")], [msg("2")]);
    expect(messages.map((m) => m.id)).toEqual(["1", "2", "3"]);
    const replay = mergeById(messages, [msg("3"), msg("1")]);
    expect(replay.added).toEqual([]);
    expect(replay.messages).toBe(messages);
  });

  it("whatever the arrival order and duplicates, ends sorted with each id once", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }), { maxLength: 8 }), (batches) => {
        let transcript: ReadonlyArray<Message> = [];
        for (const batch of batches) transcript = mergeById(transcript, batch.map((n) => msg(String(n)))).messages;
        const ids = transcript.map((m) => Number(m.id));
        expect(ids).toEqual([...new Set(batches.flat())].sort((a, b) => a - b));
      }),
    );
  });
});

describe("latestId", () => {
  it("finds the highest id, starting from a known one", () => {
    expect(latestId([msg("9"), msg("10"), msg("2")])).toBe("10");
    expect(latestId([], "4")).toBe("4");
    expect(latestId([msg("3")], "4")).toBe("4");
    expect(latestId([])).toBeUndefined();
  });
});

describe("isMessage / messagesOf", () => {
  it("accepts messages and rejects malformed payloads", () => {
    expect(isMessage(msg("1"))).toBe(true);
    expect(isMessage({ id: "1", author: "hacker", text: "x" })).toBe(false);
    expect(isMessage({ id: 1, author: "bot", text: "x" })).toBe(false);
    expect(isMessage({ id: "1", author: "bot", text: null })).toBe(false);
    expect(isMessage("{}")).toBe(false);
    expect(messagesOf([msg("1"), { nope: true }, msg("2")]).map((m) => m.id)).toEqual(["1", "2"]);
    expect(messagesOf(undefined)).toEqual([]);
  });
});
