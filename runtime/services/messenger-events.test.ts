import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeWith } from "../../flows/decode.js";
import {
  checkHandshake,
  checkSignature,
  clientMessageIdFor,
  constantTimeEqual,
  MAX_INBOUND_TEXT,
  openingAnswer,
  parseWebhookJson,
  signBody,
  visitorMessages,
  WebhookBody,
} from "./messenger-events.js";

const PAGE = "104512345678901";
const decode = decodeWith(WebhookBody);
const body = (messaging: unknown[], entryId = PAGE) => {
  const decoded = decode({ object: "page", entry: [{ id: entryId, time: 1, messaging }] });
  if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return decoded.right;
};
const event = (message: Record<string, unknown> | undefined, sender = "psid-1", recipient = PAGE) => ({
  sender: { id: sender },
  recipient: { id: recipient },
  timestamp: 1700000000000,
  ...(message ? { message } : { read: { watermark: 1 } }),
});

describe("checkHandshake", () => {
  const q = (s: string) => new URLSearchParams(s);
  it("returns the challenge only for subscribe with the channel's token", () => {
    expect(checkHandshake(q("hub.mode=subscribe&hub.verify_token=tok&hub.challenge=42"), "tok")).toEqual({ ok: true, challenge: "42" });
    expect(checkHandshake(q("hub.mode=subscribe&hub.verify_token=tok2&hub.challenge=42"), "tok")).toMatchObject({ ok: false });
    expect(checkHandshake(q("hub.mode=unsubscribe&hub.verify_token=tok&hub.challenge=42"), "tok")).toMatchObject({ ok: false, reason: "hub.mode must be subscribe" });
    expect(checkHandshake(q("hub.mode=subscribe&hub.verify_token=tok"), "tok")).toMatchObject({ ok: false, reason: "hub.challenge is missing" });
    expect(checkHandshake(q("hub.mode=subscribe&hub.verify_token=&hub.challenge=1"), null)).toMatchObject({ ok: false });
    expect(checkHandshake(q("hub.mode=subscribe&hub.challenge=1"), "tok")).toMatchObject({ ok: false });
  });
});

describe("checkSignature", () => {
  const raw = Buffer.from('{"object":"page","entry":[]}');
  it("accepts Facebook's sha256 HMAC of the exact bytes, in either hex case", () => {
    expect(checkSignature(raw, signBody(raw, "secret"), "secret")).toBe("valid");
    expect(checkSignature(raw, signBody(raw, "secret").toUpperCase().replace("SHA256", "sha256"), "secret")).toBe("valid");
  });
  it("tells a missing signature from a wrong one", () => {
    expect(checkSignature(raw, undefined, "secret")).toBe("missing");
    expect(checkSignature(raw, "  ", "secret")).toBe("missing");
    expect(checkSignature(raw, signBody(raw, "other"), "secret")).toBe("invalid");
    expect(checkSignature(Buffer.concat([raw, Buffer.from(" ")]), signBody(raw, "secret"), "secret")).toBe("invalid");
    expect(checkSignature(raw, "sha1=abcdef", "secret")).toBe("invalid");
    expect(checkSignature(raw, signBody(raw, "secret"), null)).toBe("missing");
  });
  it("compares strings of different lengths as unequal", () => {
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("abc", "abc")).toBe(true);
  });
});

describe("parseWebhookJson and the body's Schema", () => {
  it("refuses empty, malformed and non-object bodies at the root", () => {
    expect(parseWebhookJson(Buffer.from(""))).toEqual(Either.left({ path: "", message: "the body must be a JSON object; it is empty" }));
    expect(Either.isLeft(parseWebhookJson(Buffer.from("{")))).toBe(true);
    expect(parseWebhookJson(Buffer.from("[1]"))).toEqual(Either.left({ path: "", message: "the body must be a JSON object" }));
  });
  it("names the path of a bad field", () => {
    const bad = decode({ object: "page", entry: [{ id: PAGE, time: 1, messaging: [{ sender: { id: 1 }, recipient: { id: PAGE } }] }] });
    expect(Either.isLeft(bad) && bad.left.map((i) => i.path)).toEqual(["entry[0].messaging[0].sender.id"]);
    const user = decode({ object: "user", entry: [] });
    expect(Either.isLeft(user) && user.left[0]).toMatchObject({ path: "object" });
  });
});

describe("visitorMessages", () => {
  it("keeps the visitor's messages in order and drops echoes, receipts and other pages' events", () => {
    const messages = visitorMessages(
      body([
        event({ mid: "m1", text: " hello " }),
        event(undefined),
        event({ mid: "m2", text: "echo", is_echo: true }, PAGE, "psid-1"),
        event({ mid: "m3", text: "to another page" }, "psid-1", "999999"),
        event({ mid: "m4", text: "Talk to a person", quick_reply: { payload: "talk_to_person" } }, "psid-2"),
        event({ mid: "m5", attachments: [{ type: "image", payload: { url: "https://x" } }, { type: "audio" }] }),
        event({ mid: "m6", text: "   " }),
      ]),
      PAGE,
    );
    expect(messages).toEqual([
      { psid: "psid-1", mid: "m1", text: "hello", quickReplyPayload: null, timestamp: 1700000000000, files: [] },
      { psid: "psid-2", mid: "m4", text: "Talk to a person", quickReplyPayload: "talk_to_person", timestamp: 1700000000000, files: [] },
      {
        psid: "psid-1",
        mid: "m5",
        text: "[image] [audio]",
        quickReplyPayload: null,
        timestamp: 1700000000000,
        files: [
          { kind: "image", url: "https://x" },
          { kind: "audio", url: null },
        ],
      },
    ]);
  });
  it("lists a message's files (a sticker as one), keeps its text when it has some, and names only the kinds when it has none", () => {
    const [withText, only, noFiles] = visitorMessages(
      body([
        event({
          mid: "f1",
          text: "the broken part",
          attachments: [
            { type: "image", payload: { url: " https://cdn.test/a.jpg " } },
            { type: "file", payload: { url: "https://cdn.test/invoice.pdf" } },
            { type: "video", payload: { url: 42 } },
          ],
        }),
        event({ mid: "f2", attachments: [{ type: "image", payload: { url: "https://cdn.test/like.png", sticker_id: 369239263222822 } }, { type: "" }] }),
        event({
          mid: "f3",
          attachments: [
            { type: "location", payload: { coordinates: { lat: 1, long: 2 } } },
            { type: "fallback", payload: { url: "https://example.com/article", title: "An article" } },
            { type: "template", payload: { template_type: "generic" } },
          ],
        }),
      ]),
      PAGE,
    );
    expect(withText).toMatchObject({
      text: "the broken part",
      files: [
        { kind: "image", url: "https://cdn.test/a.jpg" },
        { kind: "file", url: "https://cdn.test/invoice.pdf" },
        { kind: "video", url: null },
      ],
    });
    // A blank type reads as a file, without a URL to fetch.
    expect(only).toMatchObject({ text: "[sticker] [file]", files: [{ kind: "sticker", url: "https://cdn.test/like.png" }, { kind: "file", url: null }] });
    // Locations, shared links and templates are no files: named in the transcript, nothing to fetch.
    expect(noFiles).toMatchObject({ text: "[location] [fallback] [template]", files: [] });
  });
  it("reads a postback (a tapped button) as its title, with its payload, identified by its mid or its sender and time", () => {
    const tap = (postback: Record<string, unknown>) => ({ sender: { id: "psid-9" }, recipient: { id: PAGE }, timestamp: 1700000000001, postback });
    expect(
      visitorMessages(
        body([tap({ title: "Get Started", payload: "GET_STARTED", mid: "m_pb" }), tap({ payload: "talk_to_person" }), tap({ title: "  " })]),
        PAGE,
      ),
    ).toEqual([
      { psid: "psid-9", mid: "m_pb", text: "Get Started", quickReplyPayload: "GET_STARTED", timestamp: 1700000000001, files: [] },
      { psid: "psid-9", mid: "postback:psid-9:1700000000001", text: "talk_to_person", quickReplyPayload: "talk_to_person", timestamp: 1700000000001, files: [] },
    ]);
  });
  it("ignores a whole entry for another page and cuts an overlong text", () => {
    expect(visitorMessages(body([event({ mid: "m1", text: "hi" }, "psid-1", PAGE)], "999999"), PAGE)).toEqual([]);
    const [long] = visitorMessages(body([event({ mid: "m1", text: "x".repeat(5000) })]), PAGE);
    expect(long!.text).toHaveLength(MAX_INBOUND_TEXT);
  });
});

describe("openingAnswer", () => {
  const awaiting = { choices: [{ id: "talk_to_person", label: "Talk to a person" }, { id: "just_browsing", label: "Just browsing" }] };
  it("takes an offered quick reply as its choice and a typed label as text", () => {
    expect(openingAnswer({ text: "Talk to a person", quickReplyPayload: "talk_to_person" }, awaiting)).toEqual({ choiceIds: ["talk_to_person"] });
    expect(openingAnswer({ text: "  just BROWSING ", quickReplyPayload: null }, awaiting)).toEqual({ text: "  just BROWSING " });
  });
  it("takes nothing else: a greeting, a stale quick reply's unknown payload, a free-text question", () => {
    expect(openingAnswer({ text: "hi", quickReplyPayload: null }, awaiting)).toBeNull();
    expect(openingAnswer({ text: "Yes", quickReplyPayload: "old_choice" }, awaiting)).toBeNull();
    expect(openingAnswer({ text: "Ann", quickReplyPayload: null }, { choices: [] })).toBeNull();
    expect(openingAnswer({ text: "Ann", quickReplyPayload: null }, null)).toBeNull();
  });
});

describe("clientMessageIdFor", () => {
  it("keeps short mids and maps long ones to a stable id within the engine's 100 characters", () => {
    expect(clientMessageIdFor("m_short")).toBe("m_short");
    const long = "m_" + "a".repeat(150);
    expect(clientMessageIdFor(long)).toBe(clientMessageIdFor(long));
    expect(clientMessageIdFor(long).length).toBeLessThanOrEqual(100);
    expect(clientMessageIdFor(long)).not.toBe(clientMessageIdFor(long + "b"));
  });
});
