/**
 * The runtime's messages are lower-case fragments ("enter a subject"); on screen an error starts
 * with a capital. So no error paragraph in app/ may open with a runtime value shown as it came:
 * it goes through ErrorNotice / FieldError, or `capitalise`. This reads every .tsx file in app/
 * and names each error paragraph (a `<p>` whose class is always field__error, notice--error or
 * composer__error) whose text starts with an expression that neither calls `capitalise` nor is a
 * capitalised literal. Paragraphs whose class depends on the outcome (success or error) are
 * beyond a pattern's reach; those capitalise their error branch by hand.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The two components that own the markup (and capitalise) are the only places allowed to write it. */
const owners = new Set(["components/settings/notices.tsx", "components/field.tsx"]);

const errorParagraph = /<p\b[^>]*?\bclassName="(?:[^"]* )?(?:field__error|notice--error|composer__error)(?: [^"]*)?"[^>]*>([\s\S]*?)<\/p>/g;

/** Paragraphs that start with words a person wrote, not a runtime message, each with why. */
const exempt: ReadonlyArray<{ readonly file: string; readonly starts: string; readonly why: string }> = [
  { file: "components/inbox/label-picker.tsx", starts: "gone.map((name) => `“${name}”`)", why: "opens with the deleted labels' names, in quotes, as their owners wrote them" },
];

/** The first `{…}` of a JSX body when the body starts with one (its text, braces balanced), else null. */
const leadingExpression = (body: string): string | null => {
  const text = body.trimStart();
  if (!text.startsWith("{")) return null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(1, i).trim();
  }
  return text.slice(1);
};

const capitalisedLiteral = /^(["'`])[^a-z]/;

/** Each error element in `source` that opens with a value not capitalised, as `line: markup`. Pure. */
const uncapitalisedErrors = (source: string, file = ""): string[] => {
  const found: string[] = [];
  for (const match of source.matchAll(errorParagraph)) {
    const expression = leadingExpression(match[1]!);
    if (expression === null || expression.includes("capitalise(") || capitalisedLiteral.test(expression)) continue;
    if (exempt.some((e) => e.file === file && expression.startsWith(e.starts))) continue;
    const line = source.slice(0, match.index).split("\n").length;
    found.push(`${line}: ${match[0].replace(/\s+/g, " ").slice(0, 160)}`);
  }
  return found;
};

describe("error paragraphs in app/", () => {
  it("finds an error paragraph that shows a runtime message as it came, and passes the capitalised ones", () => {
    expect(uncapitalisedErrors(`<p className="field__error">{errors.subject}</p>`)).toHaveLength(1);
    expect(uncapitalisedErrors(`x\n<p className="notice notice--error" role="alert">\n  {result.fields.form ?? result.error}\n</p>`)).toEqual([
      `2: <p className="notice notice--error" role="alert"> {result.fields.form ?? result.error} </p>`,
    ]);
    expect(uncapitalisedErrors(`<p id="x" className="field__error report__error" role="alert">{rangeError}</p>`)).toHaveLength(1);
    expect(uncapitalisedErrors(`<p className="composer__error">{capitalise(error.error)}</p>`)).toEqual([]);
    expect(uncapitalisedErrors(`<p className="notice notice--error">Nothing was saved: {errors.form}</p>`)).toEqual([]);
    expect(uncapitalisedErrors("<p className=\"notice notice--error\">{`Could not read: ${m}`}</p>")).toEqual([]);
    expect(uncapitalisedErrors(`<p className="notice notice--success">{result.message}</p>`)).toEqual([]);
    expect(uncapitalisedErrors(`<p className="fe-field__error">{errors.join(" ")}</p>`)).toEqual([]);
  });

  it("leaves none in the app: each goes through ErrorNotice, FieldError or capitalise", () => {
    const files = readdirSync(appDir, { recursive: true, encoding: "utf8" }).filter(
      (file) => file.endsWith(".tsx") && !file.includes(".test.") && !owners.has(file.split("\\").join("/")),
    );
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.flatMap((file) =>
      uncapitalisedErrors(readFileSync(join(appDir, file), "utf8"), file.split("\\").join("/")).map((where) => `${file}:${where}`),
    );
    expect(offenders).toEqual([]);
  });
});
