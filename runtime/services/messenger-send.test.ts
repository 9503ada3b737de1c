import { describe, expect, it } from "vitest";
import { insideReplyWindow, MAX_SEND_TEXT, readGraphAnswer, REPLY_WINDOW_MS, sendMessagesFor, splitText } from "./messenger-send.js";

describe("sendMessagesFor", () => {
  it("sends a plain text as it is", () => {
    expect(sendMessagesFor("Hello", null)).toEqual([{ text: "Hello" }]);
  });
  it("sends choices as quick replies: the first 13, titles cut to 20 characters, ids as payloads", () => {
    const choices = Array.from({ length: 15 }, (_, i) => ({ id: `c${i}`, label: i === 0 ? "A very long label that Messenger would refuse" : `Choice ${i}` }));
    const [message] = sendMessagesFor("Pick one", { choices });
    expect(message!.quick_replies).toHaveLength(13);
    expect(message!.quick_replies![0]).toEqual({ content_type: "text", title: "A very long label t…", payload: "c0" });
    expect(message!.quick_replies![0]!.title.length).toBeLessThanOrEqual(20);
    expect(message!.quick_replies!.at(-1)!.payload).toBe("c12");
  });
  it("sends a bubble as its label and link, and never an empty text", () => {
    expect(sendMessagesFor("", { bubble: { type: "link", url: "https://help.example.com/a", label: "How to reset" } })).toEqual([
      { text: "How to reset: https://help.example.com/a" },
    ]);
    expect(sendMessagesFor("Look:", { bubble: { type: "image", url: "https://x.io/a.png" } })).toEqual([{ text: "Look:\nhttps://x.io/a.png" }]);
    expect(sendMessagesFor("", { choices: [{ id: "a", label: "A" }] })[0]!.text).toBe("Choose one:");
  });
  it("splits a long text, with the quick replies on the last piece", () => {
    const words = Array.from({ length: 700 }, (_, i) => `word${i}`).join(" ");
    const messages = sendMessagesFor(words, { choices: [{ id: "a", label: "A" }] });
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.every((m) => m.text.length <= MAX_SEND_TEXT)).toBe(true);
    expect(messages.slice(0, -1).every((m) => m.quick_replies === undefined)).toBe(true);
    expect(messages.at(-1)!.quick_replies).toHaveLength(1);
    expect(messages.map((m) => m.text).join(" ")).toBe(words);
  });
  it("splitText cuts a text without spaces at the limit", () => {
    expect(splitText("x".repeat(4500)).map((p) => p.length)).toEqual([2000, 2000, 500]);
  });
});

describe("insideReplyWindow", () => {
  it("allows replies within 24 hours of the visitor's last message only", () => {
    expect(insideReplyWindow(1_000, 1_000 + REPLY_WINDOW_MS)).toBe(true);
    expect(insideReplyWindow(1_000, 1_001 + REPLY_WINDOW_MS)).toBe(false);
    expect(insideReplyWindow(null, 1_000)).toBe(false);
  });
});

describe("readGraphAnswer", () => {
  it("reads a sent message's id", () => {
    expect(readGraphAnswer(200, '{"recipient_id":"1","message_id":"m_1"}')).toEqual({ kind: "sent", messageId: "m_1" });
    expect(readGraphAnswer(200, "ok")).toEqual({ kind: "sent", messageId: null });
  });
  it("retries server errors, HTTP 429 and Graph's rate limits", () => {
    expect(readGraphAnswer(500, "<html>oops</html>").kind).toBe("retry");
    expect(readGraphAnswer(503, "").kind).toBe("retry");
    expect(readGraphAnswer(429, "{}").kind).toBe("retry");
    expect(readGraphAnswer(400, '{"error":{"message":"Calls to this api have exceeded the rate limit.","code":613}}').kind).toBe("retry");
    expect(readGraphAnswer(400, '{"error":{"message":"Application request limit reached","code":4}}').kind).toBe("retry");
  });
  it("fails other refusals for good with Graph's own message", () => {
    const answer = readGraphAnswer(400, '{"error":{"message":"(#100) No matching user found","type":"OAuthException","code":100}}');
    expect(answer).toEqual({ kind: "failed", reason: "Messenger answered 400 (code 100): (#100) No matching user found" });
    expect(readGraphAnswer(403, "").kind).toBe("failed");
  });
});
