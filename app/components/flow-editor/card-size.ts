/**
 * Card sizes on the canvas, estimated from a node's content before React Flow measures it: for
 * placing cards, the first view, estimated handle positions and auto-layout. No dependencies
 * beyond the node summary, so the canvas can use them without loading the layout engine.
 */
import type { DocumentNode } from "../../../flows/flow-document.js";
import { portsOf } from "../../../flows/ports.js";
import { summarize } from "./node-summary.js";

export interface NodeSize {
  readonly width: number;
  readonly height: number;
}
/** Node sizes by node id. */
export type NodeSizes = Readonly<Record<string, NodeSize>>;

/** Width of a node card on the canvas with up to four exits. */
export const NODE_WIDTH = 260;
const PORT_CELL = 68;

/** A card's width: wider than NODE_WIDTH only when its exits need room for readable names. Pure. */
export const cardWidth = (portCount: number): number => Math.max(NODE_WIDTH, portCount * PORT_CELL);

// Card metrics, kept in step with editor.css: borders 2, header 32, body padding 16, 18 px
// lines 4 px apart, a 31 px port row; characters per line by a line's font.
const FRAME = 2 + 32 + 16;
const LINE = 18;
const GAP = 4;
const PORT_PADDING = 1 + 6 + 8;
const PORT_LINE = 14;
const PORT_CHAR = 6.4;
const CHARS_PER_LINE = { quote: 36, meta: 40, code: 32, empty: 36 } as const;
const MAX_LINES = { quote: 3, meta: 2, code: 2, empty: 2 } as const;
const CHIP_ROW = 24;

/** Lines a label takes when wrapped at spaces into `width` pixels (long words break anywhere). */
const wrappedLines = (label: string, width: number): number => {
  const perLine = Math.max(1, Math.floor(width / PORT_CHAR));
  let lines = 1;
  let used = 0;
  for (const word of label.split(/\s+/).filter(Boolean)) {
    const length = word.length;
    if (used > 0 && used + 1 + length > perLine) {
      lines++;
      used = 0;
    }
    used += (used > 0 ? 1 : 0) + length;
    while (used > perLine) {
      lines++;
      used -= perLine;
    }
  }
  return lines;
};

/** The port row: one equal-width cell per port, its label up to two lines. */
const portRowHeight = (labels: ReadonlyArray<string>, width: number): number => {
  if (labels.length === 0) return 0;
  const cell = width / labels.length - 6;
  const lines = Math.min(2, Math.max(...labels.map((label) => wrappedLines(label, cell))));
  return PORT_PADDING + lines * PORT_LINE;
};

const NO_NAMES = { team: () => undefined, user: () => undefined };

// Document nodes are immutable (every edit makes a new object), so a node's estimate can be
// kept for as long as the node lives: opening a canvas asks for each one several times.
const estimates = new WeakMap<object, NodeSize>();

/** The size a node card will have, from its content; close to what editor.css renders. Pure (memoized per node object). */
export const estimateNodeSize = (node: Pick<DocumentNode, "kind" | "data" | "label">): NodeSize => {
  let size = estimates.get(node);
  if (!size) {
    size = estimateFresh(node);
    estimates.set(node, size);
  }
  return size;
};

const estimateFresh = (node: Pick<DocumentNode, "kind" | "data" | "label">): NodeSize => {
  const { lines, chips } = summarize(node.kind, node.data, NO_NAMES);
  const ports = portsOf(node).map((p) => p.label);
  const width = cardWidth(ports.length);
  const bodyWidth = width - 24;
  const perLine = (tone: keyof typeof CHARS_PER_LINE) => Math.floor((CHARS_PER_LINE[tone] * bodyWidth) / (NODE_WIDTH - 24));
  const items: number[] = [];
  if (node.label) items.push(LINE);
  for (const line of lines) {
    items.push(LINE * Math.min(MAX_LINES[line.tone], Math.max(1, Math.ceil(line.text.length / perLine(line.tone)))));
  }
  if (chips.length > 0) {
    let rows = 1;
    let used = 0;
    for (const chip of chips) {
      const chipWidth = chip.length * 6.6 + 20;
      if (used > 0 && used + chipWidth > bodyWidth) {
        rows++;
        used = 0;
      }
      used += chipWidth + GAP;
    }
    items.push(2 + rows * CHIP_ROW + (rows - 1) * GAP);
  }
  const body = items.reduce((sum, h) => sum + h, 0) + GAP * Math.max(0, items.length - 1);
  return { width, height: Math.round(FRAME + body + portRowHeight(ports, width)) };
};
