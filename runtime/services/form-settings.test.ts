import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { DEFAULT_SUCCESS_MESSAGE, decodeFormSettings, defaultFields, mergeFormConfig, readFormConfig, renderSubject } from "./form-settings.js";

const valid = {
  fields: [
    { key: "name", label: "Name", type: "text", required: true },
    { key: "email", label: "Email", type: "email", required: true },
    { key: "plan", label: "Plan", type: "select", required: false, options: ["Free", "Pro"] },
  ],
  contact: { email: "email", name: "name", phone: "" },
  subject: "Plan {plan} for {name}",
  priority: "normal",
  successMessage: "Thanks!",
  redirectUrl: "",
  allowedOrigins: ["https://Example.com/", "https://example.com", "*"],
};

/** The paths of every issue a settings input gets. */
const pathsOf = (input: unknown): string[] => {
  const decoded = decodeFormSettings(input);
  return Either.isLeft(decoded) ? decoded.left.map((i) => i.path) : [];
};
const messagesOf = (input: unknown): string[] => {
  const decoded = decodeFormSettings(input);
  return Either.isLeft(decoded) ? decoded.left.map((i) => i.message) : [];
};

describe("decodeFormSettings", () => {
  it("accepts good settings, normalising and de-duplicating origins and dropping options of non-selects", () => {
    const decoded = decodeFormSettings({ ...valid, fields: [...valid.fields, { key: "note", label: "Note", type: "textarea", required: false, options: ["x"] }] });
    expect(Either.isRight(decoded)).toBe(true);
    const config = Either.getOrThrow(decoded);
    expect(config.allowedOrigins).toEqual(["https://example.com", "*"]);
    expect(config.fields[2]!.options).toEqual(["Free", "Pro"]);
    expect(config.fields[3]!.options).toEqual([]);
  });

  it.each([
    [{ ...valid, fields: [] }, "fields", "at least one field"],
    [{ ...valid, fields: [{ ...valid.fields[0], key: "my key" }, ...valid.fields.slice(1)] }, "fields[0].key", "letters, digits and _"],
    [{ ...valid, fields: [{ ...valid.fields[0], key: "" }, ...valid.fields.slice(1)] }, "fields[0].key", "needs a key"],
    [{ ...valid, fields: [{ ...valid.fields[0], key: "_hp" }, ...valid.fields.slice(1)] }, "fields[0].key", "spam trap"],
    [{ ...valid, fields: [{ ...valid.fields[0], label: " " }, ...valid.fields.slice(1)] }, "fields[0].label", "needs a label"],
    [{ ...valid, fields: [{ ...valid.fields[0], type: "date" }, ...valid.fields.slice(1)] }, "fields[0].type", "choose a type"],
    [{ ...valid, fields: [...valid.fields.slice(0, 2), { ...valid.fields[2], options: [] }] }, "fields[2].options", "at least one option"],
    [{ ...valid, fields: [...valid.fields.slice(0, 2), { ...valid.fields[2], options: ["A", "A"] }] }, "fields[2].options[1]", "listed twice"],
    [{ ...valid, fields: [...valid.fields, { ...valid.fields[0], label: "Again" }] }, "fields[3].key", "used by another field"],
    [{ ...valid, contact: { email: "name", name: "name", phone: "" } }, "contact.email", "comes from a email field"],
    [{ ...valid, contact: { email: "email", name: "nobody", phone: "" } }, "contact.name", "no field"],
    [{ ...valid, subject: "Hi {missing}" }, "subject", "{missing} names no field"],
    [{ ...valid, priority: "asap" }, "priority", "choose a priority"],
    [{ ...valid, successMessage: "  " }, "successMessage", "enter the message"],
    [{ ...valid, redirectUrl: "javascript:alert(1)" }, "redirectUrl", "http(s) URL"],
    [{ ...valid, allowedOrigins: ["example.com"] }, "allowedOrigins[0]", "origin like https://example.com"],
  ].map(([input, path, message]) => ({ input, path, message })))("refuses a bad $path", ({ input, path, message }) => {
    expect(pathsOf(input)).toContain(path);
    expect(messagesOf(input).join(" | ")).toContain(message);
  });
});

describe("readFormConfig and mergeFormConfig", () => {
  it("a never-saved form has the default fields, contact fields by type and the default message", () => {
    const config = readFormConfig({});
    expect(config.fields).toEqual(defaultFields);
    expect(config.contact).toEqual({ email: "email", name: "name", phone: "" });
    expect(config.successMessage).toBe(DEFAULT_SUCCESS_MESSAGE);
    expect(config.priority).toBe("normal");
  });

  it("a saved form reads back as saved, keeping other keys of the stored object", () => {
    const config = Either.getOrThrow(decodeFormSettings(valid));
    const stored = mergeFormConfig({ other: 1, fields: "old" }, config);
    expect(stored.other).toBe(1);
    expect(readFormConfig(JSON.parse(JSON.stringify(stored)))).toEqual(config);
  });

  it("a hand-edited config drops what it cannot use instead of failing", () => {
    const config = readFormConfig({
      fields: [{ key: "ok", label: "Ok", type: "email" }, { key: "bad key", label: "x", type: "text" }, { key: "ok", label: "dupe", type: "text" }, 7],
      contact: { email: "ok", phone: "ok" },
      priority: "asap",
      redirectUrl: "ftp://x",
      allowedOrigins: ["https://a.example", "nonsense", 3],
    });
    expect(config.fields.map((f) => f.key)).toEqual(["ok"]);
    expect(config.fields[0]!.required).toBe(false);
    expect(config.contact).toEqual({ email: "ok", name: "", phone: "" });
    expect(config.priority).toBe("normal");
    expect(config.redirectUrl).toBe("");
    expect(config.allowedOrigins).toEqual(["https://a.example"]);
  });
});

describe("renderSubject", () => {
  it("fills placeholders on one line, leaves missing ones empty, and falls back to the channel's name", () => {
    expect(renderSubject("Plan {plan} for {name}", { plan: "Pro", name: "Ann\nLee" }, "Sales form")).toBe("Plan Pro for Ann Lee");
    expect(renderSubject("{plan}", {}, "Sales form")).toBe("Form: Sales form");
    expect(renderSubject("", { plan: "Pro" }, "Sales form")).toBe("Form: Sales form");
    expect(renderSubject("{name}", { name: "x".repeat(300) }, "f")).toHaveLength(200);
  });
});
