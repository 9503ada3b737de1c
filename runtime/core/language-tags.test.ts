import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeWith } from "../../flows/decode.js";
import { encodeLanguages, Languages, languagesOfText, primaryLanguage, readLanguage, storedLanguages } from "./language-tags.js";

describe("language tags", () => {
  it("reads a visitor's tag by its primary subtag, and nothing from what has none", () => {
    expect(["de-AT", "DE", "en_GB", "gsw-CH", " fr "].map(primaryLanguage)).toEqual(["de", "de", "en", "gsw", "fr"]);
    expect(["", "*", "d", "deutsch", "1e-AT"].map(primaryLanguage)).toEqual([null, null, null, null, null]);
  });

  it("stores a language as its canonical primary tag, and says why it refuses one", () => {
    expect(readLanguage("DE")).toEqual({ ok: true, language: "de" });
    expect(readLanguage("iw")).toEqual({ ok: true, language: "he" });
    expect(readLanguage("gsw")).toEqual({ ok: true, language: "gsw" });
    expect(readLanguage("xx")).toEqual({ ok: false, message: '"xx" is not a language we know' });
    // Codes that name no language a person answers in.
    for (const code of ["und", "zxx", "mul", "mis"]) expect(readLanguage(code).ok).toBe(false);
    expect(readLanguage("pt-BR")).toEqual({ ok: false, message: '"pt-BR": give the language alone, without a region or script: pt' });
    expect(readLanguage("english").ok).toBe(false);
    expect(readLanguage("").ok).toBe(false);
  });

  it("decodes a list in its order, each once, at most 20", () => {
    const decode = decodeWith(Languages);
    expect(decode(["en", "DE", "en"])).toEqual(Either.right(["en", "de"]));
    expect(Either.isLeft(decode(Array.from({ length: 21 }, () => "en")))).toBe(true);
  });

  it("reads a form's text, stores none as NULL and reads back only what is a list of strings", () => {
    expect(languagesOfText(" de, en;fr  it ")).toEqual(["de", "en", "fr", "it"]);
    expect(languagesOfText("  ")).toEqual([]);
    expect(encodeLanguages([])).toBeNull();
    expect(encodeLanguages(["de", "en"])).toBe('["de","en"]');
    expect(storedLanguages('["de","en"]')).toEqual(["de", "en"]);
    expect([null, "not json", '{"de":1}', "[1]"].map(storedLanguages)).toEqual([[], [], [], []]);
  });
});
