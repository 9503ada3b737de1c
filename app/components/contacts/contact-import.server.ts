/**
 * Reading the contacts import's posts: the upload (multipart, the file capped at 5 MB while it
 * streams in, a declared length past the cap refused before anything reads the body) and the
 * import step's form, turned into the ContactCsv service's input. The service judges the values.
 */
import { data } from "@remix-run/node";
import { MAX_IMPORT_BYTES } from "../../runtime.server.js";
import { declaredTooLarge, readUploadForm } from "../upload-form.server.js";

/** What a refused post says, under the field it is about. */
export interface ImportRefusal {
  readonly status: number;
  readonly errors: Readonly<Record<string, string>>;
}

const MB = Math.round(MAX_IMPORT_BYTES / (1024 * 1024));
export const TOO_LARGE_MESSAGE = `the file is over ${MB} MB, the most an import reads: split it into smaller files`;

/** 413 when an upload declares more bytes than the file may have plus room for the form; else null. Call it before anything reads the body. */
export const uploadTooLarge = (request: Request) =>
  declaredTooLarge(request, MAX_IMPORT_BYTES)
    ? data({ step: "upload" as const, errors: { file: TOO_LARGE_MESSAGE } as Record<string, string>, result: null }, { status: 413 })
    : null;

/**
 * The post's fields: a plain form as it is, a multipart one with its file read into memory up
 * to 5 MB (413 past it, 400 for a body that breaks off).
 */
export const readImportForm = (request: Request): Promise<{ readonly ok: true; readonly form: FormData } | ({ readonly ok: false } & ImportRefusal)> =>
  readUploadForm(request, MAX_IMPORT_BYTES, TOO_LARGE_MESSAGE);

/**
 * The upload step's file (a post with a `file` field is the upload step): its name and bytes, a
 * refusal (400) when no file was chosen, or null for the import step's post.
 */
export const uploadedFile = async (
  form: FormData,
): Promise<{ readonly ok: true; readonly name: string; readonly bytes: Uint8Array } | ({ readonly ok: false } & ImportRefusal) | null> => {
  const file = form.get("file");
  if (file === null) return null;
  if (!(file instanceof File) || file.size === 0) return { ok: false, status: 400, errors: { file: "choose a CSV file to upload" } };
  return { ok: true, name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
};

/** The import step's form as the service's input: the upload id, one target per column (`mapping.<i>`), the options. Pure. */
export const importInput = (form: FormData): Record<string, unknown> => {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const columns = Math.max(0, Math.min(100, Number.parseInt(text("columns") ?? "0", 10) || 0));
  const input: Record<string, unknown> = {
    id: text("id") ?? "",
    mapping: Array.from({ length: columns }, (_, i) => text(`mapping.${i}`) ?? "ignore"),
    onDuplicate: text("onDuplicate") ?? "",
  };
  for (const key of ["ownerId", "listId", "defaultCountry"] as const) {
    const value = text(key);
    if (value !== undefined && value.trim() !== "") input[key] = value.trim();
  }
  return input;
};

/** Messages by the issue's whole path (`mapping[2]`, `ownerId`), `form` for the rest. Pure. */
export const importErrors = (error: { readonly message: string; readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }> }) => {
  const out: Record<string, string> = {};
  for (const issue of error.issues ?? []) out[issue.path || "form"] ??= issue.message;
  if ((error.issues ?? []).length === 0) out.form = error.message;
  return out;
};
