/**
 * For tests that guard a single writer (calendar-history.test.ts, target-history.test.ts): the
 * source files (not tests) under runtime/, server/, app/ and flows/ whose text matches `writes`,
 * other than `allowed` (paths relative to the repository root), relative to the root.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const sourceFilesMatching = (writes: (text: string) => boolean, allowed: ReadonlyArray<string>): string[] => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(path);
    }
  };
  for (const dir of ["runtime", "server", "app", "flows"]) walk(join(root, dir));
  return files
    .map((path) => relative(root, path))
    .filter((path) => !allowed.includes(path))
    .filter((path) => writes(readFileSync(join(root, path), "utf8")));
};
