import { describe, expect, it } from "vitest";
import { classifyToken, parseTemplate, templateTokens } from "./template-tokens.js";

describe("templateTokens", () => {
  it.each<[string, string[]]>([
    ["no tokens", []],
    ["Hi {{name}}!", ["name"]],
    ["{{ contact.email }} / {{visitor.page_url}}", ["contact.email", "visitor.page_url"]],
    ["{{a}}{{a}}", ["a", "a"]],
    ["{{order.items.0}}", ["order.items.0"]],
    ["{{}} and {{ 1x }}", ["", "1x"]],
    ["{single} {{ unclosed", []],
  ])("%j", (template, tokens) => {
    expect(templateTokens(template)).toEqual(tokens);
  });
});

describe("parseTemplate", () => {
  it("splits text and tokens in order", () => {
    expect(parseTemplate("Hi {{ name }}, see {{link}}.")).toEqual([
      { type: "text", text: "Hi " },
      { type: "token", name: "name" },
      { type: "text", text: ", see " },
      { type: "token", name: "link" },
      { type: "text", text: "." },
    ]);
    expect(parseTemplate("")).toEqual([]);
    expect(parseTemplate("plain")).toEqual([{ type: "text", text: "plain" }]);
  });
});

describe("classifyToken", () => {
  it.each([
    ["name", { type: "variable", name: "name", path: ["name"] }],
    ["order.id", { type: "variable", name: "order", path: ["order", "id"] }],
    ["contact.email", { type: "contact", property: "email" }],
    ["visitor.device", { type: "visitor", field: "device" }],
    ["1x", { type: "invalid", name: "1x" }],
    ["", { type: "invalid", name: "" }],
    ["a b", { type: "invalid", name: "a b" }],
  ])("%j", (name, ref) => {
    expect(classifyToken(name)).toEqual(ref);
  });
});
