/** The thread's pure email and size helpers: what an agent reads above and under an email. */
import { describe, expect, it } from "vitest";
import { addressLabel, baseSubject, humanSize, notStoredNote, subjectShownOn } from "./thread-messages.js";

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
