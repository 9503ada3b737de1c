/**
 * The `.test.json` format: scripted conversations against one flow, kept in git beside it.
 * Decoded strictly (an unknown key is an error), because a typo like `"expcet"` must not make
 * a test silently pass. The format is documented in docs/flow-tests.md.
 */
import { Either, ParseResult, Schema as S } from "effect";
import { formatPath, type DecodeIssue } from "../../flows/decode.js";
import { humanizeIssues } from "../../flows/diagnostics.js";
import { Json } from "../core/types.js";
import { CompileContextJson } from "./load-flow-file.js";

const NonEmpty = S.String.pipe(S.minLength(1));

/** A visitor turn or a check. Exactly one key per step. */
export const VisitorStep = S.Struct({
  /** The visitor types this text. */
  visitor: S.String,
});
export const ChooseStep = S.Struct({
  /** The visitor clicks a quick reply, named by choice id or label (a list for a multiple choice). */
  choose: S.Union(NonEmpty, S.NonEmptyArray(NonEmpty)),
});
export const EventStep = S.Struct({
  /** Something that happens to the conversation from outside. */
  event: S.Literal("session_timed_out", "agent_took_over"),
});

const HandoffTargetExpectation = S.Union(
  S.Struct({ type: S.Literal("routing") }),
  S.Struct({ type: S.Literal("team"), teamId: S.String }),
  S.Struct({ type: S.Literal("user"), userId: S.String }),
  S.Struct({ type: S.Literal("contact_owner") })
);

export const EndReason = S.Literal("completed", "handed_off", "timeout", "agent_took_over", "error");

export const Expectation = S.Struct({
  /** Fragments of what the bot said since the visitor's last step, each found after the previous one. */
  bot: S.optional(S.Array(S.String)),
  /** Fragments the bot must not have said since the visitor's last step. */
  notBot: S.optional(S.Array(NonEmpty)),
  /** Labels of the quick replies offered now, exactly and in order. */
  choices: S.optional(S.Array(S.String)),
  /** The input the bot waits for now (`text`, `email`, `choice`, …), or null when it waits for none. */
  awaiting: S.optional(S.NullOr(S.String)),
  /** Variables that must hold these values now (null: not set). */
  variables: S.optional(S.Record({ key: S.String, value: Json })),
  /** Contact properties the bot must know now (null: not known). */
  contact: S.optional(S.Record({ key: S.String, value: S.NullOr(S.String) })),
  /** Node ids entered since the visitor's last step, in this order (others may come between). */
  visited: S.optional(S.Array(NonEmpty)),
  /** Whether the conversation was handed off so far, and to whom. */
  handoff: S.optional(
    S.Union(
      S.Boolean,
      S.Struct({
        target: S.optional(HandoffTargetExpectation),
        away: S.optional(S.Boolean),
        createTicket: S.optional(S.Boolean),
        /** Label ids the handoff adds, all of them, in any order ([] = none). */
        labels: S.optional(S.Array(NonEmpty)),
      })
    )
  ),
  /** Whether a meeting link was offered so far, and whose. */
  meeting: S.optional(S.Union(S.Boolean, S.Struct({ userId: S.optional(S.String) }))),
  /** Whether a ticket was created so far; text fields match when the actual contains them. */
  ticket: S.optional(
    S.Union(
      S.Boolean,
      S.Struct({
        subject: S.optional(S.String),
        description: S.optional(S.String),
        priority: S.optional(S.Literal("low", "normal", "high", "urgent")),
      })
    )
  ),
  /** Whether a webhook was called so far; for an object, the last call (`url`, `body`: contained in the actual). */
  webhook: S.optional(
    S.Union(
      S.Boolean,
      S.Struct({
        nodeId: S.optional(S.String),
        method: S.optional(S.Literal("GET", "POST", "PUT", "PATCH", "DELETE")),
        url: S.optional(S.String),
        body: S.optional(S.String),
      })
    )
  ),
  /** Whether the knowledge base was searched so far; for an object, the last search (`query`: contained in the actual). */
  knowledge: S.optional(
    S.Union(
      S.Boolean,
      S.Struct({
        nodeId: S.optional(S.String),
        query: S.optional(S.String),
      })
    )
  ),
  /** The contact lists the visitor was put on so far (by Add to list, or with a subscription), exactly and in the order joined; `[]`: none. */
  lists: S.optional(S.Array(NonEmpty)),
  /** Whether email consent was recorded so far; for an object, the last consent (`text`: contained in the agreed text). */
  consent: S.optional(
    S.Union(
      S.Boolean,
      S.Struct({
        email: S.optional(S.String),
        listId: S.optional(S.String),
        text: S.optional(S.String),
      })
    )
  ),
  /** The conversation is over for this reason now, or `false`: it is still going. */
  ended: S.optional(S.Union(S.Literal(false), EndReason)),
});
export type Expectation = typeof Expectation.Type;

export const ExpectStep = S.Struct({ expect: Expectation });

export const Step = S.Union(VisitorStep, ChooseStep, EventStep, ExpectStep);
export type Step = typeof Step.Type;

export const WebhookStub = S.Union(
  S.Struct({
    status: S.optionalWith(S.Int.pipe(S.between(100, 599)), { default: () => 200 }),
    body: S.optionalWith(Json, { default: () => ({}) }),
  }),
  S.Struct({ error: NonEmpty })
);
export type WebhookStub = typeof WebhookStub.Type;

export const CodeStub = S.Union(S.Struct({ outputs: S.Record({ key: S.String, value: Json }) }), S.Struct({ error: NonEmpty }));
export type CodeStub = typeof CodeStub.Type;

/**
 * One article a stubbed knowledge search finds: its title alone, or the title with an id, a
 * URL (default `/help/articles/<id>`) and an excerpt.
 */
export const KnowledgeStubArticle = S.Union(
  NonEmpty,
  S.Struct({
    title: NonEmpty,
    id: S.optional(NonEmpty),
    url: S.optional(NonEmpty),
    excerpt: S.optional(S.String),
  })
);
export type KnowledgeStubArticle = typeof KnowledgeStubArticle.Type;

/** ISO 8601 instant, e.g. `2025-01-06T10:00:00Z`. */
const Instant = S.String.pipe(
  S.filter((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: () => "an instant is an ISO 8601 date and time, e.g. 2025-01-06T10:00:00Z",
  })
);

export const TestCase = S.Struct({
  name: NonEmpty,
  /** Seed of the interpreter's random numbers (A/B splits). */
  seed: S.optionalWith(S.Int, { default: () => 1 }),
  /** The time the conversation happens at (business hours, date answers). */
  now: S.optionalWith(Instant, { default: () => DEFAULT_NOW }),
  visitor: S.optionalWith(
    S.Struct({
      pageUrl: S.optionalWith(S.String, { default: () => "https://www.example.com/" }),
      device: S.optionalWith(S.Literal("desktop", "tablet", "mobile"), { default: () => "desktop" as const }),
      language: S.optionalWith(S.String, { default: () => "en" }),
      knownContact: S.optional(S.Boolean),
    }),
    { default: () => ({ pageUrl: "https://www.example.com/", device: "desktop" as const, language: "en" }) }
  ),
  /** Contact properties known before the conversation starts. */
  contact: S.optionalWith(S.Record({ key: S.String, value: S.String }), { default: () => ({}) }),
  /** Who is available; by default everyone is, inside the flow's business hours. */
  availability: S.optional(
    S.Struct({
      routing: S.optional(S.Boolean),
      teams: S.optional(S.Record({ key: S.String, value: S.Boolean })),
      users: S.optional(S.Record({ key: S.String, value: S.Boolean })),
      /** Whether the visitor's contact has an owner who can take the conversation (default: no). */
      contactOwner: S.optional(S.Boolean),
    })
  ),
  /** Answers for webhook nodes, by node id. */
  webhooks: S.optionalWith(S.Record({ key: S.String, value: WebhookStub }), { default: () => ({}) }),
  /** What knowledge searches find, by node id, best first; `[]`: nothing matches. */
  knowledge: S.optionalWith(S.Record({ key: S.String, value: S.Array(KnowledgeStubArticle) }), { default: () => ({}) }),
  /** `"run"` executes code nodes in the sandbox; else outputs or errors by node id. */
  code: S.optionalWith(S.Union(S.Literal("run"), S.Record({ key: S.String, value: CodeStub })), {
    default: () => ({}),
  }),
  steps: S.NonEmptyArray(Step),
});
export type TestCase = typeof TestCase.Type;

/** A page visit and whether the flow's targeting must show on it. */
export const TargetingCheck = S.Struct({
  url: S.String,
  shown: S.Boolean,
  device: S.optionalWith(S.Literal("desktop", "tablet", "mobile"), { default: () => "desktop" as const }),
  languages: S.optionalWith(S.Array(S.String), { default: () => ["en"] }),
  knownContact: S.optionalWith(S.Boolean, { default: () => false }),
});
export type TargetingCheck = typeof TargetingCheck.Type;

export const FlowTestFile = S.Struct({
  $schema: S.optional(S.String),
  description: S.optional(S.String),
  /** Path of the flow (document or spec), relative to the test file. */
  flow: NonEmpty,
  /** Compile context: a path relative to the test file, or inline. Default: context.json beside the flow. */
  context: S.optional(S.Union(NonEmpty, CompileContextJson)),
  targeting: S.optionalWith(S.Array(TargetingCheck), { default: () => [] }),
  cases: S.NonEmptyArray(TestCase),
});
export type FlowTestFile = typeof FlowTestFile.Type;

/** When a case does not say: Monday 6 January 2025, 10:00 UTC (11:00 in Berlin). */
export const DEFAULT_NOW = "2025-01-06T10:00:00Z";

const decodeStrict = S.decodeUnknownEither(FlowTestFile, { errors: "all", onExcessProperty: "error" });

/**
 * Decodes a parsed `.test.json`, every problem as path + message. Strict: unknown keys are
 * errors. Union alternatives are tried by their distinguishing key so that a bad step reports
 * the problem inside it, not "expected one of four shapes". Pure.
 */
export const decodeFlowTestFile = (value: unknown): Either.Either<FlowTestFile, ReadonlyArray<DecodeIssue>> => {
  const shapeIssues = checkStepShapes(value);
  if (shapeIssues.length > 0) return Either.left(shapeIssues);
  return decodeStrict(value).pipe(
    Either.mapLeft((error) =>
      humanizeIssues(
        ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
          path: formatPath(issue.path),
          message: issue.message,
        }))
      )
    )
  );
};

const STEP_KEYS = ["visitor", "choose", "event", "expect"] as const;

/** A step must have exactly one of the step keys; say so plainly before the schema does. */
const checkStepShapes = (value: unknown): DecodeIssue[] => {
  const issues: DecodeIssue[] = [];
  const cases = (value as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(cases)) return issues;
  cases.forEach((testCase, c) => {
    const steps = (testCase as { steps?: unknown } | null)?.steps;
    if (!Array.isArray(steps)) return;
    steps.forEach((step, s) => {
      const path = `cases[${c}].steps[${s}]`;
      if (typeof step !== "object" || step === null || Array.isArray(step)) {
        issues.push({ path, message: `A step is an object with one of ${STEP_KEYS.join(", ")}` });
        return;
      }
      const keys = Object.keys(step);
      const known = keys.filter((k) => (STEP_KEYS as ReadonlyArray<string>).includes(k));
      const unknown = keys.filter((k) => !(STEP_KEYS as ReadonlyArray<string>).includes(k));
      if (unknown.length > 0)
        issues.push({ path: `${path}.${unknown[0]}`, message: `Unknown step key; a step has one of ${STEP_KEYS.join(", ")}` });
      else if (known.length !== 1)
        issues.push({
          path,
          message: `A step has exactly one of ${STEP_KEYS.join(", ")}; this one has ${
            known.length === 0 ? "none" : known.join(" and ")
          }`,
        });
    });
  });
  return issues;
};
