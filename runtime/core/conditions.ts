/**
 * Branch rule evaluation. Total: every operator on every kind of value gives true or false,
 * never throws (an invalid regex is simply false).
 *
 * Comparison rules, chosen to match what a marketer means when reading the rule aloud:
 * - strings compare case-insensitively and trimmed; when both sides are numeric (numbers or
 *   numeric strings, "1,5" included) they compare as numbers;
 * - booleans compare as booleans ("true"/"yes"/"ja"/"1" count as true);
 * - a list subject (a multiple-choice answer) `equals` / `is_one_of` / `contains` a value when
 *   any of its items does; `not_equals` is the exact negation of `equals`;
 * - an unset subject matches nothing but `not_equals` and `is_not_set`;
 * - `matches_regex` sees at most the first 1,000 characters; an invalid pattern, or one with
 *   nested quantifiers (see `compilePattern`), is false;
 * - `greater_than` / `less_than` compare numbers, or ISO dates (as strings); anything else is false;
 * - `is_set` on team/user availability or `visitor.known_contact` means "is true", because
 *   those subjects always have a value and the rule can only mean "is available / is known".
 */
import type { BranchRule, Condition, ConditionSubject } from "../../flows/flow-spec.js";
import { formatValue } from "./template.js";
import type { InterpreterContext, Json, VisitorInfo } from "./types.js";

export interface ConditionEnv {
  readonly variables: Readonly<Record<string, Json>>;
  readonly contact: Readonly<Record<string, string>>;
  readonly lastAnswer: Json;
  readonly availability?: InterpreterContext["availability"];
  readonly visitor?: VisitorInfo;
}

type Value = Json | undefined;

const hasOwn = (record: object, key: string) => Object.prototype.hasOwnProperty.call(record, key);

/** Longest subject text a regex sees, so a pathological pattern cannot stall a step. */
export const REGEX_INPUT_LIMIT = 1000;

/** The value a condition's subject has in `env` (undefined when unknown). Pure. */
export const subjectValue = (subject: ConditionSubject, env: ConditionEnv): Value => {
  switch (subject.type) {
    case "variable":
      return hasOwn(env.variables, subject.name) ? env.variables[subject.name] : undefined;
    case "contact":
      return hasOwn(env.contact, subject.property) ? env.contact[subject.property] : undefined;
    case "last_answer":
      return env.lastAnswer === null ? undefined : env.lastAnswer;
    case "team_available":
      return env.availability?.team(subject.teamId) === true;
    case "user_available":
      return env.availability?.user(subject.userId) === true;
    case "visitor": {
      const visitor = env.visitor;
      if (visitor === undefined) return undefined;
      switch (subject.field) {
        case "page_url":
          return visitor.pageUrl;
        case "device":
          return visitor.device;
        case "language":
          return visitor.language;
        case "known_contact":
          return visitor.knownContact === true;
      }
    }
  }
  return undefined;
};

const NUMERIC = /^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const TRUE_WORDS = new Set(["true", "yes", "y", "ja", "j", "1", "on"]);
const FALSE_WORDS = new Set(["false", "no", "n", "nein", "0", "off"]);

const asNumber = (value: Value): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (!NUMERIC.test(trimmed)) return undefined;
    return Number(trimmed.replace(",", "."));
  }
  return undefined;
};

const asBoolean = (value: Value): boolean | undefined => {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" || typeof value === "number") {
    const word = String(value).trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
};

const text = (value: Value): string => formatValue(value).trim().toLowerCase();

const isUnset = (value: Value): boolean =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);

/**
 * A condition's value, normalised once per condition object (conditions live in specs, so the
 * same objects come back on every step): its text, number and boolean readings.
 */
interface Operand {
  readonly raw: Value;
  readonly text: string;
  readonly number: number | undefined;
  readonly boolean: boolean | undefined;
  readonly isBoolean: boolean;
}

interface PreparedValue {
  readonly value: Operand;
  /** The items of a list value, or the value alone. */
  readonly items: ReadonlyArray<Operand>;
  /** `is_one_of` candidates: a list value, or a comma-separated string split up. */
  readonly oneOf: ReadonlyArray<Operand>;
}

const operandOf = (raw: Value): Operand => ({
  raw,
  text: text(raw),
  number: asNumber(raw),
  boolean: asBoolean(raw),
  isBoolean: typeof raw === "boolean",
});

const preparedValues = new WeakMap<Condition, PreparedValue>();

const prepareValue = (condition: Condition): PreparedValue => {
  const cached = preparedValues.get(condition);
  if (cached !== undefined) return cached;
  const raw = condition.value as Value;
  const value = operandOf(raw);
  const prepared: PreparedValue = {
    value,
    items: Array.isArray(raw) ? raw.map(operandOf) : [value],
    oneOf: listOf(raw).map(operandOf),
  };
  preparedValues.set(condition, prepared);
  return prepared;
};

/** Equality of a single subject value and an operand under the rules above. */
const equalsOne = (subject: Value, operand: Operand): boolean => {
  if (isUnset(subject)) return false;
  if (typeof subject === "boolean" || operand.isBoolean) {
    const a = asBoolean(subject);
    return a !== undefined && a === operand.boolean;
  }
  const a = asNumber(subject);
  if (a !== undefined && operand.number !== undefined) return a === operand.number;
  return text(subject) === operand.text;
};

const equals = (subject: Value, prepared: PreparedValue): boolean => {
  const listValue = Array.isArray(prepared.value.raw);
  if (Array.isArray(subject)) {
    if (listValue) {
      // Two lists are equal when they hold the same items, in any order.
      const items = prepared.items;
      return (
        subject.length === items.length &&
        subject.every((item) => items.some((other) => equalsOne(item, other))) &&
        items.every((other) => subject.some((item) => equalsOne(item, other)))
      );
    }
    return subject.some((item) => equalsOne(item, prepared.value));
  }
  // A list value on a single subject reads as "equals one of these".
  if (listValue) return prepared.items.some((other) => equalsOne(subject, other));
  return equalsOne(subject, prepared.value);
};

const listOf = (value: Value): ReadonlyArray<Json> => {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    return value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
  return value === undefined ? [] : [value];
};

const regexCache = new Map<string, RegExp | null>();

/**
 * A quantified group whose body ends in a quantifier — `(a+)+`, `(\w+\s?)*`, `(x{2,})+` — is
 * the classic shape of catastrophic backtracking, which even a 30-character input can turn
 * into minutes. Capping the input cannot prevent that, so such patterns are refused (the
 * condition is false). A heuristic: it may refuse a few harmless patterns, never run a bad one
 * of this shape.
 */
const NESTED_QUANTIFIER = /(?:[+*?]|\{\d+,\d*\})\)+(?:[+*]|\{\d+,)/;

/**
 * Compiles a rule's pattern once: plain source, or `/source/flags`. Stateful flags (g, y) are
 * dropped so `test` gives the same answer every time. Invalid or refused → null.
 */
export const compilePattern = (pattern: string): RegExp | null => {
  const cached = regexCache.get(pattern);
  if (cached !== undefined) return cached;
  let compiled: RegExp | null;
  try {
    const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    const source = literal ? literal[1] : pattern;
    compiled = NESTED_QUANTIFIER.test(source)
      ? null
      : literal
        ? new RegExp(source, literal[2].replace(/[gy]/g, ""))
        : new RegExp(source);
  } catch {
    compiled = null;
  }
  if (regexCache.size > 5_000) regexCache.clear();
  regexCache.set(pattern, compiled);
  return compiled;
};

const compare = (subject: Value, operand: Operand): number | undefined => {
  const a = asNumber(subject);
  if (a !== undefined && operand.number !== undefined) return a - operand.number;
  const value = operand.raw;
  if (typeof subject === "string" && typeof value === "string" && ISO_DATE.test(subject.trim()) && ISO_DATE.test(value.trim())) {
    const x = subject.trim();
    const y = value.trim();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return undefined;
};

const stringTest = (subject: Value, prepared: PreparedValue, test: (s: string, v: string) => boolean): boolean => {
  if (isUnset(subject)) return false;
  const items = prepared.items;
  if (Array.isArray(subject)) return subject.some((s) => items.some((v) => test(text(s), v.text)));
  const s = text(subject);
  return items.some((v) => test(s, v.text));
};

const BOOLEAN_SUBJECTS = new Set(["team_available", "user_available"]);
const isFlagSubject = (subject: ConditionSubject) =>
  BOOLEAN_SUBJECTS.has(subject.type) || (subject.type === "visitor" && subject.field === "known_contact");

/** Whether one condition holds in `env`. Pure and total. */
export const evaluateCondition = (condition: Condition, env: ConditionEnv): boolean => {
  try {
    const subject = subjectValue(condition.subject, env);
    const value = condition.value as Value;
    const prepared = prepareValue(condition);
    switch (condition.operator) {
      case "is_set":
        return isFlagSubject(condition.subject) ? subject === true : !isUnset(subject);
      case "is_not_set":
        return isFlagSubject(condition.subject) ? subject !== true : isUnset(subject);
      case "equals":
        return equals(subject, prepared);
      case "not_equals":
        return !equals(subject, prepared);
      case "contains":
        return stringTest(subject, prepared, (s, v) => s.includes(v));
      case "begins_with":
        return stringTest(subject, prepared, (s, v) => s.startsWith(v));
      case "ends_with":
        return stringTest(subject, prepared, (s, v) => s.endsWith(v));
      case "matches_regex": {
        if (isUnset(subject) || typeof value !== "string") return false;
        const regex = compilePattern(value);
        if (regex === null) return false;
        return regex.test(formatValue(subject).slice(0, REGEX_INPUT_LIMIT));
      }
      case "greater_than":
      case "less_than": {
        if (isUnset(subject) || Array.isArray(subject)) return false;
        const order = compare(subject, prepared.value);
        if (order === undefined) return false;
        return condition.operator === "greater_than" ? order > 0 : order < 0;
      }
      case "is_one_of": {
        if (isUnset(subject)) return false;
        const list = prepared.oneOf;
        if (Array.isArray(subject)) return subject.some((s) => list.some((item) => equalsOne(s, item)));
        return list.some((item) => equalsOne(subject, item));
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
};

/** Whether a rule holds: all (or any, per `match`) of its conditions. Pure and total. */
export const evaluateRule = (rule: BranchRule, env: ConditionEnv): boolean =>
  rule.match === "any"
    ? rule.conditions.some((condition) => evaluateCondition(condition, env))
    : rule.conditions.every((condition) => evaluateCondition(condition, env));

/** The first rule that holds, in order, or undefined (→ the `else` port). Pure. */
export const firstMatchingRule = (rules: ReadonlyArray<BranchRule>, env: ConditionEnv): BranchRule | undefined =>
  rules.find((rule) => evaluateRule(rule, env));
