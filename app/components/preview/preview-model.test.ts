import { describe, expect, it } from "vitest";
import { emptyPreview, phaseLine, previewReducer, valueRows, type PreviewReply } from "./preview-model.js";

const state = (over: Partial<PreviewReply["state"]> = {}): PreviewReply["state"] => ({
  conversationId: "conv_1",
  visitorId: "vis_1",
  status: "bot",
  phase: "awaiting_input",
  nodeId: "ask_name",
  variables: {},
  contact: {},
  endReason: null,
  error: null,
  ...over,
});
const message = (id: string, author: "bot" | "visitor", text: string) => ({ id, author, text, createdAt: "2026-01-01T00:00:00.000Z" });
const reply = (over: Partial<PreviewReply>): PreviewReply => ({
  conversationId: "conv_1",
  visitorId: "vis_1",
  messages: [],
  awaiting: { nodeId: "ask_name", input: "text" },
  status: "bot",
  state: state(),
  ...over,
});

describe("previewReducer", () => {
  it("starts, appends each turn once, and remembers what the turn before knew", () => {
    let model = previewReducer(emptyPreview, { type: "request" });
    expect(model.busy).toBe(true);
    model = previewReducer(model, { type: "started", reply: reply({ messages: [message("1", "bot", "Your name?")] }) });
    expect(model.conversation).toEqual({ id: "conv_1", visitorId: "vis_1" });
    const answered = reply({
      messages: [message("1", "bot", "Your name?"), message("2", "visitor", "Ada"), message("3", "bot", "Thanks!")],
      state: state({ nodeId: "ask_email", variables: { name: "Ada" } }),
    });
    model = previewReducer(model, { type: "replied", reply: answered });
    expect(model.messages.map((m) => m.id)).toEqual(["1", "2", "3"]);
    expect(model.state?.nodeId).toBe("ask_email");
    expect(model.previous).toEqual({ variables: {}, contact: {} });
    expect(previewReducer(model, { type: "reset" })).toBe(emptyPreview);
  });

  it("keeps the conversation when a request fails", () => {
    const started = previewReducer(emptyPreview, { type: "started", reply: reply({}) });
    const failed = previewReducer(previewReducer(started, { type: "request" }), { type: "failed", message: "offline", lines: ["x"] });
    expect(failed).toMatchObject({ busy: false, error: { message: "offline", lines: ["x"] }, conversation: { id: "conv_1" } });
  });
});

describe("valueRows", () => {
  it("sorts by name, shows non-strings as JSON and marks what changed", () => {
    expect(valueRows({ size: 12, name: "Ada", tags: ["a"] }, { name: "Ada", size: 10 })).toEqual([
      { name: "name", value: "Ada", changed: false },
      { name: "size", value: "12", changed: true },
      { name: "tags", value: '["a"]', changed: true },
    ]);
    expect(valueRows({ name: "Ada" }, undefined)[0]!.changed).toBe(false);
  });
});

describe("phaseLine", () => {
  it("says where the conversation stands", () => {
    expect(phaseLine(null, null)).toBe("Not started.");
    expect(phaseLine(state(), "bot")).toBe("Waiting for the visitor's answer.");
    expect(phaseLine(state({ phase: "handed_off", nodeId: null }), "open")).toMatch(/^Handed to the team/);
    expect(phaseLine(state({ phase: "ended", endReason: "error", error: "webhook failed" }), "bot")).toBe("Stopped with an error: webhook failed.");
    expect(phaseLine(state({ phase: "ended", endReason: "completed" }), "closed")).toBe("The flow has ended.");
  });
});
