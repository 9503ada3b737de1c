import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { filePassed, formatFileResult, formatTotals, runFlowTestFile, totalsOf, type FileResult } from "./flow-test-runner.js";
import { writeHandoffFlow } from "./test-flows.js";

const EXAMPLES = fileURLToPath(new URL("../../flows/examples/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "parley-flow-tests-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes a test file beside nothing: the flow is named by absolute path, the context inline or by path. */
const writeTest = (content: object): string => {
  const file = join(dir, `t${++counter}.test.json`);
  writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
};
const example = (name: string) => join(EXAMPLES, name);
const CONTEXT = join(EXAMPLES, "context.json");

const runOne = async (flow: string, testCase: object): Promise<FileResult> =>
  runFlowTestFile(writeTest({ flow: example(flow), context: CONTEXT, cases: [testCase] }));

const failureOf = (result: FileResult) => {
  expect(result.problems).toBeUndefined();
  const failure = result.cases[0]?.failure;
  expect(failure, "the case should fail").toBeDefined();
  return failure!;
};

describe("runFlowTestFile", () => {
  it("passes a case whose expectations hold", async () => {
    const result = await runOne("lead-qualification.json", {
      name: "ok",
      steps: [{ visitor: "Ann" }, { expect: { bot: ["Nice to meet you, Ann!"], awaiting: "email", variables: { name: "Ann" } } }],
    });
    expect(filePassed(result)).toBe(true);
    expect(formatFileResult(result)).toContain("✓ ok");
  });

  it("fails a deliberately wrong case with a readable diff: step, expected, actual, conversation", async () => {
    const result = await runOne("lead-qualification.json", {
      name: "wrong greeting",
      steps: [{ visitor: "Ann" }, { expect: { bot: ["Welcome back, Ann"], variables: { name: "Bob" } } }],
    });
    expect(filePassed(result)).toBe(false);
    const failure = failureOf(result);
    expect(failure.step).toBe(2);
    expect(failure.mismatches.map((m) => m.what)).toEqual(["bot", "variables.name"]);
    const report = formatFileResult(result, "lead.test.json");
    expect(report).toContain("✗ wrong greeting");
    expect(report).toContain('at step 2: {"expect"');
    expect(report).toContain('missing:  "Welcome back, Ann"');
    expect(report).toContain("| Nice to meet you, Ann! What's your work email?");
    expect(report).toContain('expected: "Bob"');
    expect(report).toContain('actual:   "Ann"');
    expect(report).toContain("visitor  Ann");
    expect(formatTotals(totalsOf([result]))).toBe("0 passed, 1 failed (1 file)");
  });

  // One row per expectation key: a wrong value must fail on that key (and only that key).
  const table: ReadonlyArray<[string, string, object, ReadonlyArray<object>]> = [
    ["bot fragments out of order", "bot", { bot: ["work email", "Nice to meet you"] }, [{ visitor: "Ann" }]],
    ["notBot", "notBot", { notBot: ["work email"] }, [{ visitor: "Ann" }]],
    ["choices", "choices", { choices: ["1–10", "11–50"] }, [{ visitor: "Ann" }, { visitor: "a@b.io" }]],
    ["awaiting", "awaiting", { awaiting: "choice" }, [{ visitor: "Ann" }]],
    ["variables", "variables.email", { variables: { email: "A@B.IO" } }, [{ visitor: "Ann" }, { visitor: "A@B.IO" }]],
    ["contact", "contact.email", { contact: { email: null } }, [{ visitor: "Ann" }, { visitor: "a@b.io" }]],
    ["visited", "visited", { visited: ["ask_company_size", "ask_email"] }, [{ visitor: "Ann" }, { visitor: "a@b.io" }]],
    ["handoff", "handoff", { handoff: true }, [{ visitor: "Ann" }]],
    [
      "handoff target",
      "handoff",
      { handoff: { target: { type: "routing" } } },
      [{ visitor: "Ann" }, { visitor: "a@b.io" }, { choose: "1–10" }],
    ],
    [
      "handoff labels (one missing)",
      "handoff",
      { handoff: { labels: [] } },
      [{ visitor: "Ann" }, { visitor: "a@b.io" }, { choose: "1–10" }],
    ],
    [
      "handoff labels (one too many)",
      "handoff",
      { handoff: { labels: ["label_sales_lead", "label_bug"] } },
      [{ visitor: "Ann" }, { visitor: "a@b.io" }, { choose: "1–10" }],
    ],
    [
      "meeting",
      "meeting",
      { meeting: { userId: "user_other" } },
      [{ visitor: "Ann" }, { visitor: "a@b.io" }, { choose: "201+" }],
    ],
    ["ended", "ended", { ended: "completed" }, [{ visitor: "Ann" }]],
  ];
  for (const [title, what, expectation, before] of table) {
    it(`fails on a wrong ${title}`, async () => {
      const failure = failureOf(
        await runOne("lead-qualification.json", { name: title, steps: [...before, { expect: expectation }] })
      );
      expect(failure.mismatches.map((m) => m.what)).toEqual([what]);
    });
  }

  it("matches a handoff's labels in any order and prints them in the transcript", async () => {
    const steps = [{ visitor: "Ann" }, { visitor: "a@b.io" }, { choose: "1–10" }];
    const pass = await runOne("lead-qualification.json", {
      name: "labels",
      steps: [...steps, { expect: { handoff: { labels: ["label_sales_lead"] } } }],
    });
    expect(pass.cases[0]?.failure).toBeUndefined();
    const fail = failureOf(
      await runOne("lead-qualification.json", { name: "labels", steps: [...steps, { expect: { handoff: { labels: [] } } }] })
    );
    expect(fail.mismatches[0]?.actual).toContain('"labels":["label_sales_lead"]');
    expect(fail.transcript.join("\n")).toContain(", labels label_sales_lead)");
  });

  it("runs a handoff to the contact's owner: away only when neither the owner nor routing is available", async () => {
    const flowFile = writeHandoffFlow(join(dir, "owner-flow.json"), "owner", { target: { type: "contact_owner" } });
    const handoff = (away: boolean) => ({ expect: { handoff: { target: { type: "contact_owner" }, away } } });
    const result = await runFlowTestFile(
      writeTest({
        flow: flowFile,
        context: CONTEXT,
        cases: [
          { name: "owner there", availability: { routing: false, contactOwner: true }, steps: [handoff(false)] },
          { name: "nobody", availability: { routing: false }, steps: [handoff(true)] },
          { name: "wrongly expected away", availability: { routing: true }, steps: [handoff(true)] },
        ],
      }),
    );
    expect(result.problems).toBeUndefined();
    expect(result.cases.map((c) => c.failure === undefined)).toEqual([true, true, false]);
    expect(formatFileResult(result)).toContain("(handoff to the contact's owner (else routing))");
  });

  it("compares tickets and webhook calls by contained text", async () => {
    const pass = await runOne("support-triage.json", {
      name: "ticket",
      steps: [
        { choose: "Report a bug" },
        { visitor: "The export is broken" },
        { expect: { ticket: { subject: "export is broken", priority: "high" } } },
      ],
    });
    expect(filePassed(pass)).toBe(true);
    const fail = failureOf(
      await runOne("support-triage.json", {
        name: "ticket",
        steps: [{ choose: "Report a bug" }, { visitor: "The export is broken" }, { expect: { ticket: { priority: "low" } } }],
      })
    );
    expect(fail.mismatches[0]!.actual).toContain('"priority":"high"');
    const webhook = failureOf(
      await runOne("webhook-code-split.json", {
        name: "webhook",
        webhooks: { lookup_zone: { error: "down" } },
        steps: [{ visitor: "10115" }, { expect: { webhook: { url: "/delivery-zones/99999" } } }],
      })
    );
    expect(webhook.mismatches[0]!.actual).toContain("https://api.example.com/delivery-zones/10115");
  });

  it("fails when the flow calls a webhook the case does not stub, and says how to stub it", async () => {
    const failure = failureOf(await runOne("webhook-code-split.json", { name: "no stub", steps: [{ visitor: "10115" }] }));
    expect(failure.step).toBe(1);
    expect(failure.mismatches[0]!.actual).toContain('"webhooks": { "lookup_zone"');
  });

  it("answers knowledge nodes from the case's stubs and compares the last search by contained query", async () => {
    const steps = (expect: object) => [{ choose: "Something else" }, { visitor: "How do I export a CSV?" }, { expect }];
    const pass = await runOne("support-triage.json", {
      name: "knowledge",
      knowledge: { find_articles: [{ title: "Export your launch data", url: "https://help.example.com/export" }] },
      steps: steps({ knowledge: { query: "export a CSV" }, bot: ["Export your launch data (https://help.example.com/export)"] }),
    });
    expect(filePassed(pass)).toBe(true);
    const wrong = failureOf(
      await runOne("support-triage.json", {
        name: "knowledge",
        knowledge: { find_articles: [] },
        steps: steps({ knowledge: { query: "invoices" } }),
      })
    );
    expect(wrong.mismatches).toEqual([
      {
        what: "knowledge",
        expected: '{"query":"invoices"} (query: contained in)',
        actual: '{"nodeId":"find_articles","query":"How do I export a CSV?"}',
      },
    ]);
    expect(formatFileResult({ file: "x", cases: [{ name: "k", failure: wrong, durationMs: 1 }], targeting: [] })).toContain(
      '(knowledge search "How do I export a CSV?", up to 3)'
    );
    const none = failureOf(
      await runOne("lead-qualification.json", { name: "no search", steps: [{ expect: { knowledge: true } }] })
    );
    expect(none.mismatches[0]).toMatchObject({ what: "knowledge", actual: "no knowledge search" });
  });

  it("compares the lists joined so far exactly and the last email consent by address, list and contained text", async () => {
    const flow = join(dir, "newsletter.json");
    const at = { x: 0, y: 0 };
    writeFileSync(
      flow,
      JSON.stringify({
        id: "newsletter",
        name: "Newsletter",
        kind: "bot",
        startNodeId: "beta",
        nodes: [
          { id: "beta", kind: "add_to_list", position: at, data: { listId: "list_beta" } },
          { id: "offer", kind: "subscribe", position: at, data: { consentText: "Monthly product news. Unsubscribe any time.", listId: "list_news" } },
          { id: "thanks", kind: "end", position: at, data: { message: "Thanks for subscribing!" } },
          { id: "bye", kind: "end", position: at, data: { message: "No problem." } },
        ],
        edges: [
          { id: "e1", source: "beta", sourcePort: "next", target: "offer" },
          { id: "e2", source: "offer", sourcePort: "subscribed", target: "thanks" },
          { id: "e3", source: "offer", sourcePort: "declined", target: "bye" },
        ],
      }),
    );
    const run = (steps: ReadonlyArray<object>) => runFlowTestFile(writeTest({ flow, cases: [{ name: "newsletter", steps }] }));
    const subscribed = [
      { expect: { awaiting: "email", lists: ["list_beta"], consent: false } },
      { visitor: "Ann@Example.com" },
      { expect: { choices: ["Yes, please", "No, thanks"] } },
      { choose: "Yes, please" },
    ];
    const pass = await run([
      ...subscribed,
      {
        expect: {
          bot: ["Thanks for subscribing!"],
          lists: ["list_beta", "list_news"],
          consent: { email: "ann@example.com", listId: "list_news", text: "Monthly product news" },
        },
      },
    ]);
    expect(formatFileResult(pass)).toContain("✓ newsletter");
    const wrong = failureOf(await run([...subscribed, { expect: { lists: ["list_news"], consent: { email: "bob@example.com" } } }]));
    expect(wrong.step).toBe(5);
    expect(wrong.mismatches).toEqual([
      { what: "lists", expected: '["list_news"]', actual: '["list_beta","list_news"]' },
      {
        what: "consent",
        expected: '{"email":"bob@example.com"} (text: contained in)',
        actual: '{"email":"ann@example.com","listId":"list_news","text":"Monthly product news. Unsubscribe any time."}',
      },
    ]);
    const declined = failureOf(await run([{ visitor: "ann@example.com" }, { choose: "No, thanks" }, { expect: { consent: true, lists: [] } }]));
    expect(declined.mismatches).toEqual([
      { what: "lists", expected: "[]", actual: '["list_beta"]' },
      { what: "consent", expected: "consent recorded", actual: "no consent recorded" },
    ]);
  });

  it("fails when the flow searches the knowledge base the case says nothing about, and says how to stub it", async () => {
    const failure = failureOf(
      await runOne("support-triage.json", { name: "no stub", steps: [{ choose: "Something else" }, { visitor: "refunds" }] })
    );
    expect(failure.step).toBe(2);
    expect(failure.mismatches[0]!.actual).toContain('"knowledge": { "find_articles": ["Article title", …] } ([] for nothing found)');
  });

  it("fails before the first step when a knowledge stub names a node of another kind", async () => {
    const failure = failureOf(
      await runOne("support-triage.json", { name: "typo", knowledge: { ask_question: [] }, steps: [{ expect: {} }] })
    );
    expect(failure.mismatches[0]).toMatchObject({ what: "knowledge.ask_question", actual: 'node "ask_question" is a question node' });
  });

  it("reports a knowledge stub that is not a list of titles or articles by path", async () => {
    const result = await runFlowTestFile(
      writeTest({
        flow: example("support-triage.json"),
        context: CONTEXT,
        cases: [{ name: "x", knowledge: { find_articles: [{ url: "/help/x" }] }, steps: [{ expect: {} }] }],
      })
    );
    expect(result.problems?.join("\n")).toContain("cases[0].knowledge.find_articles[0]");
  });

  it("fails before the first step when a stub names a node the flow does not have", async () => {
    const failure = failureOf(
      await runOne("webhook-code-split.json", {
        name: "typo",
        webhooks: { lookup_zones: { body: {} } },
        steps: [{ visitor: "1" }],
      })
    );
    expect(failure.step).toBe(0);
    expect(failure.mismatches[0]).toMatchObject({ what: "webhooks.lookup_zones", actual: "the flow has no node with this id" });
  });

  it("fails a visitor step after the conversation is over, and an unknown choice with the choices listed", async () => {
    const over = failureOf(await runOne("live-chat-hours.json", { name: "over", steps: [{ visitor: "hello?" }] }));
    expect(over.mismatches[0]!.actual).toContain("over (handed_off)");
    const unknown = failureOf(await runOne("support-triage.json", { name: "choice", steps: [{ choose: "Cancel my plan" }] }));
    expect(unknown.mismatches[0]!.actual).toContain('reset_password ("Reset my password")');
  });

  it("checks targeting: a page the flow hides on must not be expected as shown", async () => {
    const result = await runFlowTestFile(
      writeTest({
        flow: example("lead-qualification.json"),
        context: CONTEXT,
        targeting: [{ url: "https://www.example.com/pricing", shown: true }],
        cases: [{ name: "x", steps: [{ expect: { awaiting: "text" } }] }],
      })
    );
    expect(filePassed(result)).toBe(false);
    expect(formatFileResult(result)).toMatch(/✗ targeting: shown on https:\/\/www\.example\.com\/pricing[\s\S]*hide rule 1/);
  });

  it("reports a test file that does not decode with every path and message", async () => {
    const result = await runFlowTestFile(
      writeTest({
        flow: example("lead-qualification.json"),
        cases: [
          { name: "typo", steps: [{ expcet: { bot: [] } }] },
          { name: "two keys", steps: [{ visitor: "a", expect: {} }] },
        ],
      })
    );
    expect(result.problems).toBeDefined();
    const text = result.problems!.join("\n");
    expect(text).toContain("cases[0].steps[0].expcet: Unknown step key");
    expect(text).toContain(
      "cases[1].steps[0]: A step has exactly one of visitor, choose, event, expect; this one has visitor and expect"
    );
    expect(filePassed(result)).toBe(false);
  });

  it("reports an unknown expectation key by path", async () => {
    const result = await runFlowTestFile(
      writeTest({ flow: example("lead-qualification.json"), cases: [{ name: "x", steps: [{ expect: { said: ["hi"] } }] }] })
    );
    expect(result.problems?.join("\n")).toContain("cases[0].steps[0].expect.said");
  });

  it("refuses to run the tests of a flow with errors, and says which", async () => {
    const flow = join(dir, "broken.json");
    writeFileSync(
      flow,
      JSON.stringify({
        id: "b",
        name: "Broken",
        kind: "bot",
        startNodeId: "a",
        nodes: [{ id: "a", kind: "message", position: { x: 0, y: 0 }, data: { bubbles: [{ type: "text", text: "hi" }] } }],
        edges: [],
      })
    );
    const result = await runFlowTestFile(writeTest({ flow: "./broken.json", cases: [{ name: "x", steps: [{ expect: {} }] }] }));
    expect(result.problems?.join("\n")).toMatch(/broken\.json: error \[port_unconnected\] node a port next/);
  });

  it("reports a missing flow file", async () => {
    const result = await runFlowTestFile(writeTest({ flow: "./nowhere.json", cases: [{ name: "x", steps: [{ expect: {} }] }] }));
    expect(result.problems?.join("\n")).toContain("nowhere.json: file not found");
  });
});

describe("a flow that follows a team's hours (decision 053)", () => {
  /** Sales keeps Mon–Fri 09:00–17:00 in Berlin; Support keeps none; Ops follows the workspace's. */
  const teams = [
    {
      id: "team_sales",
      name: "Sales",
      hours: { source: "own", timezone: "Europe/Berlin", hours: ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" })) },
    },
    { id: "team_support", name: "Support" },
    { id: "team_ops", name: "Ops", hours: { source: "workspace" } },
  ];
  const workspaceHours = { timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }] };
  const SATURDAY_10 = "2026-11-28T09:00:00Z"; // 10:00 in Berlin
  const MONDAY_10 = "2026-11-30T09:00:00Z";

  /** A flow whose availability is `availability`, handing every visitor off to `target` at once. */
  const flowFile = (name: string, availability: object, target?: object) => writeHandoffFlow(join(dir, `${name}.json`), name, { availability, target });
  const awayAt = (now: string, away: boolean) => ({ name: `${now} away ${away}`, now, steps: [{ expect: { handoff: { away } } }] });
  const outcomes = (result: FileResult) => {
    expect(result.problems).toBeUndefined();
    return result.cases.map((c) => (c.failure === undefined ? "pass" : c.failure.mismatches.map((m) => m.actual).join(" ")));
  };

  it("reads the team's hours from the context: away on Saturday, open on Monday, like the widget", async () => {
    const flow = flowFile("follows-sales", { mode: "team", teamId: "team_sales" });
    const result = await runFlowTestFile(writeTest({ flow, context: { teams }, cases: [awayAt(SATURDAY_10, true), awayAt(MONDAY_10, false)] }));
    expect(outcomes(result)).toEqual(["pass", "pass"]);
    // The same Saturday with the hours out of the file: nothing to read, so open (as for a team without hours).
    const unknown = await runFlowTestFile(
      writeTest({ flow, context: { teams: teams.map(({ id, name }) => ({ id, name })) }, cases: [awayAt(SATURDAY_10, true)] }),
    );
    expect(outcomes(unknown)[0]).toContain('"away":false');
  });

  it("is open at any hour when the team keeps no hours, and follows the workspace's hours only when the context gives them", async () => {
    const support = flowFile("follows-support", { mode: "team", teamId: "team_support" });
    expect(outcomes(await runFlowTestFile(writeTest({ flow: support, context: { teams }, cases: [awayAt(SATURDAY_10, false)] })))).toEqual(["pass"]);
    const ops = flowFile("follows-ops", { mode: "team", teamId: "team_ops" });
    const withWorkspace = await runFlowTestFile(
      writeTest({ flow: ops, context: { teams, workspaceHours }, cases: [awayAt(SATURDAY_10, true), awayAt(MONDAY_10, false), awayAt("2026-12-01T09:00:00Z", true)] }),
    );
    expect(outcomes(withWorkspace)).toEqual(["pass", "pass", "pass"]);
    const without = await runFlowTestFile(writeTest({ flow: ops, context: { teams }, cases: [awayAt(SATURDAY_10, false)] }));
    expect(outcomes(without)).toEqual(["pass"]);
  });

  it("keeps a team closed by its own hours unavailable to an always-open flow's handoff, and lets a case say otherwise", async () => {
    const flow = flowFile("hands-to-sales", { mode: "always" }, { type: "team", teamId: "team_sales" });
    const result = await runFlowTestFile(
      writeTest({
        flow,
        context: { teams },
        cases: [awayAt(SATURDAY_10, true), awayAt(MONDAY_10, false), { ...awayAt(SATURDAY_10, false), name: "given", availability: { teams: { team_sales: true } } }],
      }),
    );
    expect(outcomes(result)).toEqual(["pass", "pass", "pass"]);
  });

  it("adds the workspace's closed dates from the context to a flow that follows them", async () => {
    const flow = flowFile("own-hours", {
      mode: "business_hours",
      timezone: "Europe/Berlin",
      hours: [{ day: "mon", from: "09:00", to: "17:00" }],
      workspaceClosedDates: true,
    });
    const closed = { ...workspaceHours, closedDates: [{ date: "2026-11-30", name: "Staff day" }] };
    const result = await runFlowTestFile(
      writeTest({ flow, context: { teams, workspaceHours: closed }, cases: [awayAt(MONDAY_10, true)] }),
    );
    expect(outcomes(result)).toEqual(["pass"]);
    const without = await runFlowTestFile(writeTest({ flow, context: { teams }, cases: [awayAt(MONDAY_10, false)] }));
    expect(outcomes(without)).toEqual(["pass"]);
  });

  it("refuses a context whose hours do not decode, with the path", async () => {
    const flow = flowFile("bad-context", { mode: "team", teamId: "team_sales" });
    const badZone = await runFlowTestFile(
      writeTest({ flow, context: { teams: [{ id: "team_sales", name: "Sales", hours: { source: "own", timezone: "Mars/Olympus", hours: [] } }] }, cases: [awayAt(SATURDAY_10, true)] }),
    );
    const problems = badZone.problems?.join("\n") ?? "";
    expect(problems).toContain("context.teams[0].hours.timezone: Not a time zone");
    expect(badZone.cases).toEqual([]);
    const badWorkspace = await runFlowTestFile(
      writeTest({ flow, context: { teams, workspaceHours: { timezone: "Europe/Berlin", hours: [{ day: "mon", from: "9am", to: "17:00" }] } }, cases: [awayAt(SATURDAY_10, true)] }),
    );
    expect(badWorkspace.problems?.join("\n")).toContain("context.workspaceHours.hours[0].from");
  });
});
