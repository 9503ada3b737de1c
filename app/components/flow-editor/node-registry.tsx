/**
 * The node registry: for every node kind, its name, colour and icon, data schema, default
 * data, ports, card summary, palette entry and inspector form. The palette, the node cards,
 * the inspector, `isValidConnection` and auto-layout all read this one table; ports come from
 * flows/ports.ts, the same function the compiler uses, so the canvas and the compiler agree.
 */
import type { ComponentType, ReactElement } from "react";
import type { Schema } from "effect";
import { NodeDataByKind, type NodeKind } from "../../../flows/flow-spec.js";
import { portsOf, type Port } from "../../../flows/ports.js";
import { AddToListForm, EndForm, SubscribeForm, HandoffForm, MeetingForm, TicketForm, WebhookForm } from "./inspector/action-forms.js";
import { CodeForm } from "./inspector/code-form.js";
import { BranchForm, SetForm, SplitForm } from "./inspector/logic-forms.js";
import { KnowledgeForm, MessageForm, QuestionForm } from "./inspector/talk-forms.js";
import { summarize, type NameLookup, type NodeSummary } from "./node-summary.js";

export type PaletteGroup = "Talk" | "Decide" | "Act" | "Finish";

export interface NodeRegistryEntry<K extends NodeKind = NodeKind> {
  readonly kind: K;
  /** The kind's name in the UI: "Question", "Set data". */
  readonly title: string;
  /** One line for the palette. */
  readonly description: string;
  readonly group: PaletteGroup;
  /** The header colour of the card (dark enough for white text). */
  readonly color: string;
  /** The kind's icon: 24×24 SVG content drawn with `currentColor`. */
  readonly icon: ReactElement;
  /** The schema the node's data must satisfy (shared with the spec and the compiler). */
  readonly schema: (typeof NodeDataByKind)[K];
  /** Encoded data for a freshly added node. */
  readonly defaults: () => unknown;
  /** Output ports for `data`, in display order (one handle each). */
  readonly ports: (data: unknown) => ReadonlyArray<Port>;
  /** What the card shows. */
  readonly summarize: (data: unknown, names: NameLookup) => NodeSummary;
  /** The form editing the node's data, inside an InspectorContext. */
  readonly Inspector: ComponentType;
}

const icon = (...paths: string[]): ReactElement => (
  <>
    {paths.map((d) => (
      <path key={d} d={d} />
    ))}
  </>
);

const entry = <K extends NodeKind>(
  kind: K,
  e: Omit<NodeRegistryEntry<K>, "kind" | "schema" | "ports" | "summarize">,
): NodeRegistryEntry<K> => ({
  kind,
  schema: NodeDataByKind[kind],
  ports: (data) => portsOf({ kind, data }),
  summarize: (data, names) => summarize(kind, data, names),
  ...e,
});

/** Every node kind's registry entry. */
export const nodeRegistry: { readonly [K in NodeKind]: NodeRegistryEntry<K> } = {
  message: entry("message", {
    title: "Message",
    description: "Say something: text, images, links",
    group: "Talk",
    color: "#3357d6",
    icon: icon("M4 5h16v11H8l-4 4z"),
    defaults: () => ({ bubbles: [{ type: "text", text: "" }], typingDelayMs: 600 }),
    Inspector: MessageForm,
  }),
  question: entry("question", {
    title: "Question",
    description: "Ask, check the answer, save it",
    group: "Talk",
    color: "#7048e8",
    icon: icon("M9 9a3 3 0 1 1 4 2.8c-.6.3-1 .9-1 1.6V14", "M12 17.5v.5", "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z"),
    defaults: () => ({ prompt: "", answer: { type: "text" }, save: {} }),
    Inspector: QuestionForm,
  }),
  knowledge: entry("knowledge", {
    title: "Knowledge base",
    description: "Answer with links to matching help articles",
    group: "Talk",
    color: "#0e7490",
    icon: icon("M4 19.5A2.5 2.5 0 0 1 6.5 17H20", "M6.5 2H20v20H6.5A2.5 2.5 0 0 1 4 19.5v-15A2.5 2.5 0 0 1 6.5 2z", "M9 7h7", "M9 11h5"),
    defaults: () => ({
      query: "",
      limit: 3,
      message: "These articles may help:",
      notFoundMessage: "Sorry, I couldn't find an article about that.",
    }),
    Inspector: KnowledgeForm,
  }),
  branch: entry("branch", {
    title: "Branch",
    description: "Take a path by answers, contact data or availability",
    group: "Decide",
    color: "#c2410c",
    icon: icon("M6 3v12", "M18 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M18 9a9 9 0 0 1-9 9"),
    defaults: () => ({
      rules: [
        {
          id: "rule_1",
          label: "Rule 1",
          match: "all",
          conditions: [{ subject: { type: "last_answer" }, operator: "equals", value: "" }],
        },
      ],
    }),
    Inspector: BranchForm,
  }),
  split: entry("split", {
    title: "A/B split",
    description: "Send visitors down paths at random",
    group: "Decide",
    color: "#a16207",
    icon: icon("M16 3h5v5", "M8 3H3v5", "M12 22v-8.3a4 4 0 0 0-1.2-2.8L3 3", "M21 3l-7.8 7.8"),
    defaults: () => ({
      arms: [
        { id: "a", label: "A", percent: 50 },
        { id: "b", label: "B", percent: 50 },
      ],
    }),
    Inspector: SplitForm,
  }),
  set: entry("set", {
    title: "Set data",
    description: "Set a variable or a contact property",
    group: "Decide",
    color: "#0f766e",
    icon: icon("M12 20h9", "M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"),
    defaults: () => ({ assignments: [{ target: { type: "variable", name: "status" }, value: "" }] }),
    Inspector: SetForm,
  }),
  code: entry("code", {
    title: "Code",
    description: "Run a JavaScript snippet",
    group: "Decide",
    color: "#334155",
    icon: icon("M16 18l6-6-6-6", "M8 6l-6 6 6 6"),
    defaults: () => ({ source: "// inputs.<name> holds each declared input\nreturn {};\n", inputs: [], outputs: [], timeoutMs: 1_000 }),
    Inspector: CodeForm,
  }),
  webhook: entry("webhook", {
    title: "Webhook",
    description: "Call an HTTP endpoint, keep parts of the reply",
    group: "Act",
    color: "#0369a1",
    icon: icon("M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.8 1.7", "M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"),
    defaults: () => ({ method: "POST", url: "https://", headers: [], timeoutMs: 5_000, responseMappings: [] }),
    Inspector: WebhookForm,
  }),
  handoff: entry("handoff", {
    title: "Handoff",
    description: "Pass the conversation to a team or person",
    group: "Act",
    color: "#15803d",
    icon: icon("M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2", "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M19 8v6", "M22 11h-6"),
    defaults: () => ({ target: { type: "routing" }, away: { askForEmail: false, createTicket: false } }),
    Inspector: HandoffForm,
  }),
  ticket: entry("ticket", {
    title: "Ticket",
    description: "Open a ticket in the inbox",
    group: "Act",
    color: "#be185d",
    icon: icon("M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4z", "M13 5v14"),
    defaults: () => ({ subject: "Chat request", description: "", priority: "normal" }),
    Inspector: TicketForm,
  }),
  meeting: entry("meeting", {
    title: "Meeting",
    description: "Let the visitor book a meeting",
    group: "Act",
    color: "#4338ca",
    icon: icon("M8 2v4", "M16 2v4", "M3 10h18", "M5 4h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"),
    defaults: () => ({ userId: "" }),
    Inspector: MeetingForm,
  }),
  add_to_list: entry("add_to_list", {
    title: "Add to list",
    description: "Put the contact on a contact list",
    group: "Act",
    color: "#0f766e",
    icon: icon("M4 6h11", "M4 12h11", "M4 18h7", "M18 15v6", "M15 18h6"),
    defaults: () => ({ listId: "" }),
    Inspector: AddToListForm,
  }),
  subscribe: entry("subscribe", {
    title: "Email subscription",
    description: "Offer the newsletter and record consent",
    group: "Act",
    color: "#0e7490",
    icon: icon("M3 6h18v12H3z", "M3 7l9 6 9-6"),
    defaults: () => ({
      question: "Would you like our newsletter?",
      consentText: "Yes, send me the newsletter by email. I can unsubscribe at any time.",
      yesLabel: "Yes, please",
      noLabel: "No, thanks",
      emailPrompt: "What's your email address?",
    }),
    Inspector: SubscribeForm,
  }),
  end: entry("end", {
    title: "End",
    description: "Finish the bot",
    group: "Finish",
    color: "#475569",
    icon: icon("M4 22V4a1 1 0 0 1 1-1h12l-2 4 2 4H5"),
    defaults: () => ({ closeConversation: false }),
    Inspector: EndForm,
  }),
};

/** Palette order: the registry's order within each group, groups in this order. */
export const PALETTE_GROUPS: ReadonlyArray<PaletteGroup> = ["Talk", "Decide", "Act", "Finish"];

/** The kinds of a palette group, in palette order. Pure. */
export const kindsInGroup = (group: PaletteGroup): ReadonlyArray<NodeRegistryEntry> =>
  (Object.values(nodeRegistry) as ReadonlyArray<NodeRegistryEntry>).filter((e) => e.group === group);

/** Decoding schema of a kind, typed loosely for generic callers. */
export const schemaOf = (kind: NodeKind): Schema.Schema<unknown, unknown, never> =>
  nodeRegistry[kind].schema as unknown as Schema.Schema<unknown, unknown, never>;
