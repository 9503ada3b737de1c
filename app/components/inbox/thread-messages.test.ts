/** The thread's pure email and size helpers: what an agent reads above and under an email. */
import { describe, expect, it } from "vitest";
import { addressLabel, baseSubject, hasThumbnail, humanSize, notStoredNote, subjectShownOn } from "./thread-messages.js";

const email = (subject: string | null) => ({ subject, from: { address: "a@b.test", name: null }, to: [], cc: [], attachments: [], attachmentsNotListed: 0 });

describe("humanSize", () => {
  it("reads bytes as a person does, 1024-based", () => {
    expect([0, 512, 1024, 1536, 48_213, 1_200_000, 5 * 1024 ** 3].map(humanSize)).toEqual(["0 B", "512 B", "1 KB", "1.5 KB", "47 KB", "1.1 MB", "5 GB"]);
    expect(humanSize(null)).toBe("size unknown");
    expect(humanSize(-1)).toBe("size unknown");
  });

  it("says why a file was not stored when the payload knows", () => {
    expect(notStoredNote("too large: over 10 MB per file")).toBe("(not stored: too large: over 10 MB per file)");
    expect(notStoredNote(undefined)).toBe("(not stored)");
  });
});

describe("hasThumbnail", () => {
  it("shows a small picture only for a stored plain image, never for SVG, HTML or a file that was not stored", () => {
    expect(["image/png", "image/jpeg", "image/gif", "image/webp"].map((type) => hasThumbnail({ id: "att_1", type }))).toEqual([true, true, true, true]);
    expect(hasThumbnail({ type: "image/jpeg" })).toBe(false);
    expect(["image/svg+xml", "text/html", "application/pdf", "video/mp4"].map((type) => hasThumbnail({ id: "att_1", type }))).toEqual([false, false, false, false]);
    expect(hasThumbnail({ id: "att_1", type: null })).toBe(false);
  });
});

describe("addresses and subjects", () => {
  it("names an address as a mail client does", () => {
    expect(addressLabel({ address: "ann@customer.test", name: "Ann" })).toBe("Ann <ann@customer.test>");
    expect(addressLabel({ address: "ann@customer.test", name: null })).toBe("ann@customer.test");
  });

  it("shows the subject on the first email and where it changes, not on each Re:", () => {
    expect(baseSubject("Re: RE:  Fwd: Invoice   42")).toBe("invoice 42");
    expect(baseSubject("AW[2]: Rechnung")).toBe("rechnung");
    const shown = subjectShownOn([
      { id: "1", email: email("Invoice 42") },
      { id: "2" },
      { id: "3", email: email("Re: Invoice 42") },
      { id: "4", email: email("New topic") },
      { id: "5", email: email("") },
      { id: "6", email: email(null) },
      { id: "7", email: email("RE: new topic") },
    ]);
    expect([...shown]).toEqual(["1", "4", "7"]);
  });
});

describe("a visitor's Messenger files in the thread", () => {
  it("lists each with a download link (a photo with its small picture), and a file not stored with the reason", async () => {
    const { createElement } = await import("react");
    const { renderToStaticMarkup } = await import("react-dom/server");
    const { ThreadMessages } = await import("./thread-messages.js");
    const html = renderToStaticMarkup(
      createElement(ThreadMessages, {
        conversationId: "conv_1",
        lastReadMessageId: 0,
        truncated: false,
        now: 1_700_000_000_000,
        messages: [
          {
            id: "7",
            author: "visitor",
            authorName: null,
            userId: null,
            text: "[image] [video]",
            internal: false,
            createdAt: 1_700_000_000_000,
            attachments: [
              { id: "att_photo", name: "broken-part.jpg", type: "image/jpeg", size: 40_006 },
              { name: "clip.mp4", type: "video/mp4", size: null, skipped: "too large: over 10 MB per file" },
            ],
          },
        ],
      }),
    );
    expect(html).toContain('<ul class="attachments" aria-label="Attachments">');
    expect(html).toMatch(/<a href="\/inbox\/attachments\/att_photo" download="broken-part.jpg"><img class="attachments__thumbnail" src="\/inbox\/attachments\/att_photo" alt="" loading="lazy"[^>]*\/>broken-part.jpg<\/a>/);
    expect(html).toContain("<span>clip.mp4</span> <span class=\"muted\">(size unknown) (not stored: too large: over 10 MB per file)</span>");
    expect(html.match(/<img/g)).toHaveLength(1);
  });
});
