import { describe, expect, it } from "vitest";
import {
  attachmentTypeFor,
  graphIdOfPart,
  HUMAN_AGENT_WINDOW_MS,
  insideReplyWindow,
  MAX_SEND_TEXT,
  partFailureLabel,
  partKey,
  partRecord,
  readGraphAnswer,
  replyMode,
  REPLY_WINDOW_MS,
  sendBodyFor,
  sendFileFields,
  sendFileForm,
  sendMessagesFor,
  sendPartsFor,
  splitText,
} from "./messenger-send.js";

describe("sendMessagesFor", () => {
  it("sends a plain text as it is", () => {
    expect(sendMessagesFor("Hello", null)).toEqual([{ text: "Hello" }]);
  });
  it("sends up to 13 choices as quick replies, titles cut to 20 characters (never inside an emoji), ids as payloads", () => {
    const choices = Array.from({ length: 13 }, (_, i) => ({ id: `c${i}`, label: i === 0 ? "A very long label that Messenger would refuse" : `Choice ${i}` }));
    choices[1] = { id: "c1", label: "Eighteen letters!!👍 and more" };
    const [message] = sendMessagesFor("Pick one", { choices });
    expect(message!.text).toBe("Pick one");
    expect(message!.quick_replies).toHaveLength(13);
    expect(message!.quick_replies![0]).toEqual({ content_type: "text", title: "A very long label t…", payload: "c0" });
    // "👍" is two UTF-16 units at 18–19: cutting at 19 would leave half of it.
    expect(message!.quick_replies![1]!.title).toBe("Eighteen letters!!…");
    expect(message!.quick_replies!.every((r) => r.title.length <= 20)).toBe(true);
    expect(message!.quick_replies!.at(-1)!.payload).toBe("c12");
  });
  it("sends more than 13 choices as a numbered list in the text, so none is hidden", () => {
    const choices = Array.from({ length: 15 }, (_, i) => ({ id: `c${i}`, label: `Choice ${i + 1}` }));
    const messages = sendMessagesFor("Pick one", { choices });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.quick_replies).toBeUndefined();
    expect(messages[0]!.text).toBe(["Pick one", "", ...choices.map((c, i) => `${i + 1}. ${c.label}`)].join("\n"));
  });
  it("sends a numbered list when two labels would be cut to the same title", () => {
    const choices = [
      { id: "a", label: "Premium subscription yearly" },
      { id: "b", label: "Premium subscription monthly" },
    ];
    expect(sendMessagesFor("", { choices })).toEqual([{ text: "1. Premium subscription yearly\n2. Premium subscription monthly" }]);
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

describe("splitText", () => {
  it("prefers a paragraph break, then a line break, then a sentence's end, then a space", () => {
    const para = "a".repeat(1200) + ". " + "b".repeat(300) + "\n\n" + "c".repeat(300) + " d".repeat(200);
    expect(splitText(para).map((p) => p.slice(-3))).toEqual(["bbb", "d d"]);
    expect(splitText(para)[0]).toBe("a".repeat(1200) + ". " + "b".repeat(300));

    const line = "a ".repeat(600) + "end\n" + "next line. ".repeat(100);
    expect(splitText(line)[0]).toBe(("a ".repeat(600) + "end").trimEnd());

    const sentences = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    const pieces = splitText(sentences);
    expect(pieces.length).toBe(2);
    expect(pieces[0]!.endsWith(".")).toBe(true);
    expect(pieces[1]!.startsWith("Sentence number")).toBe(true);
    expect(pieces.join(" ")).toBe(sentences);

    // A paragraph break too early (a short first piece) loses to a sentence's end later.
    const early = "Hi.\n\n" + "word ".repeat(300) + "Done. " + "more ".repeat(200);
    expect(splitText(early)[0]!.endsWith("Done.")).toBe(true);
  });
  it("keeps every piece within the limit and loses no word", () => {
    const words = Array.from({ length: 1500 }, (_, i) => (i % 7 === 0 ? `w${i}.` : `w${i}`)).join(" ");
    const pieces = splitText(words, 300);
    expect(pieces.every((p) => p.length <= 300 && p.length > 150)).toBe(true);
    expect(pieces.join(" ")).toBe(words);
  });
  it("never cuts inside a surrogate pair", () => {
    const emoji = "a" + "😀".repeat(1500); // 3,001 UTF-16 units, no spaces: unit 2,000 is the second half of an emoji
    const pieces = splitText(emoji);
    expect(pieces.map((p) => p.length)).toEqual([1999, 1002]);
    expect(pieces.join("")).toBe(emoji);
    expect(pieces.every((p) => !/[\ud800-\udbff]$/.test(p) && !/^[\udc00-\udfff]/.test(p))).toBe(true);
    expect(splitText("😀".repeat(1500)).map((p) => p.length)).toEqual([2000, 1000]);
  });
});

describe("replyMode", () => {
  const last = 1_000_000;
  it("answers as a response within 24 hours, whoever writes", () => {
    expect(replyMode(last, last + REPLY_WINDOW_MS, "bot", false)).toEqual({ kind: "response" });
    expect(replyMode(last, last + 60_000, "agent", true)).toEqual({ kind: "response" });
  });
  it("tags an agent's reply from 24 hours to 7 days when the channel uses the tag", () => {
    expect(replyMode(last, last + REPLY_WINDOW_MS + 1, "agent", true)).toEqual({ kind: "humanAgent" });
    expect(replyMode(last, last + HUMAN_AGENT_WINDOW_MS, "agent", true)).toEqual({ kind: "humanAgent" });
  });
  it("says which window closed, and that the tag can be turned on only when it would help", () => {
    const off = replyMode(last, last + 2 * REPLY_WINDOW_MS, "agent", false);
    expect(off.kind === "closed" && off.reason).toMatch(/^outside Messenger's 24-hour reply window.*turn on “Use the Human Agent tag”.*up to 7 days$/);
    const bot = replyMode(last, last + 2 * REPLY_WINDOW_MS, "bot", true);
    expect(bot.kind === "closed" && bot.reason).toMatch(/24-hour reply window.*a bot's message is not sent/);
    const late = replyMode(last, last + HUMAN_AGENT_WINDOW_MS + 1, "agent", true);
    expect(late).toEqual({ kind: "closed", reason: "outside Messenger's 7-day Human Agent window: the visitor's last message is older than 7 days" });
    const lateOff = replyMode(last, last + HUMAN_AGENT_WINDOW_MS + 1, "agent", false);
    expect(lateOff.kind === "closed" && lateOff.reason).toMatch(/24-hour.*older than 7 days, so the Human Agent tag would not help/);
    expect(replyMode(null, last, "agent", true).kind).toBe("closed");
  });
  it("builds the Send API body for each mode", () => {
    expect(sendBodyFor("p1", "response", { text: "hi" })).toEqual({ recipient: { id: "p1" }, messaging_type: "RESPONSE", message: { text: "hi" } });
    expect(sendBodyFor("p1", "humanAgent", { text: "hi" })).toEqual({
      recipient: { id: "p1" },
      messaging_type: "MESSAGE_TAG",
      tag: "HUMAN_AGENT",
      message: { text: "hi" },
    });
  });
});

describe("partKey", () => {
  it("names the message, the part and what it says, and carries Graph's id after it", () => {
    const key = partKey(42, 0, 2, { text: "first" });
    expect(key).toMatch(/^messenger-part:42:1\/2:[0-9a-f]{16}:$/);
    expect(partKey(42, 0, 2, { text: "first" })).toBe(key);
    expect(partKey(42, 0, 2, { text: "other" })).not.toBe(key);
    expect(partKey(42, 0, 3, { text: "first" })).not.toBe(key);
    expect(partKey(43, 0, 2, { text: "first" })).not.toBe(key);
    expect(graphIdOfPart(key, partRecord(key, "m_abc"))).toBe("m_abc");
    expect(graphIdOfPart(key, partRecord(key, null))).toBeNull();
  });
});

describe("an agent's files on Messenger", () => {
  const pdf = { filename: "Invoice March.pdf", contentType: "application/pdf", data: Buffer.from("%PDF-1.4 invoice") };
  const photo = { filename: "part.jpg", contentType: "image/jpeg", data: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) };

  it("sends images, videos and audio as themselves and anything else as a file", () => {
    expect(["image/png", "image/jpeg", "video/mp4", "audio/mpeg", "application/pdf", "text/plain", "application/octet-stream", "IMAGE/GIF"].map(attachmentTypeFor)).toEqual([
      "image",
      "image",
      "video",
      "audio",
      "file",
      "file",
      "file",
      "image",
    ]);
  });

  it("uploads each file with the recipient, the messaging type (tagged in Human Agent mode) and its attachment type; the bytes as filedata", async () => {
    expect(sendFileFields("psid-1", "response", photo)).toEqual([
      ["recipient", '{"id":"psid-1"}'],
      ["messaging_type", "RESPONSE"],
      ["message", '{"attachment":{"type":"image","payload":{"is_reusable":false}}}'],
    ]);
    expect(sendFileFields("psid-1", "humanAgent", pdf)).toEqual([
      ["recipient", '{"id":"psid-1"}'],
      ["messaging_type", "MESSAGE_TAG"],
      ["tag", "HUMAN_AGENT"],
      ["message", '{"attachment":{"type":"file","payload":{"is_reusable":false}}}'],
    ]);
    const form = sendFileForm("psid-1", "response", pdf);
    const filedata = form.get("filedata") as File;
    expect(filedata.name).toBe("Invoice March.pdf");
    expect(filedata.type).toBe("application/pdf");
    expect(Buffer.from(await filedata.arrayBuffer()).equals(pdf.data)).toBe(true);
    expect([...form.keys()]).toEqual(["recipient", "messaging_type", "message", "filedata"]);
  });

  it("sends the text's parts first, then one part per file, in order", () => {
    expect(sendPartsFor([{ text: "a" }, { text: "b" }], [pdf, photo]).map((p) => (p.kind === "file" ? p.file.filename : p.message.text))).toEqual([
      "a",
      "b",
      "Invoice March.pdf",
      "part.jpg",
    ]);
    expect(sendPartsFor([{ text: "only text" }], [])).toEqual([{ kind: "message", message: { text: "only text" } }]);
  });

  it("keys a file's part by its name, type and bytes, so another file in its place is not taken for it", () => {
    const key = partKey(7, 1, 2, pdf);
    expect(key).toMatch(/^messenger-part:7:2\/2:[0-9a-f]{16}:$/);
    expect(partKey(7, 1, 2, { ...pdf, data: Buffer.from(pdf.data) })).toBe(key);
    expect(partKey(7, 1, 2, { ...pdf, data: Buffer.from("%PDF-1.4 another") })).not.toBe(key);
    expect(partKey(7, 1, 2, { ...pdf, filename: "other.pdf" })).not.toBe(key);
    expect(partKey(7, 1, 2, { text: "Invoice March.pdf" })).not.toBe(key);
  });

  it("names the failed part, and the file it uploads", () => {
    expect(partFailureLabel(0, 1, { kind: "message", message: { text: "x" } })).toBeNull();
    expect(partFailureLabel(0, 3, { kind: "message", message: { text: "x" } })).toBe("part 1 of 3");
    expect(partFailureLabel(2, 3, { kind: "file", file: pdf })).toBe("part 3 of 3, the file “Invoice March.pdf” (the parts before it were sent)");
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
  it("explains a Human Agent tag the app may not use, and Messenger's own closed window", () => {
    const refusal = JSON.stringify({
      error: {
        message: "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        type: "OAuthException",
        code: 10,
        error_subcode: 2018278,
      },
    });
    const tagged = readGraphAnswer(400, refusal, true);
    expect(tagged.kind).toBe("failed");
    expect(tagged.kind === "failed" && tagged.reason).toMatch(
      /^Messenger refused the reply with the Human Agent tag, which this app may not use: Messenger answered 400 \(code 10, subcode 2018278\): \(#10\) This message is sent outside.*Human Agent permission.*App Review.*turn “Use the Human Agent tag” off/,
    );
    const permission = readGraphAnswer(403, '{"error":{"message":"(#200) Requires human_agent permission","code":200}}', true);
    expect(permission.kind === "failed" && permission.reason).toMatch(/Human Agent tag.*\(code 200\)/);
    const plain = readGraphAnswer(400, refusal);
    expect(plain.kind === "failed" && plain.reason).toMatch(/^Messenger says its 24-hour reply window for this person has closed: .*subcode 2018278/);
    // A tagged send's other refusals and rate limits are read as any other.
    expect(readGraphAnswer(400, '{"error":{"message":"(#100) No matching user found","code":100}}', true)).toEqual({
      kind: "failed",
      reason: "Messenger answered 400 (code 100): (#100) No matching user found",
    });
    expect(readGraphAnswer(400, '{"error":{"message":"Too many","code":613}}', true).kind).toBe("retry");
  });
});
