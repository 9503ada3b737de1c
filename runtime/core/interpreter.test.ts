import { readFileSync } from "node:fs";
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FlowSpec } from "../../flows/flow-spec.js";
import { awaitingOf, decodeState, start, step } from "./interpreter.js";
import { fixtureContext, specOf, testContext } from "./test-support.js";
import { availabilityOf, type Command, type InterpreterContext, type InterpreterEvent, type InterpreterState, type Json, type StepResult } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Table-driven cases from fixtures/

interface Expectation {
  readonly event?: InterpreterEvent;
  readonly commands?: ReadonlyArray<unknown>;
  readonly include?: ReadonlyArray<unknown>;
  readonly types?: ReadonlyArray<string>;
  readonly says?: ReadonlyArray<string>;
  readonly tracks?: ReadonlyArray<string>;
  /** Command types the step must not give. */
  readonly exclude?: ReadonlyArray<string>;
  readonly state?: Record<string, unknown>;
  readonly unchanged?: boolean;
}

interface FixtureCase {
  readonly name: string;
  readonly nodes: ReadonlyArray<unknown>;
  readonly start?: string;
  readonly variables?: ReadonlyArray<unknown>;
  readonly language?: string;
  readonly context?: Parameters<typeof fixtureContext>[0];
  readonly steps: ReadonlyArray<Expectation>;
}

const loadCases = (file: string): ReadonlyArray<FixtureCase> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")).cases;

const saidTexts = (commands: ReadonlyArray<Command>): string[] =>
  commands.flatMap((command) =>
    command.type === "say" ? command.bubbles.flatMap((bubble) => (bubble.type === "text" ? [bubble.text] : [])) : [],
  );

const trackNames = (commands: ReadonlyArray<Command>): string[] =>
  commands.flatMap((command) => (command.type === "track" ? [command.event.name] : []));

const check = (result: StepResult, previous: InterpreterState | undefined, expected: Expectation) => {
  const { commands, state } = result;
  if (expected.unchanged) {
    expect(commands).toEqual([]);
    expect(state).toBe(previous);
  }
  if (expected.commands) expect(commands).toEqual(expected.commands);
  if (expected.types) expect(commands.map((command) => command.type)).toEqual(expected.types);
  if (expected.says) expect(saidTexts(commands)).toEqual(expected.says);
  if (expected.tracks) expect(trackNames(commands)).toEqual(expected.tracks);
  for (const type of expected.exclude ?? []) expect(commands.map((command) => command.type)).not.toContain(type);
  for (const wanted of expected.include ?? []) {
    expect(commands, `a command like ${JSON.stringify(wanted)}`).toContainEqual(expect.objectContaining(wanted as object));
  }
  if (expected.state) expect(state).toMatchObject(expected.state);
  // Every state the interpreter returns is plain JSON that decodes to itself.
  const decoded = decodeState(JSON.parse(JSON.stringify(state)));
  expect(Either.isRight(decoded) && decoded.right).toEqual(state);
};

const runCase = (fixture: FixtureCase) => {
  const spec = specOf(fixture);
  const context = fixtureContext(fixture.context);
  let previous: InterpreterState | undefined;
  fixture.steps.forEach((expected, i) => {
    if (i === 0 && expected.event !== undefined) throw new Error("the first step of a case is `start`: no event");
    if (i > 0 && expected.event === undefined) throw new Error(`step ${i} has no event`);
    const result = i === 0 ? start(spec, context) : step(spec, previous!, expected.event!, context);
    check(result, previous, expected);
    previous = result.state;
  });
};

for (const file of ["nodes.json", "events.json"]) {
  describe(`interpreter fixtures: ${file}`, () => {
    for (const fixture of loadCases(file)) it(fixture.name, () => runCase(fixture));
  });
}

// ---------------------------------------------------------------------------------------------
// Targeted behaviour

const question = (id: string, next: Record<string, string> = {}) => ({
  id,
  kind: "question",
  data: { prompt: `Question ${id}?`, answer: { type: "text" }, save: { variable: "a" } },
  next,
});

describe("state and purity", () => {
  it("records the spec's id, version and hash, and seeds the PRNG from the context", () => {
    const spec = specOf({ id: "lead-bot", nodes: [question("q")] });
    const { state } = start(spec, testContext({ specVersion: 7, specHash: "abc", seed: 1 }));
    expect(state).toMatchObject({ specId: "lead-bot", specVersion: 7, specHash: "abc", turn: 0 });
    expect(start(spec, testContext({ seed: 2 })).state.rng).not.toBe(state.rng);
  });

  it("never mutates the state it is given", () => {
    const spec = specOf({
      nodes: [
        question("q", { answered: "s" }),
        { id: "s", kind: "set", data: { assignments: [{ target: { type: "contact", property: "city" }, value: "Oslo" }] }, next: { next: "q" } },
      ],
    });
    const context = testContext();
    const first = start(spec, context).state;
    const snapshot = structuredClone(first);
    const second = step(spec, first, { type: "visitor_message", text: "hello" }, context);
    expect(first).toEqual(snapshot);
    expect(second.state.variables).toEqual({ a: "hello" });
    expect(second.state.contact).toEqual({ city: "Oslo" });
  });

  it("decodeState gives path + message for a broken state", () => {
    const decoded = decodeState({ specId: "x", phase: "dancing", retries: 1.5 });
    expect(Either.isLeft(decoded)).toBe(true);
    const issues = Either.isLeft(decoded) ? decoded.left : [];
    expect(issues).toContainEqual(expect.objectContaining({ path: "phase" }));
    expect(issues).toContainEqual(expect.objectContaining({ path: "retries" }));
    expect(issues).toContainEqual(expect.objectContaining({ path: "specVersion" }));
  });

  it("awaitingOf re-derives what the conversation waits for", () => {
    const spec = specOf({
      nodes: [
        { id: "q", kind: "question", data: { prompt: "Rate", answer: { type: "rating", min: 0, max: 100 } }, next: { answered: "h" } },
        { id: "h", kind: "handoff", data: { target: { type: "routing" }, away: { askForEmail: true } } },
      ],
    });
    const context = testContext({ availability: availabilityOf({ routing: false }) });
    const started = start(spec, context);
    expect(awaitingOf(spec, started.state)).toEqual({ nodeId: "q", input: "rating", min: 0, max: 100 });
    const rated = step(spec, started.state, { type: "visitor_message", text: "0" }, context);
    expect(awaitingOf(spec, rated.state)).toEqual({ nodeId: "h", input: "email" });
    const done = step(spec, rated.state, { type: "visitor_message", text: "a@b.co" }, context);
    expect(awaitingOf(spec, done.state)).toBeNull();
  });

  it("a state of another chatflow ends with a diagnosed error instead of guessing", () => {
    const spec = specOf({ id: "one", nodes: [question("q")] });
    const other = specOf({ id: "two", nodes: [question("q")] });
    const { state } = start(spec, testContext());
    const result = step(other, state, { type: "visitor_message", text: "hi" }, testContext());
    expect(result.state).toMatchObject({ phase: "ended", endReason: "error" });
    expect(result.commands).toContainEqual(expect.objectContaining({ type: "end", reason: "error" }));
  });

  it("a throwing input becomes an error end, not an exception", () => {
    const spec = specOf({ nodes: [question("q")] });
    const { state } = start(spec, testContext());
    const hostile = { type: "visitor_message", get text(): string { throw new Error("boom"); } } as InterpreterEvent;
    const result = step(spec, state, hostile, testContext());
    expect(result.state).toMatchObject({ phase: "ended", endReason: "error", error: "internal error: Error: boom" });
    expect(result.commands).toEqual([
      { type: "track", event: { name: "flow_error", nodeId: "q", message: "internal error: Error: boom" } },
      { type: "end", reason: "error", closeConversation: false, error: "internal error: Error: boom" },
    ]);
  });
});

describe("bounded walks", () => {
  it("a looping flow without a question ends with a diagnosed error within the default bound", () => {
    const spec = specOf({
      nodes: [
        { id: "b1", kind: "branch", data: { rules: [] }, next: { else: "s1" } },
        { id: "s1", kind: "split", data: { arms: [{ id: "x", label: "X", percent: 50 }, { id: "y", label: "Y", percent: 50 }] }, next: { "arm:x": "b1", "arm:y": "b1" } },
      ],
    });
    const { state, commands } = start(spec, testContext());
    const entered = commands.filter((command) => command.type === "track" && command.event.name === "node_entered");
    expect(entered).toHaveLength(100);
    expect(state).toMatchObject({ phase: "ended", endReason: "error" });
    expect(state.error).toBe('the flow looped through 100 nodes without waiting for the visitor at node "b1"');
  });

  it("the bound also applies to a step after an answer", () => {
    const spec = specOf({
      nodes: [
        question("q", { answered: "m" }),
        { id: "m", kind: "message", data: { bubbles: [{ type: "text", text: "again" }] }, next: { next: "m2" } },
        { id: "m2", kind: "message", data: { bubbles: [{ type: "text", text: "and again" }] }, next: { next: "m" } },
      ],
    });
    const context = testContext({ maxNodeVisits: 10 });
    const started = start(spec, context);
    const result = step(spec, started.state, { type: "visitor_message", text: "go" }, context);
    expect(result.commands.filter((command) => command.type === "say")).toHaveLength(10);
    expect(result.state.error).toBe('the flow looped through 10 nodes without waiting for the visitor at node "m"');
  });
});

describe("split", () => {
  it("follows the percentages over many seeds", () => {
    const spec = specOf({
      nodes: [
        { id: "sp", kind: "split", data: { arms: [{ id: "a", label: "A", percent: 20 }, { id: "b", label: "B", percent: 80 }] }, next: { "arm:a": "ea", "arm:b": "eb" } },
        { id: "ea", kind: "end", data: {} },
        { id: "eb", kind: "end", data: {} },
      ],
    });
    let a = 0;
    const runs = 5_000;
    for (let seed = 0; seed < runs; seed++) {
      const { commands } = start(spec, testContext({ seed }));
      if (commands.some((c) => c.type === "track" && c.event.name === "split_arm" && c.event.armId === "a")) a++;
    }
    expect(a / runs).toBeGreaterThan(0.17);
    expect(a / runs).toBeLessThan(0.23);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests: random valid specs (with cycles) and random event sequences

const ids = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"];
// Mostly edges to nodes that exist, rarely to a missing one.
const nodeRefAmong = (existing: ReadonlyArray<string>) =>
  fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...existing) }, { weight: 1, arbitrary: fc.constant("ghost") });
const text = fc.oneof(fc.constantFrom("Hi {{a}}", "{{contact.email}}", "plain", "{{visitor.page_url}} {{b.c}}", ""), fc.string({ maxLength: 12 }));
const varName = fc.constantFrom("a", "b", "c");

const answerArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ type: "text" }) },
  fc.constant({ type: "email" }),
  fc.record({ type: fc.constant("phone"), defaultCountry: fc.constantFrom("DE", "US") }),
  fc.record({ type: fc.constant("number"), min: fc.integer({ min: -5, max: 5 }), max: fc.integer({ min: 5, max: 50 }), integer: fc.boolean() }),
  fc.constant({ type: "date", min: "2020-01-01" }),
  fc.record({
    type: fc.constant("choice"),
    multiple: fc.boolean(),
    portPerChoice: fc.boolean(),
    choices: fc.constant([{ id: "x", label: "Ex" }, { id: "y", label: "Why", value: "yv" }]),
  }),
  fc.constant({ type: "yes_no" }),
  fc.record({ type: fc.constant("rating"), min: fc.integer({ min: -2, max: 3 }), max: fc.integer({ min: 0, max: 30 }) }),
  fc.constant({ type: "url" }),
);

const conditionArb = fc.record({
  subject: fc.oneof(
    varName.map((name) => ({ type: "variable", name })),
    fc.constant({ type: "contact", property: "email" }),
    fc.constant({ type: "last_answer" }),
    fc.constant({ type: "team_available", teamId: "t1" }),
    fc.constant({ type: "visitor", field: "device" }),
  ),
  operator: fc.constantFrom("equals", "not_equals", "contains", "begins_with", "ends_with", "matches_regex", "greater_than", "less_than", "is_set", "is_not_set", "is_one_of"),
  value: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant("(unclosed"), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 })),
});

const dataByKind: Record<string, fc.Arbitrary<unknown>> = {
  message: fc.record({ bubbles: fc.array(fc.record({ type: fc.constant("text"), text }), { minLength: 1, maxLength: 2 }) }),
  question: fc.record({
    prompt: text,
    answer: answerArb,
    save: fc.record({ variable: varName, contactProperty: fc.constantFrom("email", "phone") }, { requiredKeys: [] }),
    skipIfKnown: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    maxRetries: fc.integer({ min: 0, max: 3 }),
  }),
  branch: fc.record({ rules: fc.array(fc.record({ id: fc.constantFrom("r1", "r2"), match: fc.constantFrom("all", "any"), conditions: fc.array(conditionArb, { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }) }),
  set: fc.record({
    assignments: fc.array(
      fc.record({ target: fc.oneof(varName.map((name) => ({ type: "variable", name })), fc.constant({ type: "contact", property: "email" })), value: text }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  webhook: fc.record({ method: fc.constantFrom("GET", "POST"), url: fc.constant("https://x.test/{{a}}"), body: fc.constant("{\"a\":\"{{a}}\"}"), responseMappings: fc.constant([{ path: "$.v[0]", variable: "b" }]) }),
  code: fc.record({ source: fc.constant("return { c: 1 }"), inputs: fc.constant(["a"]), outputs: fc.constant(["c"]) }),
  handoff: fc.record({
    target: fc.oneof(fc.constant({ type: "routing" }), fc.constant({ type: "team", teamId: "t1" }), fc.constant({ type: "user", userId: "u1" })),
    message: text,
    away: fc.record({ message: text, askForEmail: fc.boolean(), createTicket: fc.boolean() }),
  }),
  ticket: fc.record({ subject: text, message: text }),
  meeting: fc.record({ userId: fc.constant("u1"), message: text }),
  knowledge: fc.record(
    { query: fc.oneof(fc.constant(""), text), limit: fc.integer({ min: 1, max: 5 }), message: text, notFoundMessage: text, saveTitleTo: varName },
    { requiredKeys: [] },
  ),
  split: fc.record({ arms: fc.constant([{ id: "p", label: "P", percent: 30 }, { id: "q", label: "Q", percent: 70 }]) }),
  end: fc.record({ message: text, closeConversation: fc.boolean() }),
};

const portsFor = (kind: string, data: any): string[] => {
  switch (kind) {
    case "question":
      return ["answered", "invalid", ...(data.answer.type === "choice" ? ["choice:x", "choice:y"] : [])];
    case "branch":
      return [...data.rules.map((rule: { id: string }) => `rule:${rule.id}`), "else"];
    case "webhook":
    case "code":
      return ["ok", "error"];
    case "handoff":
      return ["away"];
    case "knowledge":
      return ["found", "not_found"];
    case "split":
      return ["arm:p", "arm:q"];
    case "end":
      return [];
    default:
      return ["next"];
  }
};

const KIND_WEIGHTS: Record<string, number> = { question: 6, message: 2, branch: 2, set: 2, end: 1 };
const kindArb = fc.oneof(
  ...Object.keys(dataByKind).map((kind) => ({ weight: KIND_WEIGHTS[kind] ?? 1, arbitrary: fc.constant(kind) })),
);

const nodeArb = (id: string, existing: ReadonlyArray<string>) =>
  kindArb
    .chain((kind) => dataByKind[kind].map((data) => ({ kind, data })))
    .chain(({ kind, data }) =>
      fc
        .record(Object.fromEntries(portsFor(kind, data).map((port) => [port, nodeRefAmong(existing)])), {
          requiredKeys: [],
        })
        .map((next) => ({ id, kind, data, next })),
    );

const specArb = fc
  .integer({ min: 1, max: ids.length })
  .chain((count) => fc.tuple(...ids.slice(0, count).map((id) => nodeArb(id, ids.slice(0, count)))))
  .map((nodes) => specOf({ nodes, variables: [{ name: "b", type: "number" }] }));

const eventArb: fc.Arbitrary<InterpreterEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof({ weight: 1, arbitrary: text }, { weight: 3, arbitrary: fc.constantFrom("yes", "no", "3", "a@b.co", "+4930123456", "tomorrow", "Ex", "https://x.io", "0", "x, y") }).map((t) => ({ type: "visitor_message" as const, text: t })) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom("x", "y", "yes", "1", "zz"), { minLength: 1, maxLength: 2 }).map((choiceIds) => ({ type: "visitor_choice" as const, choiceIds: choiceIds as [string, ...string[]] })) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("webhook_result" as const), nodeId: fc.constantFrom(...ids), status: fc.constantFrom(200, 204, 404, 500), body: fc.constantFrom<Json>(null, { v: [1] }, "{\"v\":[\"s\"]}", "not json") }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("webhook_error" as const), nodeId: fc.constantFrom(...ids), message: fc.constant("down") }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("code_result" as const), nodeId: fc.constantFrom(...ids), outputs: fc.constantFrom<Record<string, Json>>({ c: 2 }, { c: { deep: [1, 2] }, other: 1 }, {}) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("code_error" as const), nodeId: fc.constantFrom(...ids), message: fc.constant("boom") }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("ticket_created" as const), nodeId: fc.constantFrom(...ids), ticketId: fc.constant("T1") }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("knowledge_result" as const),
      nodeId: fc.constantFrom(...ids),
      articles: fc.array(
        fc.record({ id: fc.constant("kb_1"), title: text, url: fc.constantFrom("https://help.test/help/articles/kb_1", "/help/articles/kb_2", "javascript:alert(1)", ""), excerpt: text }),
        { maxLength: 7 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "session_timed_out" as const }) },
  { weight: 1, arbitrary: fc.constant({ type: "agent_took_over" as const }) },
);

const contextArb = fc.record({
  seed: fc.integer(),
  routing: fc.boolean(),
  team: fc.boolean(),
  user: fc.boolean(),
  email: fc.option(fc.constant("known@x.io"), { nil: undefined }),
}).map(({ seed, routing, team, user, email }) =>
  testContext({
    seed,
    availability: availabilityOf({ routing, teams: { t1: team }, users: { u1: user } }),
    contact: email === undefined ? {} : { email },
  }),
);

const play = (spec: FlowSpec, context: InterpreterContext, events: ReadonlyArray<InterpreterEvent>) => {
  const results: StepResult[] = [start(spec, context)];
  for (const event of events) results.push(step(spec, results[results.length - 1].state, event, context));
  return results;
};

describe("properties over random specs and events", () => {
  it("never throws, always ends a call with a decodable state, and replays exactly", () => {
    fc.assert(
      fc.property(specArb, contextArb, fc.array(eventArb, { maxLength: 25 }), (spec, context, events) => {
        const results = play(spec, context, events);
        for (const { state, commands } of results) {
          const decoded = decodeState(JSON.parse(JSON.stringify(state)));
          expect(Either.isRight(decoded)).toBe(true);
          expect(Either.isRight(decoded) && decoded.right).toEqual(state);
          // Every call leaves the conversation either waiting or finished, never in between.
          if (state.phase === "awaiting_input" || state.phase === "awaiting_action") {
            expect(spec.nodes.some((node) => node.id === state.nodeId)).toBe(true);
          } else {
            expect(state.nodeId).toBeNull();
            expect(state.endReason).toBeDefined();
          }
          expect(commands.filter((command) => command.type === "end").length).toBeLessThanOrEqual(1);
          expect(commands.filter((command) => command.type === "track" && command.event.name === "node_entered").length).toBeLessThanOrEqual(100);
        }
        // The same events with the same context give deep-equal states and commands.
        expect(play(spec, context, events)).toEqual(results);
      }),
      { numRuns: 400 },
    );
  });

  it("after an end or a handoff every event is ignored", () => {
    fc.assert(
      fc.property(specArb, contextArb, fc.array(eventArb, { maxLength: 25 }), (spec, context, events) => {
        let state = start(spec, context).state;
        for (const event of events) {
          const finished = state.phase === "ended" || state.phase === "handed_off";
          const result = step(spec, state, event, context);
          if (finished) {
            expect(result.commands).toEqual([]);
            expect(result.state).toBe(state);
          }
          state = result.state;
        }
      }),
      { numRuns: 200 },
    );
  });

  it("the awaited input after each call matches what awaitingOf re-derives", () => {
    fc.assert(
      fc.property(specArb, contextArb, fc.array(eventArb, { maxLength: 15 }), (spec, context, events) => {
        for (const { state, commands } of play(spec, context, events)) {
          const awaits = commands.filter((command) => command.type === "await_input");
          const awaited = awaitingOf(spec, state);
          if (awaits.length > 0) {
            const { type: _type, ...last } = awaits[awaits.length - 1] as Extract<Command, { type: "await_input" }>;
            expect(awaited).toEqual(last);
          }
          expect(awaited === null).toBe(state.phase !== "awaiting_input");
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("shared commands", () => {
  it("cached commands are frozen, so mutating one cannot leak into another conversation", () => {
    const spec = specOf({
      nodes: [
        { id: "m", kind: "message", data: { bubbles: [{ type: "text", text: "static" }] }, next: { next: "q" } },
        question("q"),
      ],
    });
    const first = start(spec, testContext()).commands;
    const say = first.find((command) => command.type === "say") as unknown as { bubbles: Array<{ text: string }> };
    expect(() => {
      say.bubbles[0].text = "changed";
    }).toThrow(TypeError);
    const again = start(spec, testContext()).commands;
    expect(again.find((command) => command.type === "say")).toMatchObject({ bubbles: [{ type: "text", text: "static" }] });
  });
});

describe("knowledge", () => {
  const ask = { id: "ask", kind: "question", data: { prompt: "What do you need help with?", answer: { type: "text" }, save: { variable: "question" } }, next: { answered: "kb" } };
  const kb = (data: Record<string, unknown> = {}, next: Record<string, string> = { found: "helped", not_found: "sorry" }) => ({
    id: "kb",
    kind: "knowledge",
    data: { notFoundMessage: "Nothing on “{{question}}”, sorry.", ...data },
    next,
  });
  const helped = { id: "helped", kind: "end", data: { message: "Glad to help." } };
  const sorry = { id: "sorry", kind: "handoff", data: { target: { type: "routing" } } };
  const article = (n: number, url = `https://help.test/help/articles/kb_${n}`) => ({ id: `kb_${n}`, title: `Article ${n}`, url, excerpt: `About ${n}` });
  const context = testContext();

  /** Starts the flow, answers the question with `answer`, and returns the state waiting for the search. */
  const searching = (nodes: ReadonlyArray<unknown>, answer = "How do I reset my password?") => {
    const spec = specOf({ nodes });
    const first = start(spec, context);
    const asked = step(spec, first.state, { type: "visitor_message", text: answer }, context);
    return { spec, asked };
  };
  const links = (commands: ReadonlyArray<Command>) =>
    commands.flatMap((command) => (command.type === "say" ? command.bubbles.filter((b) => b.type === "link") : []));

  it("searches the last answer by default, with the node's limit, and waits for the result", () => {
    const { asked } = searching([ask, kb({ limit: 2 }), helped, sorry]);
    expect(asked.commands).toContainEqual({ type: "search_knowledge", nodeId: "kb", query: "How do I reset my password?", limit: 2 });
    expect(asked.state).toMatchObject({ phase: "awaiting_action", nodeId: "kb" });
    expect(trackNames(asked.commands)).toEqual(["answered", "node_entered"]);
  });

  it("renders a query template and searches it on one line", () => {
    const { asked } = searching([ask, kb({ query: "billing:\n {{question}}  {{contact.email}}" }), helped, sorry], "refund");
    expect(asked.commands).toContainEqual({ type: "search_knowledge", nodeId: "kb", query: "billing: refund", limit: 3 });
  });

  it("found: says the message, one link per article, saves the best title and follows found", () => {
    const { spec, asked } = searching([ask, kb({ saveTitleTo: "best" }), helped, sorry]);
    const result = step(spec, asked.state, { type: "knowledge_result", nodeId: "kb", articles: [article(1), article(2, "/help/articles/kb_2")] }, context);
    const say = result.commands.find((command) => command.type === "say" && command.nodeId === "kb");
    expect(say).toEqual({
      type: "say",
      nodeId: "kb",
      typingDelayMs: 600,
      bubbles: [
        { type: "text", text: "These articles may help:" },
        { type: "link", url: "https://help.test/help/articles/kb_1", label: "Article 1" },
        { type: "link", url: "/help/articles/kb_2", label: "Article 2" },
      ],
    });
    expect(result.state.variables.best).toBe("Article 1");
    expect(result.commands).toContainEqual({ type: "track", event: { name: "node_entered", nodeId: "helped", from: { nodeId: "kb", port: "found" } } });
    expect(saidTexts(result.commands)).toEqual(["These articles may help:", "Glad to help."]);
    expect(result.state).toMatchObject({ phase: "ended", endReason: "completed", turn: 2 });
  });

  it("offers at most the node's limit, skipping articles without a title or a safe address", () => {
    const { spec, asked } = searching([ask, kb({ limit: 2, message: "" }), helped, sorry]);
    const articles = [
      { ...article(1), url: "javascript:alert(1)" },
      { ...article(2), title: "  " },
      article(3),
      { ...article(4), title: "Article\n 4" },
      article(5),
    ];
    const result = step(spec, asked.state, { type: "knowledge_result", nodeId: "kb", articles }, context);
    expect(links(result.commands)).toEqual([
      { type: "link", url: "https://help.test/help/articles/kb_3", label: "Article 3" },
      { type: "link", url: "https://help.test/help/articles/kb_4", label: "Article 4" },
    ]);
    // An empty message says the links alone.
    expect(saidTexts(result.commands)).toEqual(["Glad to help."]);
  });

  it("not found: says the not-found message, clears the saved title and follows not_found", () => {
    const { spec, asked } = searching([ask, kb({ saveTitleTo: "best" }), helped, sorry], "flux capacitor");
    const result = step(spec, asked.state, { type: "knowledge_result", nodeId: "kb", articles: [] }, context);
    expect(saidTexts(result.commands)[0]).toBe("Nothing on “flux capacitor”, sorry.");
    expect(links(result.commands)).toEqual([]);
    expect(result.state.variables.best).toBe("");
    expect(result.commands).toContainEqual({ type: "track", event: { name: "node_entered", nodeId: "sorry", from: { nodeId: "kb", port: "not_found" } } });
    expect(result.state).toMatchObject({ phase: "handed_off", endReason: "handed_off" });
  });

  it("only unusable articles count as nothing found", () => {
    const { spec, asked } = searching([ask, kb(), helped, sorry]);
    const result = step(spec, asked.state, { type: "knowledge_result", nodeId: "kb", articles: [{ ...article(1), url: "data:text/html,x" }] }, context);
    expect(result.commands).toContainEqual(expect.objectContaining({ type: "handoff", nodeId: "sorry" }));
  });

  it("with nothing to search for, takes not_found at once without asking the engine", () => {
    const spec = specOf({ nodes: [kb({ query: "{{nothing}}" }), helped, sorry], variables: [{ name: "nothing" }] });
    const result = start(spec, context);
    expect(result.commands.some((command) => command.type === "search_knowledge")).toBe(false);
    expect(saidTexts(result.commands)[0]).toBe("Nothing on “”, sorry.");
    expect(result.state.phase).toBe("handed_off");
  });

  it("an unconnected not_found ends the flow as completed; a silent one says nothing", () => {
    const { spec, asked } = searching([ask, kb({ notFoundMessage: undefined }, { found: "helped" }), helped]);
    const result = step(spec, asked.state, { type: "knowledge_result", nodeId: "kb", articles: [] }, context);
    expect(saidTexts(result.commands)).toEqual([]);
    expect(trackNames(result.commands)).toEqual(["completed"]);
    expect(result.state).toMatchObject({ phase: "ended", endReason: "completed" });
  });

  it("ignores a result for another node, another kind's result, and a visitor message while searching", () => {
    const { spec, asked } = searching([ask, kb(), helped, sorry]);
    for (const event of [
      { type: "knowledge_result", nodeId: "ask", articles: [article(1)] },
      { type: "webhook_result", nodeId: "kb", status: 200, body: null },
      { type: "ticket_created", nodeId: "kb", ticketId: "T1" },
      { type: "visitor_message", text: "hello?" },
    ] as ReadonlyArray<InterpreterEvent>) {
      const result = step(spec, asked.state, event, context);
      expect(result.commands).toEqual([]);
      expect(result.state).toBe(asked.state);
    }
  });

  it("a knowledge result is ignored at a webhook node, and a malformed article list finds nothing", () => {
    const spec = specOf({ nodes: [{ id: "w", kind: "webhook", data: { method: "GET", url: "https://x.test/" }, next: { ok: "e" } }, { id: "e", kind: "end", data: {} }] });
    const waiting = start(spec, context).state;
    expect(step(spec, waiting, { type: "knowledge_result", nodeId: "w", articles: [article(1)] }, context).state).toBe(waiting);

    const searched = searching([ask, kb(), helped, sorry]);
    const broken = { type: "knowledge_result", nodeId: "kb", articles: [null, 7, { title: 1, url: {} }] } as unknown as InterpreterEvent;
    const result = step(searched.spec, searched.asked.state, broken, context);
    expect(result.commands).toContainEqual(expect.objectContaining({ type: "handoff", nodeId: "sorry" }));
  });
});
