/**
 * What a flow can refer to, for the inspector's pickers and the `{{token}}` menu: variables
 * (declared, or saved by a node) and contact properties (standard, the workspace's own, or
 * set by a node). Mirrors the compiler's own collection so a picked name always compiles.
 */
import type { FlowDocument } from "../../../flows/flow-document.js";
import { STANDARD_CONTACT_PROPERTIES, VISITOR_TEMPLATE_FIELDS } from "../../../flows/template-tokens.js";

export interface FlowReferences {
  /** Variable names, sorted: declared ones and those a node saves to. */
  readonly variables: ReadonlyArray<string>;
  /** Contact property keys, sorted. */
  readonly contactProperties: ReadonlyArray<string>;
}

type Loose = Record<string, any>;
const rec = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});
const arr = (v: unknown): ReadonlyArray<any> => (Array.isArray(v) ? v : []);

/** Every variable and contact property the document defines or the workspace knows. Pure. */
export const collectReferences = (
  document: Pick<FlowDocument, "nodes" | "variables">,
  workspaceContactProperties: ReadonlyArray<string>,
): FlowReferences => {
  const variables = new Set(document.variables.map((v) => v.name));
  const properties = new Set([...STANDARD_CONTACT_PROPERTIES, ...workspaceContactProperties]);
  const addVar = (v: unknown) => {
    if (typeof v === "string" && v !== "") variables.add(v);
  };
  const addProp = (p: unknown) => {
    if (typeof p === "string" && p !== "") properties.add(p);
  };
  for (const node of document.nodes) {
    const data = rec(node.data);
    switch (node.kind) {
      case "question":
        addVar(rec(data.save).variable);
        addProp(rec(data.save).contactProperty);
        break;
      case "set":
        for (const a of arr(data.assignments)) {
          const target = rec(rec(a).target);
          if (target.type === "variable") addVar(target.name);
          if (target.type === "contact") addProp(target.property);
        }
        break;
      case "webhook":
        for (const m of arr(data.responseMappings)) addVar(rec(m).variable);
        break;
      case "code":
        for (const o of arr(data.outputs)) addVar(o);
        break;
      case "knowledge":
        addVar(data.saveTitleTo);
        break;
      default:
        break;
    }
  }
  return { variables: [...variables].sort(), contactProperties: [...properties].sort() };
};

export interface TokenGroup {
  readonly label: string;
  readonly tokens: ReadonlyArray<string>;
}

/** The `{{tokens}}` a template may use, grouped for the insert menu. Pure. */
export const templateTokenGroups = (references: FlowReferences): ReadonlyArray<TokenGroup> =>
  [
    { label: "Variables", tokens: references.variables.map((v) => `{{${v}}}`) },
    { label: "Contact", tokens: references.contactProperties.map((p) => `{{contact.${p}}}`) },
    { label: "Visitor", tokens: VISITOR_TEMPLATE_FIELDS.map((f) => `{{visitor.${f}}}`) },
  ].filter((group) => group.tokens.length > 0);

/** `text` with `token` put in place of the selection [start, end). Pure. */
export const insertAt = (text: string, token: string, start: number, end: number): { text: string; caret: number } => {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  return { text: text.slice(0, s) + token + text.slice(e), caret: s + token.length };
};
