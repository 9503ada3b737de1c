/**
 * Helpers shared by the interpreter's tests and benchmark: a default context and a spec built
 * (and decoded, so defaults apply) from a list of nodes. Not used by production code.
 */
import { Either } from "effect";
import { decodeWith } from "../../flows/decode.js";
import { FlowSpec } from "../../flows/flow-spec.js";
import { availabilityOf, type InterpreterContext } from "./types.js";

/** 2025-01-15T12:00:00Z, a Wednesday. */
export const FIXED_NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A context with fixed time and seed, everyone available, an anonymous desktop visitor. Pure. */
export const testContext = (overrides: Partial<InterpreterContext> = {}): InterpreterContext => ({
  now: FIXED_NOW,
  seed: 42,
  specVersion: 1,
  specHash: "sha256-test",
  visitor: { pageUrl: "https://example.com/pricing?x=1", device: "desktop", language: "en-US", knownContact: false },
  availability: availabilityOf({ routing: true }),
  contact: {},
  ...overrides,
});

/** Availability as a JSON fixture writes it: teams and users listed by id. */
export type ListedAvailability = Parameters<typeof availabilityOf>[0];

/** A fixture's context (JSON), its listed availability made one the interpreter can ask. Pure. */
export const fixtureContext = (
  fixture: Omit<Partial<InterpreterContext>, "availability"> & { readonly availability?: ListedAvailability } = {},
): InterpreterContext => {
  const { availability, ...rest } = fixture;
  return testContext(availability === undefined ? rest : { ...rest, availability: availabilityOf(availability) });
};

export interface SpecParts {
  readonly nodes: ReadonlyArray<unknown>;
  readonly start?: string;
  readonly variables?: ReadonlyArray<unknown>;
  readonly language?: string;
  readonly id?: string;
}

const decodeSpec = decodeWith(FlowSpec);

/** Decodes a spec made of `parts`; throws with every path + message when it is invalid. */
export const specOf = (parts: SpecParts): FlowSpec => {
  const first = parts.nodes[0] as { id?: string } | undefined;
  const decoded = decodeSpec({
    formatVersion: 1,
    id: parts.id ?? "fixture",
    name: "Fixture",
    kind: "bot",
    ...(parts.language !== undefined ? { language: parts.language } : {}),
    startNodeId: parts.start ?? first?.id ?? "start",
    nodes: parts.nodes,
    variables: parts.variables ?? [],
  });
  if (Either.isLeft(decoded)) {
    throw new Error(`invalid fixture spec:\n${decoded.left.map((issue) => `${issue.path}: ${issue.message}`).join("\n")}`);
  }
  return decoded.right;
};
