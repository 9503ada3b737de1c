/**
 * The composer's check of the files an agent chose, before the upload: the server's limits
 * said at the list, with the file to mark.
 */
import { describe, expect, it } from "vitest";
import { ATTACHMENT_MESSENGER_MAX_FILE_BYTES, attachmentReplyLimits, attachmentReplyLimitsFor } from "../../../runtime/services/attachments.js";
import { MESSENGER_MAX_FILE_BYTES, replyFileLimits, replyFilesWhere } from "./composer-logic.js";
import { chosenFilesProblem } from "./composer.js";

const limits = { maxFiles: 3, maxFileBytes: 100, maxMailBytes: 250 };
const file = (name: string, size: number) => ({ name, size });

describe("chosenFilesProblem", () => {
  it("lets files within the limits go", () => {
    expect(chosenFilesProblem([], limits)).toBeNull();
    expect(chosenFilesProblem([file("a", 100), file("b", 100), file("c", 50)], limits)).toBeNull();
  });

  it("marks the file over the per-file limit, and says the count and the total for the list", () => {
    expect(chosenFilesProblem([file("a", 10), file("big.mov", 101)], limits)).toEqual({
      index: 1,
      message: "“big.mov” is over 100 B: remove it, or share it another way.",
    });
    expect(chosenFilesProblem([file("a", 1), file("b", 1), file("c", 1), file("d", 1), file("e", 1)], limits)).toEqual({
      index: null,
      message: "At most 3 files can go with one reply: remove 2.",
    });
    expect(chosenFilesProblem([file("a", 100), file("b", 100), file("c", 51)], limits)).toEqual({
      index: null,
      message: "The files come to 251 B; one reply carries at most 250 B.",
    });
  });
});

describe("replyFileLimits", () => {
  const MB = 1024 * 1024;

  it("offers files on email, Messenger and chat replies, never without the server's limits", () => {
    expect(replyFileLimits("email", limits)).toBe(limits);
    expect(replyFileLimits("messenger", limits)).toEqual(limits);
    expect(replyFileLimits("chat", limits)).toBe(limits);
    expect(replyFileLimits("chat", null)).toBeNull();
    expect(replyFileLimits("email", null)).toBeNull();
    expect(replyFileLimits("messenger", null)).toBeNull();
  });

  it("holds a Messenger reply's files to the Send API's 25 MB each, the server's rule, and says where the files go", () => {
    const wide = { maxFiles: 10, maxFileBytes: 100 * MB, maxMailBytes: 200 * MB };
    const messenger = replyFileLimits("messenger", wide)!;
    expect(messenger).toEqual({ maxFiles: 10, maxFileBytes: 25 * MB, maxMailBytes: 200 * MB });
    expect(chosenFilesProblem([file("clip.mov", 26 * MB)], messenger)).toEqual({ index: 0, message: "“clip.mov” is over 25 MB: remove it, or share it another way." });
    expect(chosenFilesProblem([file("clip.mov", 26 * MB)], replyFileLimits("email", wide)!)).toBeNull();
    expect(replyFilesWhere("email")).toBe("Sent with the email");
    expect(replyFilesWhere("messenger")).toBe("Sent on Messenger after the text, one message per file");
    expect(replyFilesWhere("chat")).toBe("Shown in the chat; the visitor downloads them");
  });

  it("checks what the server checks: the same limits for each way out, with the server's own or wider limits", () => {
    expect(MESSENGER_MAX_FILE_BYTES).toBe(ATTACHMENT_MESSENGER_MAX_FILE_BYTES);
    for (const base of [attachmentReplyLimits, { maxFiles: 10, maxFileBytes: 100 * MB, maxMailBytes: 200 * MB }]) {
      for (const via of ["chat", "email", "messenger"] as const) expect(replyFileLimits(via, base)).toEqual(attachmentReplyLimitsFor(via, base));
    }
  });
});
