/**
 * The JSON Schema of FlowSpec, generated from the Effect Schema (never written by hand), for
 * Monaco's validation of hand-written specs and for anyone generating specs elsewhere.
 */
import { JSONSchema } from "effect";
import { FlowSpec } from "./flow-spec.js";

/** The draft-07 JSON Schema of FlowSpec v1. Pure. */
export const flowSpecJsonSchema = (): JSONSchema.JsonSchema7Root => JSONSchema.make(FlowSpec);

/** The exact text committed as flows/flow-spec.schema.json: pretty-printed, newline-terminated. Pure. */
export const flowSpecJsonSchemaText = (): string => `${JSON.stringify(flowSpecJsonSchema(), null, 2)}\n`;
