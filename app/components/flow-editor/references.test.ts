import { describe, expect, it } from "vitest";
import { collectReferences, insertAt, templateTokenGroups } from "./references.js";
import type { DocumentNode } from "../../../flows/flow-document.js";

const node = (id: string, kind: DocumentNode["kind"], data: unknown): DocumentNode => ({ id, kind, position: { x: 0, y: 0 }, data });

describe("collectReferences", () => {
  it("collects declared variables and those nodes save, and contact properties from everywhere", () => {
    const refs = collectReferences(
      {
        variables: [{ name: "plan", type: "string" }],
        nodes: [
          node("q", "question", { save: { variable: "email", contactProperty: "work_email" } }),
          node("s", "set", { assignments: [{ target: { type: "variable", name: "score" } }, { target: { type: "contact", property: "tier" } }] }),
          node("w", "webhook", { responseMappings: [{ path: "$.id", variable: "lead_id" }] }),
          node("c", "code", { outputs: ["total"] }),
          node("k", "knowledge", { saveTitleTo: "best_article" }),
        ],
      },
      ["company_size"],
    );
    expect(refs.variables).toEqual(["best_article", "email", "lead_id", "plan", "score", "total"]);
    expect(refs.contactProperties).toEqual(expect.arrayContaining(["email", "company_size", "work_email", "tier"]));
  });

  it("offers tokens by group", () => {
    const groups = templateTokenGroups({ variables: ["name"], contactProperties: ["email"] });
    expect(groups.map((g) => g.label)).toEqual(["Variables", "Contact", "Visitor"]);
    expect(groups[0]!.tokens).toEqual(["{{name}}"]);
    expect(groups[1]!.tokens).toEqual(["{{contact.email}}"]);
  });
});

describe("insertAt", () => {
  it("replaces the selection with the token and puts the caret after it", () => {
    expect(insertAt("Hello !", "{{name}}", 6, 6)).toEqual({ text: "Hello {{name}}!", caret: 14 });
    expect(insertAt("Hello you", "{{name}}", 6, 9)).toEqual({ text: "Hello {{name}}", caret: 14 });
    expect(insertAt("", "{{x}}", 5, 9)).toEqual({ text: "{{x}}", caret: 5 });
  });
});
