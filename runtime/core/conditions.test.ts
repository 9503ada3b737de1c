import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Condition } from "../../flows/flow-spec.js";
import { compilePattern, evaluateCondition, evaluateRule, firstMatchingRule, type ConditionEnv } from "./conditions.js";
import type { ListedAvailability } from "./test-support.js";
import { availabilityOf } from "./types.js";

const stored: {
  env: Omit<ConditionEnv, "availability"> & { availability: ListedAvailability };
  cases: ReadonlyArray<[Condition["subject"], Condition["operator"], Condition["value"] | null, boolean]>;
} = JSON.parse(readFileSync(new URL("./fixtures/conditions.json", import.meta.url), "utf8"));
// The fixture lists teams and users by id; the interpreter asks one at a time.
const fixture = { ...stored, env: { ...stored.env, availability: availabilityOf(stored.env.availability) } };

const conditionOf = (
  subject: Condition["subject"],
  operator: Condition["operator"],
  value: Condition["value"] | null,
): Condition => (value === null ? { subject, operator } : { subject, operator, value });

describe("evaluateCondition", () => {
  for (const [subject, operator, value, expected] of fixture.cases) {
    it(`${JSON.stringify(subject)} ${operator} ${JSON.stringify(value)} → ${expected}`, () => {
      const started = performance.now();
      expect(evaluateCondition(conditionOf(subject, operator, value), fixture.env)).toBe(expected);
      // A refused catastrophic pattern must also be quick.
      expect(performance.now() - started).toBeLessThan(200);
    });
  }

  it("caps what a regex sees at 1,000 characters", () => {
    const env = { ...fixture.env, variables: { long: `${"a".repeat(1000)}END` } };
    expect(evaluateCondition({ subject: { type: "variable", name: "long" }, operator: "matches_regex", value: "END$" }, env)).toBe(false);
    expect(evaluateCondition({ subject: { type: "variable", name: "long" }, operator: "matches_regex", value: "^a{1000}$" }, env)).toBe(true);
  });

  it("refuses nested quantifiers but keeps ordinary patterns", () => {
    expect(compilePattern("^(a+)+$")).toBeNull();
    expect(compilePattern("(x{2,})+")).toBeNull();
    expect(compilePattern("^\\d{5}$")).toBeInstanceOf(RegExp);
    expect(compilePattern("^(\\d{3}-)+\\d+$")).toBeInstanceOf(RegExp);
  });
});

describe("rules", () => {
  const plan = (value: string): Condition => ({ subject: { type: "variable", name: "plan" }, operator: "equals", value });

  it("match all needs every condition, match any needs one", () => {
    expect(evaluateRule({ id: "r", match: "all", conditions: [plan("pro"), plan("basic")] }, fixture.env)).toBe(false);
    expect(evaluateRule({ id: "r", match: "any", conditions: [plan("pro"), plan("basic")] }, fixture.env)).toBe(true);
  });

  it("the first matching rule wins, in order", () => {
    const rules = [
      { id: "a", match: "all" as const, conditions: [plan("basic")] as [Condition] },
      { id: "b", match: "all" as const, conditions: [plan("pro")] as [Condition] },
      { id: "c", match: "all" as const, conditions: [plan("PRO")] as [Condition] },
    ];
    expect(firstMatchingRule(rules, fixture.env)?.id).toBe("b");
    expect(firstMatchingRule([], fixture.env)).toBeUndefined();
  });
});
