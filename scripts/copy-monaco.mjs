// Copies Monaco's AMD build into public/monaco/vs so the editor loads from our own origin
// (no CDN at run time: self-hosters and offline machines need it). Runs at postinstall.
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "node_modules", "monaco-editor", "min", "vs");
const to = join(root, "public", "monaco", "vs");
if (!existsSync(from)) {
  console.warn("copy-monaco: monaco-editor is not installed; skipping");
} else {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
