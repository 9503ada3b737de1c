import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeFlowDocument } from "../../flows/compile.js";
import { checkSettings, decodeSettingsInput, defaultFlowDocument, hintOf, mergeSettings, readStoredConfig, webhookUrlFor } from "./messenger-settings.js";

const input = (over: Record<string, string> = {}) => {
  const decoded = decodeSettingsInput({ pageId: "104512345678901", appSecret: "", pageAccessToken: "", chatflowId: "", ...over });
  if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return decoded.right;
};
const SECRET = "0123456789abcdef0123456789abcdef";
const TOKEN = "EAAB" + "x".repeat(40);

describe("decodeSettingsInput", () => {
  it("trims fields and names each bad one", () => {
    expect(input({ pageId: " 104512345678901 " }).pageId).toBe("104512345678901");
    const bad = decodeSettingsInput({ pageId: "abc", appSecret: "xyz", pageAccessToken: "a b", chatflowId: "x".repeat(101) });
    expect(Either.isLeft(bad) && bad.left.map((i) => i.path)).toEqual(["pageId", "appSecret", "pageAccessToken", "chatflowId"]);
    const missing = decodeSettingsInput({});
    expect(Either.isLeft(missing) && missing.left.map((i) => i.path)).toEqual(["pageId", "appSecret", "pageAccessToken", "chatflowId"]);
  });
});

describe("mergeSettings", () => {
  it("keeps stored secrets for empty fields, replaces filled ones, keeps other keys and the verify token", () => {
    const stored = { appSecret: SECRET, pageAccessToken: TOKEN, verifyToken: "vt", other: 1 };
    const merged = mergeSettings(stored, input({ chatflowId: "flow_1" }), () => "new");
    expect(merged).toEqual(
      Either.right({
        appSecret: SECRET,
        pageAccessToken: TOKEN,
        verifyToken: "vt",
        other: 1,
        pageId: "104512345678901",
        chatflowId: "flow_1",
        humanAgentTag: false,
      }),
    );
    const replaced = mergeSettings(stored, input({ appSecret: "f".repeat(32) }), () => "new");
    expect(Either.isRight(replaced) && replaced.right.appSecret).toBe("f".repeat(32));
  });
  it("makes a verify token when there is none, and asks for every missing piece of a connection", () => {
    const first = mergeSettings({}, input({ appSecret: SECRET, pageAccessToken: TOKEN }), () => "made");
    expect(Either.isRight(first) && first.right.verifyToken).toBe("made");
    expect(mergeSettings({}, input({ pageId: "" }), () => "x")).toEqual(
      Either.left([
        { path: "pageId", message: "enter the Facebook page's id to connect it" },
        { path: "appSecret", message: "enter the app secret: Parley checks every webhook call with it" },
        { path: "pageAccessToken", message: "enter the page access token: replies are sent with it" },
      ]),
    );
  });
});

describe("the Human Agent tag setting", () => {
  it("reads as off in a config saved before it existed, or holding anything but a boolean", () => {
    expect(readStoredConfig({ pageId: "104512345678901" }).humanAgentTag).toBe(false);
    expect(readStoredConfig({ humanAgentTag: "yes" }).humanAgentTag).toBe(false);
    expect(readStoredConfig({ humanAgentTag: 1 }).humanAgentTag).toBe(false);
    expect(readStoredConfig({ humanAgentTag: true }).humanAgentTag).toBe(true);
  });
  it("is turned on by a checked box and off by \"off\", and left as stored when the save leaves it out", () => {
    const on = mergeSettings({ appSecret: SECRET, pageAccessToken: TOKEN }, input({ humanAgentTag: "on" }), () => "t");
    expect(Either.isRight(on) && on.right.humanAgentTag).toBe(true);
    const off = mergeSettings({ appSecret: SECRET, pageAccessToken: TOKEN, humanAgentTag: true }, input({ humanAgentTag: "off" }), () => "t");
    expect(Either.isRight(off) && off.right.humanAgentTag).toBe(false);
    const kept = mergeSettings({ appSecret: SECRET, pageAccessToken: TOKEN, humanAgentTag: true }, input(), () => "t");
    expect(Either.isRight(kept) && kept.right.humanAgentTag).toBe(true);
    expect(input({ humanAgentTag: "true" }).humanAgentTag).toBe(true);
    expect(input({ humanAgentTag: "" }).humanAgentTag).toBe(false);
  });
  it("refuses any other value at its path with a message", () => {
    const bad = checkSettings({ appSecret: SECRET, pageAccessToken: TOKEN }, { pageId: "104512345678901", appSecret: "", pageAccessToken: "", chatflowId: "", humanAgentTag: "yes" });
    expect(bad).toEqual(Either.left([{ path: "humanAgentTag", message: 'a switch is on or off (a checkbox\'s "on", "off", true or false)' }]));
  });
});

describe("checkSettings", () => {
  it("reports a malformed field and the missing secrets together, in the form's order", () => {
    const checked = checkSettings({}, { pageId: "abc", appSecret: "", pageAccessToken: "", chatflowId: "" });
    expect(Either.isLeft(checked) && checked.left.map((i) => i.path)).toEqual(["pageId", "appSecret", "pageAccessToken"]);
    const typedBadSecret = checkSettings({ pageAccessToken: TOKEN }, { pageId: "104512345678901", appSecret: "nope", pageAccessToken: "", chatflowId: "" });
    expect(Either.isLeft(typedBadSecret) && typedBadSecret.left.map((i) => i.path)).toEqual(["appSecret"]);
  });
  it("passes a complete save, using what is stored for empty secrets", () => {
    const checked = checkSettings({ appSecret: SECRET, pageAccessToken: TOKEN }, { pageId: "104512345678901", appSecret: "", pageAccessToken: "", chatflowId: "" });
    expect(Either.isRight(checked)).toBe(true);
  });
});

describe("the rest", () => {
  it("reads unreadable stored values as not set", () => {
    expect(readStoredConfig({ pageId: 5, appSecret: "", verifyToken: "v" })).toEqual({
      pageId: null,
      appSecret: null,
      pageAccessToken: null,
      verifyToken: "v",
      chatflowId: null,
      defaultChatflowId: null,
      humanAgentTag: false,
    });
  });
  it("hints at a secret by its last four characters and builds the webhook URL", () => {
    expect(hintOf(SECRET)).toBe("cdef");
    expect(hintOf(null)).toBeNull();
    expect(webhookUrlFor("https://p.example.com/", "chan_a b")).toBe("https://p.example.com/api/messenger/chan_a%20b/webhook");
  });
  it("the default chatflow is a valid flow document", () => {
    expect(Either.isRight(decodeFlowDocument(defaultFlowDocument("messenger_chan_x", "Page bot")))).toBe(true);
  });
});
