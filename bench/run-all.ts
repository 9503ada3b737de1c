/**
 * `npm run bench`: runs every benchmark module in bench/ that exports `run()` and prints
 * each figure as one JSON line `{"name","unit","value"}` on stdout. The HTTP runtime and
 * crash benches start servers and have their own scripts (bench:runtime, bench:crash).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const SEPARATE = new Set(["run-all.ts", "runtime-http.ts", "crash.ts"]);
const only = process.argv.slice(2);

const modules = readdirSync(here)
  .filter((file) => file.endsWith(".ts") && !SEPARATE.has(file) && !file.endsWith(".test.ts"))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

let failed = false;
for (const file of modules) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<ReadonlyArray<Figure>> | ReadonlyArray<Figure> };
  if (typeof module.run !== "function") continue;
  try {
    for (const figure of await module.run()) console.log(JSON.stringify(figure));
  } catch (error) {
    failed = true;
    console.error(`bench ${file} failed:`, error);
  }
}
process.exit(failed ? 1 : 0);
