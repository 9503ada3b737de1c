/**
 * The public flows API: the FlowSpec and FlowDocument schemas, ports, decoding, the compiler
 * and its diagnostics, targeting and availability, templates, canonical JSON and the JSON
 * Schema. Everything here is pure and runs in the browser as well as on the server.
 */
export * from "./flow-spec.js";
export { DocumentEdge, DocumentNode, FlowDocument, NodeKindLiteral } from "./flow-document.js";
export * from "./ports.js";
export * from "./decode.js";
export * from "./diagnostics.js";
export * from "./compile.js";
export * from "./template-tokens.js";
export * from "./availability.js";
export * from "./targeting.js";
export * from "./flow-order.js";
export * from "./canonical-json.js";
export * from "./json-schema.js";
