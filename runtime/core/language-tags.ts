/**
 * The languages a person answers in (decision 055): BCP 47 primary language subtags — ISO 639
 * codes such as `en`, `de`, `gsw` — stored lower-case and canonical (`iw` → `he`), at most
 * MAX_LANGUAGES, each once. A visitor's tag (`de-AT`, from Accept-Language or the widget) matches
 * an agent's by its primary subtag. Pure: Intl's language names are the list of known codes.
 */
import { ParseResult, Schema as S } from "effect";

/** How many languages one person may list. */
export const MAX_LANGUAGES = 20;

const names = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });
/** Codes that name no language a person answers in: undetermined, no content, several, uncoded. */
const NOT_A_LANGUAGE = new Set(["und", "zxx", "mul", "mis"]);

/** The primary language subtag of a tag as sent ("de-AT" → "de", "EN" → "en"); null when it has none. Pure. */
export const primaryLanguage = (tag: string): string | null => {
  const primary = tag.trim().split(/[-_]/)[0]!.toLowerCase();
  return /^[a-z]{2,3}$/.test(primary) ? primary : null;
};

/**
 * `input` as a stored language ("DE" → "de", "iw" → "he"), or why it is refused: not two or
 * three letters, a tag with a region or script, or a code that names no known language. Pure.
 */
export const readLanguage = (input: string): { readonly ok: true; readonly language: string } | { readonly ok: false; readonly message: string } => {
  const tag = input.trim();
  const primary = primaryLanguage(tag);
  if (primary !== null && tag.length > primary.length) return { ok: false, message: `"${tag}": give the language alone, without a region or script: ${primary}` };
  if (primary === null) return { ok: false, message: `"${tag}" is not a language code: two or three letters, such as en, de or fr` };
  const canonical = primaryLanguage(Intl.getCanonicalLocales(primary)[0] ?? primary) ?? primary;
  if (NOT_A_LANGUAGE.has(canonical) || names.of(canonical) === undefined) return { ok: false, message: `"${tag}" is not a language we know` };
  return { ok: true, language: canonical };
};

/** One language a person answers in, decoded to its canonical primary tag. */
export const Language = S.transformOrFail(S.String, S.String, {
  strict: true,
  decode: (input, _options, ast) => {
    const read = readLanguage(input);
    return read.ok ? ParseResult.succeed(read.language) : ParseResult.fail(new ParseResult.Type(ast, input, read.message));
  },
  encode: ParseResult.succeed,
});

/** The languages a person answers in, in their order, each once; empty means not set. */
export const Languages = S.transform(
  S.Array(Language).pipe(S.maxItems(MAX_LANGUAGES, { message: () => `at most ${MAX_LANGUAGES} languages` })),
  S.Array(S.String),
  { strict: true, decode: (languages) => [...new Set(languages)], encode: (languages) => languages },
);
export type Languages = typeof Languages.Type;

/** The languages a form's text field lists ("de, en fr" → ["de", "en", "fr"]), as typed, for `Languages` to check. Pure. */
export const languagesOfText = (text: string): string[] => text.split(/[\s,;]+/).filter((part) => part !== "");

/** A stored `users.languages` value (JSON array, or NULL for none) read back; anything unreadable reads as none. Pure. */
export const storedLanguages = (stored: string | null): ReadonlyArray<string> => {
  if (stored === null) return [];
  try {
    const value: unknown = JSON.parse(stored);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
};

/** What `users.languages` stores for `languages`: NULL when none, so "not set" has one spelling. Pure. */
export const encodeLanguages = (languages: ReadonlyArray<string>): string | null => (languages.length === 0 ? null : JSON.stringify(languages));
