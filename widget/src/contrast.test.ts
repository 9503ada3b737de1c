import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { accentOrDefault, contrastRatio, DEFAULT_ACCENT, inkOnWhite, luminance, textOn } from "./contrast.js";

const hexColour = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
  .map(([r, g, b]) => `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`);

describe("contrast", () => {
  it("knows the ends of the scale", () => {
    expect(luminance("#000000")).toBe(0);
    expect(luminance("#ffffff")).toBeCloseTo(1, 10);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#777777")).toBe(1);
  });

  it("matches published WCAG figures", () => {
    // #767676 on white is the classic "just passes AA" grey: 4.54:1.
    expect(contrastRatio("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
  });

  it("picks white on dark accents and black on light ones", () => {
    expect(textOn("#0b7285")).toBe("#ffffff");
    expect(textOn("#5f3dc4")).toBe("#ffffff");
    expect(textOn("#ffd43b")).toBe("#000000");
    expect(textOn("#e8590c")).toBe("#000000");
  });

  it("always reaches 4.5:1 for text on any accent, and picks the better of the two", () => {
    fc.assert(
      fc.property(hexColour, (accent) => {
        const chosen = contrastRatio(accent, textOn(accent));
        const other = contrastRatio(accent, textOn(accent) === "#ffffff" ? "#000000" : "#ffffff");
        return chosen >= 4.5 && chosen >= other - 1e-9;
      }),
    );
  });

  it("uses the accent as ink on white only when it is dark enough", () => {
    expect(inkOnWhite("#0b7285")).toBe("#0b7285");
    expect(inkOnWhite("#ffd43b")).toBe("#1a1a1a");
    fc.assert(fc.property(hexColour, (accent) => contrastRatio(inkOnWhite(accent), "#ffffff") >= 4.5));
  });

  it("falls back to the default accent for anything but #rrggbb", () => {
    expect(accentOrDefault("#0B7285")).toBe("#0b7285");
    for (const bad of ["red", "#fff", "#12345g", "url(x)", "#0b7285;}", 42, null, undefined]) {
      expect(accentOrDefault(bad)).toBe(DEFAULT_ACCENT);
    }
  });
});
