/** Which Messenger file URLs are fetched, and what a fetched file is called. Pure; no network. */
import { describe, expect, it } from "vitest";
import { messengerFileName, messengerFileUrlCheck } from "./messenger-files.js";

const GRAPH = "https://graph.facebook.com/v21.0";
const FAKE_GRAPH = "http://127.0.0.1:4567/v21.0";

const reasonOf = (raw: string | null, graph = GRAPH) => {
  const checked = messengerFileUrlCheck(raw, graph);
  return checked.ok ? null : checked.reason;
};

describe("messengerFileUrlCheck", () => {
  it("takes any https URL, such as Meta's CDN's", () => {
    const checked = messengerFileUrlCheck("https://scontent.xx.fbcdn.net/v/t1.15752-9/4812_n.jpg?_nc_cat=1&oh=abc", GRAPH);
    expect(checked.ok && checked.url.hostname).toBe("scontent.xx.fbcdn.net");
  });

  it("takes plain http only on the Graph API's own origin (the tests' fake server), not on another port or host", () => {
    expect(reasonOf("http://127.0.0.1:4567/files/photo.jpg", FAKE_GRAPH)).toBeNull();
    expect(reasonOf("http://127.0.0.1:4568/files/photo.jpg", FAKE_GRAPH)).toBe("only https URLs are fetched, not http (http://127.0.0.1:4568)");
    expect(reasonOf("http://localhost:4567/files/photo.jpg", FAKE_GRAPH)).toMatch(/^only https URLs are fetched/);
    // In production the Graph origin is https, so plain http is never fetched.
    expect(reasonOf("http://graph.facebook.com/photo.jpg")).toBe("only https URLs are fetched, not http (http://graph.facebook.com)");
  });

  it("refuses other schemes, credentials, relative and missing URLs with a reason", () => {
    expect(reasonOf("file:///etc/passwd")).toMatch(/^only https URLs are fetched, not file/);
    expect(reasonOf("ftp://cdn.test/a.jpg")).toMatch(/^only https URLs are fetched, not ftp/);
    expect(reasonOf("data:image/png;base64,AAAA")).toMatch(/^only https URLs are fetched, not data/);
    expect(reasonOf("https://user:secret@cdn.test/a.jpg")).toBe("its URL carries a user name or password");
    expect(reasonOf("/files/a.jpg")).toBe("its URL is not a valid URL");
    expect(reasonOf("not a url")).toBe("its URL is not a valid URL");
    expect(reasonOf(null)).toBe("Messenger sent no URL for it");
  });
});

describe("messengerFileName", () => {
  const url = (raw: string) => new URL(raw);

  it("names a file after the last segment of its URL's path, query left out", () => {
    expect(messengerFileName(url("https://scontent.xx.fbcdn.net/v/t1.15752-9/4812_1505_n.jpg?_nc_cat=1&oh=abc"), "image", "image/jpeg")).toBe("4812_1505_n.jpg");
    expect(messengerFileName(url("https://cdn.fbsbx.com/v/t59.2708-21/1234_n.pdf/Invoice%20March%202026.pdf?dl=1"), "file", "application/pdf")).toBe(
      "Invoice March 2026.pdf",
    );
  });

  it("sanitises the name: no path tricks, no bidi overrides, no reserved characters", () => {
    expect(messengerFileName(url("https://cdn.test/x/..%2F..%2Fetc%2Fpasswd"), "file", "text/plain")).toBe("passwd");
    expect(messengerFileName(url("https://cdn.test/x/invoice%E2%80%AEfdp.exe"), "file", "application/octet-stream")).toBe("invoicefdp.exe");
    expect(messengerFileName(url("https://cdn.test/x/what%3F%3Cnow%3E.txt"), "file", "text/plain")).toBe("what__now_.txt");
    // A stray "%" is no escape: the segment is kept as it came.
    expect(messengerFileName(url("https://cdn.test/x/100%.png"), "image", "image/png")).toBe("100%.png");
  });

  it("falls back to <kind>.<ext> from the content type when the path names nothing", () => {
    expect(messengerFileName(url("https://cdn.test/"), "image", "image/jpeg; charset=binary")).toBe("image.jpg");
    expect(messengerFileName(url("https://cdn.test/dir/"), "audio", "audio/mpeg")).toBe("audio.mp3");
    expect(messengerFileName(url("https://cdn.test/.."), "video", "video/mp4")).toBe("video.mp4");
    expect(messengerFileName(url("https://cdn.test/%20%20"), "sticker", "image/png")).toBe("sticker.png");
    expect(messengerFileName(null, "file", "application/x-unknown")).toBe("file");
    expect(messengerFileName(null, "file", "")).toBe("file");
  });
});
