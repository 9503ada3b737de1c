import { spawnSync } from "node:child_process";
import { Either } from "effect";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compile, decodeFlowDocument } from "../../flows/compile.js";
import { main } from "./flow-cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("./flow-cli.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "parley-flow-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npx tsx` starts slowly on a busy machine; a child-process test gets this long. */
const CHILD_TIMEOUT_MS = 120_000;

/** Runs the CLI as a user would, in a child process. */
const cli = (args: ReadonlyArray<string>, input?: string) => {
  const result = spawnSync("npx", ["tsx", CLI, ...args], { cwd: ROOT, input, encoding: "utf8", timeout: CHILD_TIMEOUT_MS - 10_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

/** Runs the CLI in-process, collecting what it prints. */
const run = async (args: ReadonlyArray<string>) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
};

const write = (name: string, content: string): string => {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
};

describe("flow check (child process)", () => {
  it("prints every decode problem of a broken spec as path: message and exits 1", () => {
    const spec = write(
      "broken-spec.json",
      JSON.stringify({
        formatVersion: 1,
        id: "broken",
        name: "Broken",
        kind: "robot",
        startNodeId: "a",
        nodes: [
          { id: "a", kind: "message", data: { bubbles: [] }, next: { next: "b" } },
          { id: "b", kind: "question", data: { prompt: "How many?", answer: { type: "number", min: "zero" } } },
        ],
      })
    );
    const { code, stdout } = cli(["check", spec]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${spec}: error [decode] kind: Expected one of "bot", "live_chat", got "robot"`);
    expect(stdout).toContain(`${spec}: error [decode] nodes[0].data.bubbles: Needs at least one item`);
    expect(stdout).toContain(`${spec}: error [decode] nodes[1].data.answer.min: Expected a number, got "zero"`);
    expect(stdout).toMatch(/1 file checked: [1-9]\d* errors/);
  }, CHILD_TIMEOUT_MS);

  it("is clean on the example folder, context and tests included", () => {
    const { code, stdout } = cli([
      "check",
      ...[
        "context",
        "lead-qualification",
        "lead-qualification.test",
        "live-chat-hours",
        "support-triage",
        "webhook-code-split",
      ].map((f) => `flows/examples/${f}.json`),
    ]);
    expect(stdout).toContain("6 files checked: 0 errors, 0 warnings");
    expect(code).toBe(0);
  }, CHILD_TIMEOUT_MS);
});

describe("flow check (in-process)", () => {
  it("reports compiler diagnostics with node, port and code", async () => {
    const doc = write(
      "unconnected.json",
      JSON.stringify({
        id: "d",
        name: "D",
        kind: "bot",
        startNodeId: "a",
        nodes: [
          { id: "a", kind: "message", position: { x: 0, y: 0 }, data: { bubbles: [{ type: "text", text: "Hi {{who}}" }] } },
        ],
        edges: [],
      })
    );
    const { code, out } = await run(["check", doc]);
    expect(code).toBe(1);
    expect(out).toContain(`${doc}: error [port_unconnected] node a port next`);
    expect(out).toMatch(/error \[undefined_variable\] node a .*who/);
  });

  it("exits 0 when a flow has only warnings", async () => {
    const doc = write(
      "warning.json",
      JSON.stringify({
        id: "w",
        name: "W",
        kind: "bot",
        startNodeId: "a",
        nodes: [
          { id: "a", kind: "end", position: { x: 0, y: 0 }, data: {} },
          { id: "lonely", kind: "end", position: { x: 0, y: 280 }, data: {} },
        ],
        edges: [],
      })
    );
    const { code, out } = await run(["check", doc]);
    expect(out).toContain("warning [unreachable_node] node lonely");
    expect(code).toBe(0);
  });

  it("says clearly when a file is not JSON, missing, or not a flow", async () => {
    const bad = write("bad.json", '{\n  "nodes": [1,2,}');
    const other = write("other.json", '{"hello": 1}');
    const { code, out } = await run(["check", bad, other, join(dir, "missing.json")]);
    expect(code).toBe(1);
    expect(out).toContain(`${bad}: error: is not valid JSON at line 2, column 17`);
    expect(out).toContain(
      `${other}: error: is neither a FlowDocument (it has no "edges") nor a FlowSpec (it has no "formatVersion")`
    );
    expect(out).toContain(`${join(dir, "missing.json")}: error: file not found`);
  });

  it("flags unknown teams when no context is found, with a note saying why", async () => {
    const doc = write(
      "handoff.json",
      JSON.stringify({
        id: "h",
        name: "H",
        kind: "bot",
        startNodeId: "a",
        nodes: [
          { id: "a", kind: "handoff", position: { x: 0, y: 0 }, data: { target: { type: "team", teamId: "team_support" } } },
        ],
        edges: [],
      })
    );
    const { code, out } = await run(["check", doc]);
    expect(code).toBe(1);
    expect(out).toContain("[unknown_team] node a");
    expect(out).toContain("note: no context.json beside this file");
    const withContext = await run(["check", "--context", join(ROOT, "flows/examples/context.json"), doc]);
    expect(withContext.code).toBe(0);
  });
});

describe("hand-written specs", () => {
  it("checks a spec and runs tests against it, just like a document", async () => {
    const context = JSON.parse(readFileSync(join(ROOT, "flows/examples/context.json"), "utf8"));
    const document = Either.getOrThrow(
      decodeFlowDocument(JSON.parse(readFileSync(join(ROOT, "flows/examples/support-triage.json"), "utf8")))
    );
    const spec = write("triage-spec.json", JSON.stringify(compile(document, context).spec));
    const checked = await run(["check", "--context", join(ROOT, "flows/examples/context.json"), spec]);
    expect(checked.out).toContain(`${spec}: ok — FlowSpec "Support triage", 13 nodes`);
    expect(checked.code).toBe(0);
    const test = write(
      "triage-spec.test.json",
      JSON.stringify({
        flow: "./triage-spec.json",
        context: join(ROOT, "flows/examples/context.json"),
        cases: [
          {
            name: "reset",
            steps: [{ choose: "reset_password" }, { expect: { bot: ["How to reset your password"], ended: "completed" } }],
          },
        ],
      })
    );
    const tested = await run(["test", test]);
    expect(tested.out).toContain("1 passed, 0 failed (1 file)");
    expect(tested.code).toBe(0);
  });
});

describe("flow test", () => {
  it("fails a deliberately failing case with a diff and exit code 1 (child process)", () => {
    const test = write(
      "failing.test.json",
      JSON.stringify({
        flow: join(ROOT, "flows/examples/support-triage.json"),
        context: join(ROOT, "flows/examples/context.json"),
        cases: [
          { name: "passes", steps: [{ choose: "Talk to a person" }, { expect: { handoff: true } }] },
          {
            name: "expects the wrong thing",
            steps: [{ choose: "Reset my password" }, { expect: { bot: ["Open a ticket"], ended: false } }],
          },
        ],
      })
    );
    const { code, stdout } = cli(["test", test]);
    expect(code).toBe(1);
    expect(stdout).toContain("✓ passes");
    expect(stdout).toContain("✗ expects the wrong thing");
    expect(stdout).toContain("at step 2:");
    expect(stdout).toContain('missing:  "Open a ticket"');
    expect(stdout).toContain("| How to reset your password (https://help.example.com/articles/reset-password)");
    expect(stdout).toContain('actual:   "completed"');
    expect(stdout).toContain("1 passed, 1 failed (1 file)");
  }, CHILD_TIMEOUT_MS);

  it("runs every example test by default and passes", async () => {
    const { code, out } = await run(["test"]);
    expect(out).toMatch(/\d+ passed, 0 failed \(4 files\)/);
    expect(code).toBe(0);
  });

  it("filters cases by name", async () => {
    const { code, out } = await run(["test", join(ROOT, "flows/examples/live-chat-hours.test.json"), "--case", "saturday"]);
    expect(code).toBe(0);
    expect(out).toContain("✓ on a Saturday");
    expect(out).not.toContain("Monday");
  });
});

describe("flow chat (child process)", () => {
  it("plays a flow from piped input", () => {
    const { code, stdout } = cli(
      ["chat", "flows/examples/support-triage.json", "--now", "2025-01-06T10:00:00Z"],
      "2\nThe export button does nothing\n/quit\n"
    );
    expect(code).toBe(0);
    expect(stdout).toContain("bot › What can I help you with today?");
    expect(stdout).toContain("→ Report a bug");
    expect(stdout).toContain('── ticket created: "Bug: The export button does nothing" (high) ──');
    expect(stdout).toContain("bot › Thanks! I've filed this for our engineers.");
  }, CHILD_TIMEOUT_MS);
});

describe("usage", () => {
  it.each(["check", "chat", "test"])("%s --help explains the command and exits 0", async (command) => {
    const { code, out } = await run([command, "--help"]);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: npm run flow -- ${command}`);
  });

  it("exits 2 on an unknown command, option or value", async () => {
    expect((await run(["frobnicate"])).code).toBe(2);
    expect((await run(["check", "--bogus", "x.json"])).err).toContain("Unknown option '--bogus'");
    expect((await run(["chat", "x.json", "--webhooks=maybe"])).err).toContain("--webhooks must be stub or live");
    expect((await run(["check"])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(["--help"])).code).toBe(0);
  });
});
