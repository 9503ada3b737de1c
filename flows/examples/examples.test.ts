/**
 * The example flows are the builder's templates and the docs' showcase: each must compile
 * cleanly against its context, read top to bottom on the canvas, and pass its scripted tests.
 */
import { Either } from "effect";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compile, decodeFlowDocument } from "../compile.js";
import { formatFileResult, runFlowTestFile } from "../../runtime/cli/flow-test-runner.js";
import { makeLiveActions } from "../../runtime/cli/live-actions.js";
import { decodeCompileContext } from "../../runtime/cli/load-flow-file.js";

const DIR = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(DIR);
const flows = files.filter((f) => f.endsWith(".json") && !f.endsWith(".test.json") && f !== "context.json").sort();
const tests = files.filter((f) => f.endsWith(".test.json")).sort();
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(DIR, file), "utf8"));

const context = Either.getOrThrow(decodeCompileContext(readJson("context.json")));

describe("example flows", () => {
  it("are the four the docs describe, each with a scripted test", () => {
    expect(flows).toEqual(["lead-qualification.json", "live-chat-hours.json", "support-triage.json", "webhook-code-split.json"]);
    for (const flow of flows) expect(tests).toContain(flow.replace(/\.json$/, ".test.json"));
  });

  it("names the team and user the seed creates", () => {
    expect(context.teams).toContainEqual({ id: "team_support", name: "Support" });
    expect(context.users).toContainEqual({ id: "user_admin", name: "Admin" });
  });

  for (const file of flows) {
    describe(file, () => {
      const document = Either.getOrThrow(decodeFlowDocument(readJson(file)));

      it("compiles without errors or warnings", () => {
        const result = compile(document, context);
        expect(result.diagnostics).toEqual([]);
        expect(result.spec).toBeDefined();
      });

      it("reads top to bottom: every edge leads down, and no two nodes overlap", () => {
        const at = new Map(document.nodes.map((n) => [n.id, n.position]));
        for (const edge of document.edges) {
          expect(at.get(edge.target)!.y, `${edge.id} should lead downwards`).toBeGreaterThan(at.get(edge.source)!.y);
        }
        for (const a of document.nodes) {
          for (const b of document.nodes) {
            if (a.id >= b.id) continue;
            const apart = Math.abs(a.position.x - b.position.x) >= 300 || Math.abs(a.position.y - b.position.y) >= 200;
            expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
          }
        }
      });

      it("declares every variable its templates use, and shows its display settings", () => {
        const settings = document.settings as { display?: { welcomeMessage?: string; accentColor?: string } };
        expect(settings.display?.welcomeMessage).toBeTruthy();
        expect(settings.display?.accentColor).toMatch(/^#[0-9a-f]{6}$/i);
        expect(JSON.stringify(document.nodes)).toMatch(/\{\{\s*[a-z_.]+\s*\}\}/);
        expect(document.variables.length).toBeGreaterThan(0);
      });
    });
  }
});

describe("example flow tests", () => {
  const live = makeLiveActions();
  afterAll(() => live.dispose());

  for (const file of tests) {
    it(`${file} passes`, async () => {
      const result = await runFlowTestFile(join(DIR, file), { executors: live });
      const failed =
        result.problems !== undefined ||
        result.cases.some((c) => c.failure !== undefined) ||
        result.targeting.some((t) => t.expected !== t.actual);
      expect(failed, formatFileResult(result, file)).toBe(false);
      expect(result.cases.length).toBeGreaterThanOrEqual(3);
    });
  }
});
