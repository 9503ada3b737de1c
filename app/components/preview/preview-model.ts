/**
 * The preview pane's model: the transcript of one preview conversation and where the
 * interpreter stands (current node, variables, contact properties), folded from the preview
 * route's answers. Pure; browser-safe.
 */
import type { ApiMessage, AwaitedInput, ConversationStatus, PreviewState } from "../../runtime.server.js";

/** One answer of POST /flows/:id/preview. */
export interface PreviewReply {
  readonly conversationId: string;
  readonly visitorId: string;
  readonly messages: ReadonlyArray<ApiMessage>;
  readonly awaiting: AwaitedInput | null;
  readonly status: ConversationStatus;
  readonly state: PreviewState;
}

export interface PreviewModel {
  readonly conversation: { readonly id: string; readonly visitorId: string } | null;
  readonly messages: ReadonlyArray<ApiMessage>;
  readonly awaiting: AwaitedInput | null;
  readonly status: ConversationStatus | null;
  readonly state: PreviewState | null;
  /** The previous state's variables and contact, to mark what the last turn changed. */
  readonly previous: { readonly variables: Readonly<Record<string, unknown>>; readonly contact: Readonly<Record<string, string>> } | null;
  readonly busy: boolean;
  readonly error: { readonly message: string; readonly lines: ReadonlyArray<string> } | null;
}

export const emptyPreview: PreviewModel = {
  conversation: null,
  messages: [],
  awaiting: null,
  status: null,
  state: null,
  previous: null,
  busy: false,
  error: null,
};

export type PreviewAction =
  | { readonly type: "request" }
  | { readonly type: "started"; readonly reply: PreviewReply }
  | { readonly type: "replied"; readonly reply: PreviewReply }
  | { readonly type: "failed"; readonly message: string; readonly lines?: ReadonlyArray<string> }
  | { readonly type: "reset" };

/** Folds one preview event into the model. Pure. */
export const previewReducer = (model: PreviewModel, action: PreviewAction): PreviewModel => {
  switch (action.type) {
    case "request":
      return { ...model, busy: true, error: null };
    case "started":
      return {
        conversation: { id: action.reply.conversationId, visitorId: action.reply.visitorId },
        messages: action.reply.messages,
        awaiting: action.reply.awaiting,
        status: action.reply.status,
        state: action.reply.state,
        previous: null,
        busy: false,
        error: null,
      };
    case "replied": {
      const known = new Set(model.messages.map((m) => m.id));
      return {
        ...model,
        // A retried request answers with messages already shown: keep each once.
        messages: [...model.messages, ...action.reply.messages.filter((m) => !known.has(m.id))],
        awaiting: action.reply.awaiting,
        status: action.reply.status,
        previous: model.state ? { variables: model.state.variables, contact: model.state.contact } : null,
        state: action.reply.state,
        busy: false,
        error: null,
      };
    }
    case "failed":
      return { ...model, busy: false, error: { message: action.message, lines: action.lines ?? [] } };
    case "reset":
      return emptyPreview;
  }
};

/** Variables or contact properties as rows, each marked when the last turn set or changed it. Pure. */
export const valueRows = (
  current: Readonly<Record<string, unknown>>,
  before: Readonly<Record<string, unknown>> | undefined,
): ReadonlyArray<{ readonly name: string; readonly value: string; readonly changed: boolean }> =>
  Object.keys(current)
    .sort()
    .map((name) => {
      const value = current[name];
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return { name, value: text, changed: before !== undefined && JSON.stringify(before[name]) !== JSON.stringify(value) };
    });

/** A sentence for where the preview conversation stands. Pure. */
export const phaseLine = (state: PreviewState | null, status: ConversationStatus | null): string => {
  if (!state) return "Not started.";
  if (status === "open" || status === "pending" || state.phase === "handed_off") return "Handed to the team — in a live chat, a person answers from here.";
  if (state.phase === "ended") {
    if (state.endReason === "error") return `Stopped with an error${state.error ? `: ${state.error}` : ""}.`;
    return "The flow has ended.";
  }
  if (state.phase === "awaiting_action") return "Waiting for a webhook or code step…";
  return "Waiting for the visitor's answer.";
};
