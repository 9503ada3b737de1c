import { describe, expect, it } from "vitest";
import { attachmentsOf, createFileUrls, fileRefusal, isThumbnail, MAX_FILE_BYTES, sizeLabel } from "./files.js";

describe("fileRefusal", () => {
  it("refuses an empty file and one over 10 MB before uploading; 10 MB exactly may go", () => {
    expect(MAX_FILE_BYTES).toBe(10 * 1024 * 1024);
    expect(fileRefusal({ size: 0 })).toBe("empty");
    expect(fileRefusal({ size: 1 })).toBeNull();
    expect(fileRefusal({ size: MAX_FILE_BYTES })).toBeNull();
    expect(fileRefusal({ size: MAX_FILE_BYTES + 1 })).toBe("tooLarge");
  });
});

describe("sizeLabel", () => {
  it("reads bytes, KB and MB with one decimal at most, in the widget's language", () => {
    expect(sizeLabel(0)).toBe("0 B");
    expect(sizeLabel(512)).toBe("512 B");
    expect(sizeLabel(1536)).toBe("1.5 KB");
    expect(sizeLabel(MAX_FILE_BYTES)).toBe("10 MB");
    expect(sizeLabel(2.25 * 1024 * 1024)).toBe("2.3 MB");
    expect(sizeLabel(1536, "de")).toBe("1,5 KB");
  });
});

describe("isThumbnail and attachmentsOf", () => {
  it("shows only plain raster images as thumbnails", () => {
    for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) expect(isThumbnail({ type })).toBe(true);
    for (const type of ["image/svg+xml", "application/pdf", "text/html", ""]) expect(isThumbnail({ type })).toBe(false);
  });

  it("keeps only well-formed entries", () => {
    const good = { id: "att_1", name: "a.pdf", type: "application/pdf", size: 3 };
    expect(attachmentsOf([good, { id: "", name: "x", type: "t", size: 1 }, { id: "att_2", name: 5 }, null, "x"])).toEqual([good]);
    expect(attachmentsOf(undefined)).toEqual([]);
    expect(attachmentsOf({ length: 1 })).toEqual([]);
  });
});

describe("createFileUrls", () => {
  it("fetches each file once, retries one that failed, and revokes every URL on reset", async () => {
    const fetched: string[] = [];
    const revoked: string[] = [];
    let fail = true;
    let made = 0;
    const urls = createFileUrls(
      async (id) => {
        fetched.push(id);
        if (id === "bad" && fail) throw new Error("offline");
        return new Blob([id]);
      },
      () => `blob:test/${++made}`,
      (url) => revoked.push(url),
    );
    const [a, again] = await Promise.all([urls.url("a"), urls.url("a")]);
    expect(a).toBe("blob:test/1");
    expect(again).toBe(a);
    await expect(urls.url("bad")).rejects.toThrow("offline");
    fail = false;
    expect(await urls.url("bad")).toBe("blob:test/2");
    expect(fetched).toEqual(["a", "bad", "bad"]);
    urls.revokeAll();
    await new Promise((r) => setTimeout(r, 0));
    expect(revoked.sort()).toEqual(["blob:test/1", "blob:test/2"]);
    // After a reset a file is fetched anew.
    expect(await urls.url("a")).toBe("blob:test/3");
  });
});
