import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { draftErrors, draftFromConfig, draftFromEntries, editDraft, inputFromDraft, parseIntent } from "./form-admin.js";
import { decodeFormSettings, readFormConfig } from "./form-settings.js";

const posted: Array<[string, string]> = [
  ["csrf", "token"],
  ["fields.0.key", "name"],
  ["fields.0.label", "Name"],
  ["fields.0.type", "text"],
  ["fields.0.options", ""],
  ["fields.0.required", "on"],
  ["fields.1.key", "plan"],
  ["fields.1.label", "Plan"],
  ["fields.1.type", "select"],
  ["fields.1.options", "Free\r\n\r\n  Pro  \n"],
  ["fields.2.key", "email"],
  ["fields.2.label", "Email"],
  ["fields.2.type", "email"],
  ["contact.email", "email"],
  ["contact.name", "name"],
  ["contact.phone", ""],
  ["subject", "{plan} from {name}"],
  ["priority", "urgent"],
  ["successMessage", "Thanks"],
  ["redirectUrl", ""],
  ["allowedOrigins", "https://a.example\n\nhttps://b.example/\n"],
  ["intent", "save"],
];

describe("the settings page's draft", () => {
  it("reads rows in order, checkboxes as booleans, and becomes an input the schema accepts", () => {
    const draft = draftFromEntries(posted);
    expect(draft.fields.map((f) => [f.key, f.required])).toEqual([
      ["name", true],
      ["plan", false],
      ["email", false],
    ]);
    const decoded = decodeFormSettings(inputFromDraft(draft));
    expect(Either.isRight(decoded)).toBe(true);
    const config = Either.getOrThrow(decoded);
    expect(config.fields[1]!.options).toEqual(["Free", "Pro"]);
    expect(config.allowedOrigins).toEqual(["https://a.example", "https://b.example"]);
    // And back: the page shows what was saved.
    expect(inputFromDraft(draftFromConfig(config))).toEqual(inputFromDraft(draftFromConfig(readFormConfig(JSON.parse(JSON.stringify(config))))));
  });

  it("adds, removes and moves rows; moves past either end change nothing", () => {
    const draft = draftFromEntries(posted);
    const keys = (d: typeof draft) => d.fields.map((f) => f.key);
    expect(keys(editDraft(draft, { kind: "add" }))).toEqual(["name", "plan", "email", ""]);
    expect(keys(editDraft(draft, { kind: "remove", index: 1 }))).toEqual(["name", "email"]);
    expect(keys(editDraft(draft, { kind: "up", index: 2 }))).toEqual(["name", "email", "plan"]);
    expect(keys(editDraft(draft, { kind: "down", index: 0 }))).toEqual(["plan", "name", "email"]);
    expect(keys(editDraft(draft, { kind: "up", index: 0 }))).toEqual(keys(draft));
    expect(keys(editDraft(draft, { kind: "down", index: 2 }))).toEqual(keys(draft));
    expect(keys(editDraft(draft, { kind: "remove", index: 9 }))).toEqual(keys(draft));
  });

  it("parses only the intents the page sends", () => {
    expect(parseIntent("save")).toEqual({ kind: "save" });
    expect(parseIntent("up:3")).toEqual({ kind: "up", index: 3 });
    expect(parseIntent("remove:x")).toBeNull();
    expect(parseIntent("delete:1")).toBeNull();
    expect(parseIntent(null)).toBeNull();
  });

  it("puts each issue on its input: an option's line on the options box, an origin's line named", () => {
    const draft = draftFromEntries([...posted.filter(([k]) => k !== "allowedOrigins"), ["allowedOrigins", "https://ok.example\nexample.com"]]);
    const errors = draftErrors(
      [
        { path: "fields[1].options[2]", message: "an option cannot be empty" },
        { path: "allowedOrigins[1]", message: "expected an origin" },
        { path: "fields[0].key", message: "first" },
        { path: "fields[0].key", message: "second" },
        { path: "", message: "whole form" },
      ],
      draft,
    );
    expect(errors).toEqual({
      "fields[1].options": "an option cannot be empty",
      allowedOrigins: "example.com: expected an origin",
      "fields[0].key": "first",
      form: "whole form",
    });
  });
});
