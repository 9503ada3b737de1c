/**
 * `npm run schema:write`: regenerates flows/flow-spec.schema.json from the FlowSpec Schema.
 * A unit test fails while the committed file differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { flowSpecJsonSchemaText } from "./json-schema.js";

const target = fileURLToPath(new URL("./flow-spec.schema.json", import.meta.url));
writeFileSync(target, flowSpecJsonSchemaText());
console.log(`wrote ${target}`);
