/**
 * Validation and normalisation of a visitor's answer to a question, per answer type.
 * Pure and deterministic: "today" comes from `now` (UTC), never from the clock, and number and
 * date formats depend only on the spec's language.
 *
 * Choices made where the brief is silent:
 * - text: trimmed, must not be empty; at most `maxLength` (default 4,000) characters, which
 *   also keeps the conversation state small.
 * - email: lower-cased; a single address inside a sentence ("it's ann@x.io") is accepted.
 * - phone: `defaultCountry`, else the region of the spec language (`de-AT` → AT); without a
 *   region a number must start with `+` or `00`. Stored as E.164.
 * - number: "1,5" and "1.5" are both 1.5. A lone separator followed by exactly three digits is
 *   a thousands separator when it is the language's grouping mark ("," in en/zh/ja/ko, "."
 *   elsewhere), so "1,000" is 1000 in English and "1.000" is 1000 in German. A single number
 *   inside a sentence ("about 50 people") is accepted.
 * - date: ISO `YYYY-MM-DD`, `YYYY/MM/DD`, `D.M.YYYY`, and `M/D/YYYY` for `en`/`en-US` (other
 *   languages read `D/M/YYYY`); two-digit years land within ten years ahead of `now`. Anything
 *   else goes to chrono-node's parser for the language (then English), relative to `now` in UTC.
 * - choice: by id, value or label, case-insensitive; then a label contained in the text, longest
 *   label first; then a 1-based position ("2"). Multiple: a comma / "and" / "und" / "&" list or
 *   several choice ids. The saved value is the choice's `value`, else its label.
 * - yes_no: yes/y/ja/j/true/… or no/n/nein/false/…, or the labels, also as the first word
 *   ("yes please"). Saved as a boolean.
 * - rating: an integer in [min, max] (both ends checked); "4/5", "4 stars" and "★★★★" work.
 * - url: http(s) only, so a `javascript:` link can never be stored as a URL answer.
 */
import * as chrono from "chrono-node";
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import type { AnswerType, Choice } from "../../flows/flow-spec.js";
import type { Json } from "./types.js";

export interface AnswerInput {
  readonly text?: string;
  readonly choiceIds?: ReadonlyArray<string>;
}

export type AnswerResult =
  | { readonly ok: true; readonly value: Json; readonly display: string; readonly choiceIds?: string[] }
  | { readonly ok: false; readonly reason: string };

export interface AnswerOptions {
  /** BCP 47 language of the spec; decides number/date formats and the phone default region. */
  readonly language?: string;
}

/** Answers longer than this are rejected before any parsing, which bounds the work per step. */
export const MAX_ANSWER_CHARS = 10_000;
const DEFAULT_TEXT_MAX = 4_000;

type Result = AnswerResult;
const fail = (reason: string): Result => ({ ok: false, reason });

/** Checks and normalises one answer. Pure and total: bad input is `{ ok: false, reason }`. */
export const validateAnswer = (
  answer: AnswerType,
  input: AnswerInput,
  now: number,
  options?: AnswerOptions,
): AnswerResult => {
  try {
    const text = typeof input.text === "string" ? input.text : undefined;
    if (text !== undefined && text.length > MAX_ANSWER_CHARS) return fail("That answer is too long.");
    const choiceIds = Array.isArray(input.choiceIds) ? input.choiceIds.filter((id) => typeof id === "string") : undefined;
    const language = (options?.language ?? "en").toLowerCase();
    switch (answer.type) {
      case "choice":
        return validateChoice(answer, text, choiceIds);
      case "yes_no":
        return validateYesNo(answer, text, choiceIds);
      case "rating":
        return validateRating(answer, text, choiceIds);
      default:
        break;
    }
    if (text === undefined || text.trim() === "") {
      return fail(choiceIds !== undefined && choiceIds.length > 0 ? "Please type your answer." : "Please type an answer.");
    }
    switch (answer.type) {
      case "text":
        return validateText(answer, text);
      case "email":
        return validateEmail(text);
      case "phone":
        return validatePhone(answer.defaultCountry, text, language);
      case "number":
        return validateNumber(answer, text, language);
      case "date":
        return validateDate(answer, text, now, language);
      case "url":
        return validateUrl(text);
      default:
        return fail("This question cannot be answered.");
    }
  } catch {
    return fail("Sorry, that answer could not be read.");
  }
};

// ---------------------------------------------------------------------------------------------
// text, email, url

const validateText = (answer: Extract<AnswerType, { type: "text" }>, raw: string): Result => {
  const value = raw.trim();
  const max = answer.maxLength ?? DEFAULT_TEXT_MAX;
  if (answer.minLength !== undefined && value.length < answer.minLength) {
    return fail(`Please write at least ${answer.minLength} characters.`);
  }
  if (value.length > max) return fail(`Please keep it to ${max.toLocaleString("en")} characters or fewer.`);
  return { ok: true, value, display: value };
};

const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}$/;

const isEmail = (candidate: string): boolean =>
  candidate.length <= 254 && candidate.indexOf("@") <= 64 && EMAIL.test(candidate);

const validateEmail = (raw: string): Result => {
  const whole = raw.trim().toLowerCase().replace(/^mailto:/, "");
  if (isEmail(whole)) return { ok: true, value: whole, display: whole };
  const found = new Set(
    whole
      .split(/\s+/)
      .map((word) => word.replace(/^mailto:/, "").replace(/^[<(["']+|[>)\]"',;:.!?]+$/g, ""))
      .filter(isEmail),
  );
  if (found.size === 1) {
    const [email] = found;
    return { ok: true, value: email, display: email };
  }
  return fail("Please enter an email address like name@example.com.");
};

const validateUrl = (raw: string): Result => {
  const value = raw.trim();
  if (/\s/.test(value) || !/^https?:\/\//i.test(value)) {
    return fail("Please enter a full link starting with https://.");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail("Please enter a valid link.");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return fail("Please enter a full link starting with https://.");
  }
  return { ok: true, value: url.href, display: url.href };
};

// ---------------------------------------------------------------------------------------------
// phone

/** The region subtag of a language tag that libphonenumber knows (`de-AT` → AT), if any. */
export const regionOfLanguage = (language: string): CountryCode | undefined => {
  const region = language
    .split("-")
    .slice(1)
    .find((part) => /^[a-z]{2}$/i.test(part))
    ?.toUpperCase();
  return region !== undefined && isSupportedCountry(region) ? region : undefined;
};

const validatePhone = (defaultCountry: string | undefined, raw: string, language: string): Result => {
  const country =
    defaultCountry !== undefined && isSupportedCountry(defaultCountry) ? defaultCountry : regionOfLanguage(language);
  let value = raw.trim().replace(/^tel:/i, "");
  if (country === undefined) {
    if (value.startsWith("00")) value = `+${value.slice(2)}`;
    if (!value.startsWith("+")) return fail("Please include the country code, e.g. +1 415 555 2671.");
  }
  if (!/\d/.test(value)) return fail("Please enter a phone number.");
  const phone = parsePhoneNumberFromString(value, country);
  if (phone === undefined || !phone.isValid()) return fail("Please enter a valid phone number.");
  return { ok: true, value: phone.number, display: phone.formatInternational() };
};

// ---------------------------------------------------------------------------------------------
// number

const COMMA_GROUPING = /^(en|zh|ja|ko|he|th)\b/;

/** Reads a number in any common notation, or undefined. Pure. */
export const parseNumber = (raw: string, language = "en"): number | undefined => {
  const whole = readNumeral(raw.trim().replace(/(\d)[\s'’_](?=\d)/g, "$1"), language);
  if (whole !== undefined) return whole;
  // A single number inside a sentence; two numbers ("10 to 50") are ambiguous.
  const tokens = raw.match(/[+-]?\d+(?:[.,'’]\d+)*|[+-]?[.,]\d+/g);
  if (tokens === null || tokens.length !== 1) return undefined;
  return readNumeral(tokens[0], language);
};

const readNumeral = (token: string, language: string): number | undefined => {
  let body = token.replace(/['’_]/g, "");
  if (!/^[+-]?(?:\d[\d.,]*|[.,]\d+)$/.test(body) || /[.,]$/.test(body)) return undefined;
  const dots = (body.match(/\./g) ?? []).length;
  const commas = (body.match(/,/g) ?? []).length;
  if (dots > 0 && commas > 0) {
    const decimal = body.lastIndexOf(".") > body.lastIndexOf(",") ? "." : ",";
    const grouping = decimal === "." ? "," : ".";
    if ((body.match(decimal === "." ? /\./g : /,/g) ?? []).length > 1) return undefined;
    body = body.split(grouping).join("").replace(",", ".");
  } else if (dots + commas > 1) {
    // Several of one mark: only grouping makes sense ("1,000,000" / "1.000.000").
    body = body.replace(/[.,]/g, "");
  } else if (dots + commas === 1) {
    const mark = dots === 1 ? "." : ",";
    const groupingMark = COMMA_GROUPING.test(language) ? "," : ".";
    const [intPart, fraction] = body.split(mark);
    const looksGrouped = mark === groupingMark && fraction.length === 3 && /^[+-]?\d{1,3}$/.test(intPart);
    body = looksGrouped ? intPart + fraction : `${intPart}.${fraction}`;
  }
  const value = Number(body);
  return Number.isFinite(value) ? value : undefined;
};

const validateNumber = (answer: Extract<AnswerType, { type: "number" }>, raw: string, language: string): Result => {
  const value = parseNumber(raw, language);
  const { min, max } = answer;
  const range =
    min !== undefined && max !== undefined
      ? `between ${min} and ${max}`
      : min !== undefined
        ? `of at least ${min}`
        : max !== undefined
          ? `of at most ${max}`
          : "";
  if (value === undefined) return fail(range === "" ? "Please enter a number." : `Please enter a number ${range}.`);
  if (answer.integer === true && !Number.isInteger(value)) return fail("Please enter a whole number.");
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    return fail(`Please enter a number ${range}.`);
  }
  // -0 would print as "0" but compare oddly in JSON round trips.
  const normalised = Object.is(value, -0) ? 0 : value;
  return { ok: true, value: normalised, display: String(normalised) };
};

// ---------------------------------------------------------------------------------------------
// date

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY-MM-DD` for a real calendar date, else undefined. Pure. */
export const isoDate = (year: number, month: number, day: number): string | undefined => {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const probe = new Date(Date.UTC(2000, month - 1, day));
  probe.setUTCFullYear(year);
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
};

const fullYear = (digits: string, now: number): number => {
  if (digits.length !== 2) return Number(digits);
  const nowYear = new Date(now).getUTCFullYear();
  const candidate = 2000 + Number(digits);
  return candidate > nowYear + 10 ? candidate - 100 : candidate;
};

const monthFirst = (language: string) => language === "en" || language === "en-us";

const CHRONO_BY_LANGUAGE: Readonly<Record<string, { parse: typeof chrono.parse }>> = {
  de: chrono.de,
  fr: chrono.fr,
  ja: chrono.ja,
  pt: chrono.pt,
  nl: chrono.nl,
  zh: chrono.zh,
  ru: chrono.ru,
  es: chrono.es,
  uk: chrono.uk,
  it: chrono.it,
  sv: chrono.sv,
  fi: chrono.fi,
};

/** Reads a date in the formats described at the top of this file, as `YYYY-MM-DD`. Pure. */
export const parseDate = (raw: string, now: number, language = "en"): string | undefined => {
  const text = raw.trim();
  let match = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(text);
  if (match) return isoDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})$/.exec(text);
  if (match) return isoDate(fullYear(match[3], now), Number(match[2]), Number(match[1]));
  match = /^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})$/.exec(text);
  if (match) {
    const [a, b] = [Number(match[1]), Number(match[2])];
    const year = fullYear(match[3], now);
    return monthFirst(language) ? isoDate(year, a, b) : isoDate(year, b, a);
  }
  // Natural language ("tomorrow", "next friday", "5. März") — bounded input keeps chrono quick.
  if (text.length > 200) return undefined;
  const reference = { instant: new Date(now), timezone: 0 };
  const local = CHRONO_BY_LANGUAGE[language.slice(0, 2)];
  let results = local !== undefined ? local.parse(text, reference) : [];
  if (results.length === 0) results = chrono.parse(text, reference);
  const start = results[0]?.start;
  if (start === undefined) return undefined;
  const year = start.get("year");
  const month = start.get("month");
  const day = start.get("day");
  if (year === null || month === null || day === null) return undefined;
  return isoDate(year, month, day);
};

const validateDate = (answer: Extract<AnswerType, { type: "date" }>, raw: string, now: number, language: string): Result => {
  const value = parseDate(raw, now, language);
  if (value === undefined) return fail("Please enter a date, e.g. 2025-03-31.");
  if (answer.min !== undefined && value < answer.min) return fail(`Please enter a date on or after ${answer.min}.`);
  if (answer.max !== undefined && value > answer.max) return fail(`Please enter a date on or before ${answer.max}.`);
  return { ok: true, value, display: value };
};

// ---------------------------------------------------------------------------------------------
// choice, yes/no, rating

/** Lower-cased, NFKC, single-spaced, without surrounding quotes or trailing punctuation. */
const ASCII = /^[\x00-\x7f]*$/;
const normalise = (text: string): string =>
  (ASCII.test(text) ? text : text.normalize("NFKC"))
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^["'“”„«»]+|["'“”„«».!?]+$/g, "")
    .trim();

interface PreparedChoices {
  readonly choices: ReadonlyArray<Choice>;
  /** Normalised id / value / label → choice, for exact matches. */
  readonly exact: ReadonlyMap<string, Choice>;
  /** Normalised labels and values, longest first, for matches inside a sentence. */
  readonly phrases: ReadonlyArray<{ readonly phrase: string; readonly choice: Choice }>;
}

const prepared = new WeakMap<ReadonlyArray<Choice>, PreparedChoices>();

const prepare = (choices: ReadonlyArray<Choice>): PreparedChoices => {
  const cached = prepared.get(choices);
  if (cached !== undefined) return cached;
  const exact = new Map<string, Choice>();
  // Ids win over values, values over labels, and earlier choices over later ones.
  for (const key of ["id", "value", "label"] as const) {
    for (const choice of choices) {
      const raw = choice[key];
      if (typeof raw !== "string") continue;
      const norm = normalise(raw);
      if (norm !== "" && !exact.has(norm)) exact.set(norm, choice);
    }
  }
  const phrases: Array<{ phrase: string; choice: Choice }> = [];
  for (const choice of choices) {
    for (const raw of [choice.label, choice.value]) {
      if (typeof raw !== "string") continue;
      const phrase = normalise(raw);
      if (phrase !== "" && !phrases.some((p) => p.phrase === phrase)) phrases.push({ phrase, choice });
    }
  }
  phrases.sort((a, b) => b.phrase.length - a.phrase.length);
  const result = { choices, exact, phrases };
  prepared.set(choices, result);
  return result;
};

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Index of `phrase` in `text` as whole words, or -1. */
const findPhrase = (text: string, phrase: string): number => {
  for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
    const before = at === 0 ? "" : text[at - 1];
    const after = text[at + phrase.length] ?? "";
    if (!WORD_CHAR.test(before) && !WORD_CHAR.test(after)) return at;
  }
  return -1;
};

const exactChoice = (p: PreparedChoices, part: string): Choice | undefined => {
  const hit = p.exact.get(part);
  if (hit !== undefined) return hit;
  if (/^\d{1,2}$/.test(part)) {
    const position = Number(part);
    if (position >= 1 && position <= p.choices.length) return p.choices[position - 1];
  }
  return undefined;
};

const choiceResult = (
  answer: Extract<AnswerType, { type: "choice" }>,
  picked: ReadonlyArray<Choice>,
): Result => {
  // Keep the spec's order so "B, A" and "A, B" save the same value.
  const ordered = answer.choices.filter((choice) => picked.includes(choice));
  const values = ordered.map((choice) => choice.value ?? choice.label);
  return {
    ok: true,
    value: answer.multiple ? values : values[0],
    display: ordered.map((choice) => choice.label).join(", "),
    choiceIds: ordered.map((choice) => choice.id),
  };
};

const pickPrompt = (answer: Extract<AnswerType, { type: "choice" }>) =>
  `Please pick ${answer.multiple ? "from" : "one of"}: ${answer.choices.map((choice) => choice.label).join(", ")}.`;

const validateChoice = (
  answer: Extract<AnswerType, { type: "choice" }>,
  text: string | undefined,
  choiceIds: ReadonlyArray<string> | undefined,
): Result => {
  const p = prepare(answer.choices);
  if (choiceIds !== undefined && choiceIds.length > 0) {
    const picked: Choice[] = [];
    for (const id of choiceIds) {
      const choice =
        answer.choices.find((c) => c.id === id) ?? answer.choices.find((c) => c.id.toLowerCase() === id.toLowerCase());
      if (choice === undefined) return fail(pickPrompt(answer));
      if (!picked.includes(choice)) picked.push(choice);
    }
    if (!answer.multiple && picked.length > 1) return fail("Please pick just one.");
    return choiceResult(answer, picked);
  }
  if (text === undefined) return fail(pickPrompt(answer));
  const said = normalise(text);
  if (said === "") return fail(pickPrompt(answer));
  const whole = exactChoice(p, said);
  if (whole !== undefined) return choiceResult(answer, [whole]);
  if (answer.multiple) {
    const parts = said
      .split(/\s*(?:,|;|&|\+|\/|\band\b|\bund\b|\bor\b|\boder\b)\s*/)
      .map(normalise)
      .filter((part) => part !== "");
    const byParts = parts.map((part) => exactChoice(p, part));
    if (parts.length > 0 && byParts.every((choice) => choice !== undefined)) {
      return choiceResult(answer, byParts as Choice[]);
    }
    // Labels inside a sentence, longest first; a matched span is blanked so a shorter label
    // inside it ("plan" in "enterprise plan") cannot match again.
    let rest = said;
    const picked: Choice[] = [];
    for (const { phrase, choice } of p.phrases) {
      for (let at = findPhrase(rest, phrase); at !== -1; at = findPhrase(rest, phrase)) {
        if (!picked.includes(choice)) picked.push(choice);
        rest = rest.slice(0, at) + " ".repeat(phrase.length) + rest.slice(at + phrase.length);
      }
    }
    return picked.length > 0 ? choiceResult(answer, picked) : fail(pickPrompt(answer));
  }
  for (const { phrase, choice } of p.phrases) {
    if (findPhrase(said, phrase) !== -1) return choiceResult(answer, [choice]);
  }
  return fail(pickPrompt(answer));
};

const YES = new Set(["yes", "y", "ja", "j", "true", "yeah", "yep", "sure", "ok", "okay", "jep", "jo", "klar", "gerne"]);
const NO = new Set(["no", "n", "nein", "false", "nope", "nah", "nö", "ne"]);

const validateYesNo = (
  answer: Extract<AnswerType, { type: "yes_no" }>,
  text: string | undefined,
  choiceIds: ReadonlyArray<string> | undefined,
): Result => {
  const yesLabel = answer.yesLabel ?? "Yes";
  const noLabel = answer.noLabel ?? "No";
  const yes: Result = { ok: true, value: true, display: yesLabel, choiceIds: ["yes"] };
  const no: Result = { ok: true, value: false, display: noLabel, choiceIds: ["no"] };
  const retry = fail(`Please answer ${yesLabel} or ${noLabel}.`);
  if (choiceIds !== undefined && choiceIds.length > 0) {
    if (choiceIds.length !== 1) return retry;
    const id = choiceIds[0].toLowerCase();
    return id === "yes" ? yes : id === "no" ? no : retry;
  }
  if (text === undefined) return retry;
  const said = normalise(text);
  if (said === normalise(yesLabel)) return yes;
  if (said === normalise(noLabel)) return no;
  const first = said.split(/[\s,!.]+/)[0] ?? "";
  if (YES.has(said) || YES.has(first)) return yes;
  if (NO.has(said) || NO.has(first)) return no;
  return retry;
};

const validateRating = (
  answer: Extract<AnswerType, { type: "rating" }>,
  text: string | undefined,
  choiceIds: ReadonlyArray<string> | undefined,
): Result => {
  const min = answer.min ?? 1;
  const max = answer.max ?? 5;
  const retry = fail(`Please pick a number from ${min} to ${max}.`);
  let value: number | undefined;
  if (choiceIds !== undefined && choiceIds.length > 0) {
    if (choiceIds.length !== 1 || !/^[+-]?\d+$/.test(choiceIds[0])) return retry;
    value = Number(choiceIds[0]);
  } else if (text !== undefined) {
    const said = text.trim().toLowerCase();
    const stars = /^(?:[★⭐]\uFE0F?)+$/u.test(said);
    const numeral = /^([+-]?\d+)(?:\s*(?:\/|of|out of|von)\s*\d+)?(?:\s*(?:stars?|sterne?|points?|punkte?))?[.!]?$/.exec(said);
    if (stars) value = (said.match(/[★⭐]/gu) ?? []).length;
    else if (numeral) value = Number(numeral[1]);
  }
  if (value === undefined || !Number.isInteger(value) || value < min || value > max) return retry;
  return { ok: true, value, display: String(value), choiceIds: [String(value)] };
};
