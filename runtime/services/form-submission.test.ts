import { Either } from "effect";
import { describe, expect, it } from "vitest";
import type { FormConfig } from "./form-settings.js";
import { checkSubmission, contactFrom, submissionText } from "./form-submission.js";

const config: FormConfig = {
  fields: [
    { key: "name", label: "Name", type: "text", required: true, options: [] },
    { key: "email", label: "Email", type: "email", required: false, options: [] },
    { key: "phone", label: "Phone", type: "phone", required: false, options: [] },
    { key: "plan", label: "Plan", type: "select", required: false, options: ["Free", "Pro"] },
    { key: "note", label: "Note", type: "textarea", required: false, options: [] },
  ],
  contact: { email: "email", name: "name", phone: "phone" },
  subject: "",
  priority: "normal",
  successMessage: "Thanks",
  redirectUrl: "",
  allowedOrigins: [],
};

const issues = (fields: Record<string, unknown>) => {
  const checked = checkSubmission(config, fields);
  return Either.isLeft(checked) ? checked.left : [];
};

describe("checkSubmission", () => {
  it("normalises values: trimmed, email lower-cased, phone in E.164, a text on one line, a textarea's line ends", () => {
    const checked = Either.getOrThrow(
      checkSubmission(config, { name: "  Ann \n Lee ", email: " Ann@Example.COM ", phone: "+1 (415) 555-2671", plan: "Pro", note: "a\r\nb" }),
    );
    expect(checked).toEqual({
      kind: "valid",
      values: [
        { key: "name", label: "Name", value: "Ann Lee" },
        { key: "email", label: "Email", value: "ann@example.com" },
        { key: "phone", label: "Phone", value: "+14155552671" },
        { key: "plan", label: "Plan", value: "Pro" },
        { key: "note", label: "Note", value: "a\nb" },
      ],
    });
  });

  it("leaves out optional fields that are empty or null", () => {
    const checked = Either.getOrThrow(checkSubmission(config, { name: "Ann", email: "", phone: null }));
    expect(checked.kind === "valid" && checked.values.map((v) => v.key)).toEqual(["name"]);
  });

  it("reports every problem at once, each with its field's path", () => {
    expect(issues({ email: "nope", phone: "555 1234", plan: "Gold", extra: "x", note: "y".repeat(10_001) })).toEqual([
      { path: "fields.extra", message: "this form has no field “extra”" },
      { path: "fields.name", message: "Name is required" },
      { path: "fields.email", message: "expected an email address like name@example.com" },
      { path: "fields.phone", message: "enter the phone number with its country code, like +49 30 1234567" },
      { path: "fields.plan", message: "choose one of: Free, Pro" },
      { path: "fields.note", message: "at most 10,000 characters (this is 10,001)" },
    ]);
    expect(issues({ name: "x".repeat(1001) })[0]!.message).toBe("at most 1,000 characters (this is 1,001)");
    expect(issues({ name: { first: "Ann" } })[0]).toEqual({ path: "fields.name", message: "expected text, not a object" });
    expect(issues({ name: true })[0]!.path).toBe("fields.name");
  });

  it("a filled honeypot is spam whatever else was sent; an empty one is ignored", () => {
    expect(checkSubmission(config, { _hp: "x", junk: 1 })).toEqual(Either.right({ kind: "spam" }));
    expect(Either.isRight(checkSubmission(config, { _hp: "  ", name: "Ann" }))).toBe(true);
  });
});

describe("submissionText and contactFrom", () => {
  it("one Label: value line per given field; the contact by the form's contact fields", () => {
    const checked = Either.getOrThrow(checkSubmission(config, { name: "Ann", email: "a@b.co", note: "line 1\nline 2" }));
    const values = checked.kind === "valid" ? checked.values : [];
    expect(submissionText(values)).toBe("Name: Ann\nEmail: a@b.co\nNote: line 1\nline 2");
    expect(contactFrom(config, values)).toEqual({ email: "a@b.co", name: "Ann", phone: null });
    expect(contactFrom({ ...config, contact: { email: "", name: "", phone: "" } }, values)).toEqual({ email: null, name: null, phone: null });
  });
});
