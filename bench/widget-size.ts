/**
 * Widget weight: builds the loader and the chat UI chunk in memory (widget/build.mjs) and
 * reports their raw and gzipped sizes (node:zlib, level 9). Targets: loader ≤ 3 KB gzipped,
 * chat UI ≤ 20 KB gzipped — the peers' embeds weigh 197–286 KB gzipped.
 */
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { buildWidget } from "../widget/build.mjs";

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/** The gzip level-9 size of `bytes`, as a CDN or the server's compression would send it. */
export const gzipBytes = (bytes: Uint8Array): number => gzipSync(bytes, { level: 9 }).byteLength;

/** Builds the widget (without writing) and returns its four size figures. */
export const run = async (): Promise<ReadonlyArray<Figure>> => {
  const { loader, ui } = await buildWidget({ write: false });
  return [
    { name: "widget.loader_gzip_bytes", unit: "B", value: gzipBytes(loader) },
    { name: "widget.loader_raw_bytes", unit: "B", value: loader.byteLength },
    { name: "widget.ui_gzip_bytes", unit: "B", value: gzipBytes(ui) },
    { name: "widget.ui_raw_bytes", unit: "B", value: ui.byteLength },
  ];
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
}
