import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { axisTicks, BarChart, LineChart, lineRows, shortCategory, truncate } from "./charts.js";

describe("chart helpers", () => {
  it("spaces axis ticks evenly from 0 past the largest value, in whole numbers for counts", () => {
    expect(axisTicks(8, true)).toEqual([0, 2, 4, 6, 8]);
    expect(axisTicks(13, true)).toEqual([0, 5, 10, 15]);
    expect(axisTicks(3, true)).toEqual([0, 1, 2, 3]);
    expect(axisTicks(1, true)).toEqual([0, 1]);
    expect(axisTicks(0, true)).toEqual([0, 1]);
    expect(axisTicks(1, false)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(axisTicks(0.3, false)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it("keeps every tick list covering its value with at most five steps", () => {
    for (const value of [0.01, 0.7, 1, 2, 9, 10, 11, 99, 101, 12_345]) {
      for (const integer of [false, true]) {
        const ticks = axisTicks(value, integer);
        expect(ticks[0]).toBe(0);
        expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(value);
        expect(ticks.length).toBeLessThanOrEqual(6);
        if (integer) for (const t of ticks) expect(Number.isInteger(t)).toBe(true);
      }
    }
  });

  it("keys series by position, so a name with dots is not read as a path", () => {
    expect(lineRows(["2026-03-01", "2026-03-02"], [{ name: "v1.2", values: [3] }, { name: "b", values: [1, 2] }])).toEqual([
      { category: "2026-03-01", s0: 3, s1: 1 },
      { category: "2026-03-02", s0: 0, s1: 2 },
    ]);
  });

  it("shortens days on the axis and long labels", () => {
    expect(shortCategory("2026-03-01")).toBe("03-01");
    expect(shortCategory("Week 9")).toBe("Week 9");
    expect(truncate("A very long flow name indeed", 10)).toBe("A very lo…");
    expect(truncate("Short", 10)).toBe("Short");
  });
});

describe("charts on the server", () => {
  // Remix renders these on the server; recharts draws after mount, so the server's HTML is the
  // named figure and a box of fixed size, the same markup the client hydrates.
  it("render a named figure with a fixed-size box and no error", () => {
    const line = renderToString(<LineChart title="Per day" categories={["2026-03-01", "2026-03-02"]} series={[{ name: "Started", values: [1, 2] }]} integer />);
    expect(line).toContain('<figure class="chart" aria-label="Per day">');
    expect(line).toContain("<figcaption");
    expect(line).toMatch(/width:720px;height:280px/);
    const bars = renderToString(<BarChart title="By flow" bars={[{ label: "A", value: 0.5 }, { label: "B", value: 1 }]} max={1} />);
    expect(bars).toContain('aria-label="By flow"');
    expect(bars).toMatch(/height:108px/);
  });
});
