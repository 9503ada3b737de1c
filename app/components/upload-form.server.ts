/**
 * Reading a form post that may carry a file (multipart): the file read into memory with a cap
 * enforced while it streams in, and a declared length past the cap refused before anything
 * reads the body. Shared by the pages that take an upload (contacts import, closed dates from a
 * calendar); each says in its own words what is too large.
 */
import { MaxPartSizeExceededError, unstable_createMemoryUploadHandler, unstable_parseMultipartFormData } from "@remix-run/node";

/** Room for the form's other fields beside the file. */
const FORM_ROOM_BYTES = 64 * 1024;

const isMultipart = (request: Request) => (request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");

/** Whether a multipart post declares more bytes than a file of `maxBytes` and the form around it. Call it before anything reads the body. */
export const declaredTooLarge = (request: Request, maxBytes: number): boolean => {
  const declared = Number(request.headers.get("Content-Length") ?? "");
  return isMultipart(request) && Number.isFinite(declared) && declared > maxBytes + FORM_ROOM_BYTES;
};

/**
 * The post's fields: a plain form as it is, a multipart one with its files read into memory up
 * to `maxBytes` each — else a refusal on `file`: 413 with `tooLarge`, 400 for a body that breaks off.
 */
export const readUploadForm = async (
  request: Request,
  maxBytes: number,
  tooLarge: string,
): Promise<{ readonly ok: true; readonly form: FormData } | { readonly ok: false; readonly status: number; readonly errors: Readonly<Record<string, string>> }> => {
  if (!isMultipart(request)) return { ok: true, form: await request.formData() };
  try {
    return { ok: true, form: await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: maxBytes })) };
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) return { ok: false, status: 413, errors: { file: tooLarge } };
    return { ok: false, status: 400, errors: { file: "the upload was cut short: send the file again" } };
  }
};
