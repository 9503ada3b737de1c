/** Which language the widget speaks, and filling `{slot}`s in its strings. */

export type Language = "en" | "de";

const SUPPORTED: ReadonlyArray<Language> = ["en", "de"];

const primary = (tag: unknown): Language | undefined => {
  if (typeof tag !== "string") return undefined;
  const code = tag.trim().toLowerCase().split(/[-_]/)[0];
  return SUPPORTED.find((language) => language === code);
};

/**
 * The flow's language when the widget has strings for it, else the first supported browser
 * language (navigator.languages order), else English. Pure.
 */
export const pickLanguage = (flowLanguage: unknown, browserLanguages: ReadonlyArray<string>): Language => {
  const fromFlow = primary(flowLanguage);
  if (fromFlow) return fromFlow;
  for (const tag of browserLanguages) {
    const language = primary(tag);
    if (language) return language;
  }
  return "en";
};

/** Fills `{name}` slots from `values`; unknown slots stay as written. Pure. */
export const format = (template: string, values: Readonly<Record<string, string | number>>): string =>
  template.replace(/\{(\w+)\}/g, (slot, name: string) => (name in values ? String(values[name]) : slot));
