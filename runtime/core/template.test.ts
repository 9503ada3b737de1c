import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderTemplate, singleTokenValue, templateTokens, type TemplateScope } from "./template.js";

const fixture: {
  scope: TemplateScope;
  render: ReadonlyArray<{ template: string; expected: string }>;
  tokens: ReadonlyArray<{ template: string; expected: ReadonlyArray<string> }>;
} = JSON.parse(readFileSync(new URL("./fixtures/templates.json", import.meta.url), "utf8"));

describe("renderTemplate", () => {
  for (const { template, expected } of fixture.render) {
    it(`${JSON.stringify(template)} → ${JSON.stringify(expected)}`, () => {
      expect(renderTemplate(template, fixture.scope)).toBe(expected);
    });
  }

  it("encodes only the tokens when asked", () => {
    const scope = { variables: { q: "a b/c" }, contact: {} };
    expect(renderTemplate("https://x.io/s?q={{q}}&z=a b", scope, { encode: encodeURIComponent })).toBe(
      "https://x.io/s?q=a%20b%2Fc&z=a b",
    );
  });

  it("renders the same template against changing values", () => {
    const template = "n={{n}}";
    expect(renderTemplate(template, { variables: { n: 1 }, contact: {} })).toBe("n=1");
    expect(renderTemplate(template, { variables: { n: 2 }, contact: {} })).toBe("n=2");
  });

  it("an own __proto__ variable renders like any other", () => {
    const variables = JSON.parse('{"__proto__": "sneaky"}');
    expect(renderTemplate("{{__proto__}}", { variables, contact: {} })).toBe("sneaky");
  });
});

describe("templateTokens", () => {
  for (const { template, expected } of fixture.tokens) {
    it(`${JSON.stringify(template)} → ${JSON.stringify(expected)}`, () => {
      expect(templateTokens(template)).toEqual(expected);
    });
  }
});

describe("singleTokenValue", () => {
  it("returns the raw value of a template that is one token", () => {
    expect(singleTokenValue(" {{tags}} ", fixture.scope)).toEqual({ value: ["a", "b"] });
    expect(singleTokenValue("x {{tags}}", fixture.scope)).toBeNull();
    expect(singleTokenValue("plain", fixture.scope)).toBeNull();
  });
});
