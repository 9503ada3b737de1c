import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { flowSpecJsonSchema, flowSpecJsonSchemaText } from "./json-schema.js";

describe("flows/flow-spec.schema.json", () => {
  it("is up to date with the FlowSpec Schema", () => {
    const committed = readFileSync(fileURLToPath(new URL("./flow-spec.schema.json", import.meta.url)), "utf8");
    if (committed !== flowSpecJsonSchemaText()) {
      expect.fail("flows/flow-spec.schema.json is stale: run `npm run schema:write` and commit the result.");
    }
  });

  it("describes every node kind and the required top-level fields", () => {
    const schema = flowSpecJsonSchema() as any;
    const spec = schema.$defs.FlowSpec;
    expect(schema.$ref).toBe("#/$defs/FlowSpec");
    expect(spec.required).toEqual(["formatVersion", "id", "name", "kind", "startNodeId", "nodes"]);
    const kinds = spec.properties.nodes.items.anyOf.map((n: any) => n.properties.kind.enum[0]);
    expect(kinds).toEqual(["message", "question", "branch", "set", "webhook", "code", "handoff", "ticket", "meeting", "add_to_list", "subscribe", "knowledge", "split", "end"]);
  });
});
