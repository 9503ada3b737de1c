/**
 * Monaco, loaded from our own origin (public/monaco/vs, copied there at install) rather than
 * a CDN, with the FlowSpec JSON Schema registered for the Spec tab's model.
 */
import { loader, type Monaco } from "@monaco-editor/react";
import flowSpecSchema from "../../../flows/flow-spec.schema.json";

/** Where Monaco's AMD build is served (scripts/copy-monaco.mjs puts it there). */
export const MONACO_VS_PATH = "/monaco/vs";

/** The model path the Spec tab edits; the schema is matched to it. */
export const SPEC_MODEL_PATH = "inmemory://parley/flow-spec.json";

let configured = false;

/** Points the Monaco loader at our origin; call before the first editor mounts. Idempotent. */
export const configureMonaco = (): void => {
  if (configured || typeof window === "undefined") return;
  loader.config({ paths: { vs: MONACO_VS_PATH } });
  configured = true;
};

/** Validates the Spec tab's model against flows/flow-spec.schema.json (monaco ≥ 0.55's `monaco.json` API). */
export const registerSpecSchema = (monaco: Monaco): void => {
  monaco.json.jsonDefaults.setDiagnosticsOptions({
    validate: true,
    allowComments: false,
    enableSchemaRequest: false,
    schemaValidation: "error",
    schemas: [{ uri: "https://parley.invalid/schemas/flow-spec.schema.json", fileMatch: [SPEC_MODEL_PATH, "*flow-spec.json"], schema: flowSpecSchema }],
  });
};
