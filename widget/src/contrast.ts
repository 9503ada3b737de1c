/**
 * Colour arithmetic for the launcher and the bubbles: the accent colour comes from the flow's
 * display settings, so the text drawn on it is chosen by luminance to stay readable (WCAG 2).
 */

const HEX = /^#[0-9a-f]{6}$/i;

/** The colour the widget uses when a flow's accent is not `#rrggbb`. */
export const DEFAULT_ACCENT = "#1f6feb";

/** The accent when it is a `#rrggbb` colour, else the default. Pure. */
export const accentOrDefault = (value: unknown): string =>
  typeof value === "string" && HEX.test(value) ? value.toLowerCase() : DEFAULT_ACCENT;

/** WCAG relative luminance of a `#rrggbb` colour, 0 (black) to 1 (white). Pure. */
export const luminance = (hex: string): number =>
  [0.2126, 0.7152, 0.0722].reduce((sum, weight, i) => {
    const c = parseInt(hex.slice(2 * i + 1, 2 * i + 3), 16) / 255;
    return sum + weight * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }, 0);

/** WCAG contrast ratio between two `#rrggbb` colours, 1 to 21. Pure. */
export const contrastRatio = (a: string, b: string): number => {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
};

// Written on luminance directly (not contrastRatio) to keep the loader small; equivalent:
// contrast with white = 1.05 / (L + 0.05), with black = (L + 0.05) / 0.05.

/**
 * Black or white, whichever reads better on `background`. Pure. Pure black and white (not
 * near-black) because one of them always reaches ≥ 4.58:1, so text on any accent passes AA.
 */
export const textOn = (background: string): "#000000" | "#ffffff" => ((luminance(background) + 0.05) ** 2 <= 0.0525 ? "#ffffff" : "#000000");

/** The accent when it can be text (and focus rings) on white at ≥ 4.5:1, else near-black. Pure. */
export const inkOnWhite = (accent: string): string => (1.05 / (luminance(accent) + 0.05) >= 4.5 ? accent : "#1a1a1a");
