import { describe, expect, it } from "vitest";
import { compile } from "../../../flows/compile.js";
import { generateDocument, GENERATED_CONTEXT } from "../../components/flow-editor/generate.js";
import { compileInBackground } from "./compile-client.js";

describe("compileInBackground", () => {
  // Node has no Web Worker: this is the fallback that compiles on the main thread.
  it("answers what the compiler answers where no worker can start", async () => {
    const clean = generateDocument(30);
    const context = { ...GENERATED_CONTEXT, teams: [...GENERATED_CONTEXT.teams], users: [...GENERATED_CONTEXT.users], contactProperties: [...GENERATED_CONTEXT.contactProperties] };
    expect(await compileInBackground(clean, context)).toEqual(compile(clean, context));
    const broken = { ...clean, edges: clean.edges.slice(1) };
    const result = await compileInBackground(broken, context);
    expect(result.spec).toBeUndefined();
    expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
  });
});
