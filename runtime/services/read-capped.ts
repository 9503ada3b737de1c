/**
 * Reading a body stream with a cap: the whole body, or null as soon as more than `maxBytes` have
 * arrived (the rest is never read). For bodies from outside — a webhook's response, a form post —
 * whose size is theirs to choose.
 */

/**
 * The bytes of `body` (empty for none), or null once it passes `maxBytes`; the stream is then
 * cancelled without waiting (a teed branch's cancel settles only when its twin ends too). An
 * aborted `signal` cancels the read.
 */
export const readCapped = async (
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array<ArrayBuffer> | null> => {
  if (body === null) return new Uint8Array(new ArrayBuffer(0));
  const reader = body.getReader();
  signal?.addEventListener("abort", () => void reader.cancel().catch(() => undefined), { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(new ArrayBuffer(size));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
};
