import { Option } from "effect";
import { describe, expect, it } from "vitest";
import { keptByText, storedBusinessHours } from "./business-hours.js";

describe("keptByText: stored values decoded once per text", () => {
  const counting = () => {
    const calls: string[] = [];
    const decode = keptByText((text: string) => (calls.push(text), text.startsWith("{") ? Option.some({ text }) : Option.none()), { text: "fallback" }, 3);
    return { calls, decode };
  };

  it("decodes a text once and hands the same value again; another text is decoded anew", () => {
    const { calls, decode } = counting();
    const first = decode('{"a":1}');
    expect(decode('{"a":1}')).toBe(first);
    expect(decode('{"a":2}')).toEqual({ text: '{"a":2}' });
    expect(calls).toEqual(['{"a":1}', '{"a":2}']);
  });

  it("reads an unreadable text as the fallback, once", () => {
    const { calls, decode } = counting();
    expect(decode("not json")).toEqual({ text: "fallback" });
    expect(decode("not json")).toEqual({ text: "fallback" });
    expect(calls).toEqual(["not json"]);
  });

  it("keeps at most its number of texts, and still answers every one right after forgetting", () => {
    const { calls, decode } = counting();
    const texts = Array.from({ length: 7 }, (_, i) => `{"n":${i}}`);
    for (const text of [...texts, ...texts]) expect(decode(text)).toEqual({ text });
    // Kept three at a time: the second pass decodes again what was forgotten.
    expect(calls.length).toBeGreaterThan(texts.length);
  });
});

describe("storedBusinessHours", () => {
  it("reads the stored JSON, the same each time it is asked, and unreadable values as none", () => {
    const hours = '[{"day":"mon","from":"09:00","to":"17:00"}]';
    const closed = '[{"date":"2026-12-25","name":"Christmas"}]';
    const read = storedBusinessHours("Europe/Berlin", hours, closed);
    expect(read.timezone).toBe("Europe/Berlin");
    expect(read.hours).toEqual([{ day: "mon", from: "09:00", to: "17:00" }]);
    expect(read.closed).toEqual([{ date: "2026-12-25", name: "Christmas", yearly: false }]);
    expect(storedBusinessHours("Europe/Berlin", hours, closed)).toEqual(read);
    expect(storedBusinessHours("Nowhere/Else", "[", "{}")).toEqual({ timezone: "UTC", hours: [], closed: [] });
  });
});
