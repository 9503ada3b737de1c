/**
 * Output ports of each node kind. One definition used by the compiler's checks, the canvas
 * (one handle per port) and the interpreter (which port it follows).
 */
import type { NodeKind } from "./flow-spec.js";

export interface Port {
  /** Port name as it appears in a spec node's `next` map and in editor edges. */
  readonly name: string;
  /** Human label shown on the canvas handle. */
  readonly label: string;
  /** A required port must be connected, else the compiler reports an error. */
  readonly required: boolean;
}

/** Minimal shape needed to compute ports; both spec and editor nodes satisfy it. */
export interface PortSource {
  readonly kind: NodeKind;
  readonly data: unknown;
}

const port = (name: string, label: string, required: boolean): Port => ({ name, label, required });

/** The output ports of a node, in display order. Pure. Tolerates partly-filled data. */
export const portsOf = (node: PortSource): ReadonlyArray<Port> => {
  const data = (node.data ?? {}) as Record<string, any>;
  switch (node.kind) {
    case "message":
    case "set":
    case "ticket":
    case "meeting":
    case "add_to_list":
      return [port("next", "next", true)];
    case "question": {
      const answer = data.answer ?? {};
      const out: Port[] = [];
      if (answer.type === "choice" && answer.portPerChoice && Array.isArray(answer.choices)) {
        for (const choice of answer.choices) {
          out.push(port(`choice:${choice?.id}`, String(choice?.label ?? choice?.id), false));
        }
        // With a port per choice, `answered` catches the choices left unconnected.
        out.push(port("answered", "other answers", false));
      } else {
        out.push(port("answered", "answered", true));
      }
      out.push(port("invalid", "invalid", false));
      return out;
    }
    case "branch": {
      const rules: any[] = Array.isArray(data.rules) ? data.rules : [];
      return [
        ...rules.map((rule, i) => port(`rule:${rule?.id}`, String(rule?.label ?? `rule ${i + 1}`), false)),
        port("else", "else", true),
      ];
    }
    case "webhook":
    case "code":
      return [port("ok", "ok", true), port("error", "error", false)];
    case "handoff":
      return [port("away", "away", false)];
    case "subscribe":
      return [port("subscribed", "subscribed", true), port("declined", "declined", false)];
    case "knowledge":
      // Unconnected `not_found` ends the flow as completed, like any unconnected exit.
      return [port("found", "found", true), port("not_found", "not found", false)];
    case "split": {
      const arms: any[] = Array.isArray(data.arms) ? data.arms : [];
      return arms.map((arm) => port(`arm:${arm?.id}`, `${arm?.label ?? arm?.id} (${arm?.percent ?? 0}%)`, true));
    }
    case "end":
      return [];
  }
};

/** Kinds at which a conversation waits for the visitor, so a cycle through one cannot spin. */
export const WAITING_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(["question"]);
