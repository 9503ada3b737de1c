/**
 * `flow check`: validates every file given. Flows (editor documents and specs) are compiled or
 * checked against a compile context and print one line per diagnostic; the other Parley files
 * that live beside flows in git — `.test.json` flow tests and `context.json` — are validated as
 * what they are, so `flow check flows/examples/*.json` checks the whole folder.
 */
import { Either } from "effect";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { CompileContext } from "../../flows/compile.js";
import { decodeFlowTestFile } from "./flow-test-file.js";
import {
  EMPTY_CONTEXT,
  contextFileBeside,
  decodeCompileContext,
  detectKind,
  formatDecodeIssue,
  formatDiagnostic,
  loadCompileContext,
  loadFlowValue,
  readJsonFile,
} from "./load-flow-file.js";

export interface CheckOptions {
  /** A compile-context file for every flow; else each flow's folder's `context.json`, if any. */
  readonly contextFile?: string;
  /** Print only problems, not the `ok` line of each clean file. */
  readonly quiet?: boolean;
}

export interface CheckReport {
  /** Lines to print, in order. */
  readonly lines: ReadonlyArray<string>;
  readonly errors: number;
  readonly warnings: number;
  /** 1 when any file has an error (or could not be read), else 0. */
  readonly exitCode: 0 | 1;
}

const plural = (n: number, singular: string, many = `${singular}s`): string => `${n} ${n === 1 ? singular : many}`;

/** Checks the files and says what is wrong with each, in the order given. Reads files; never throws. */
export const checkFiles = (files: ReadonlyArray<string>, options: CheckOptions = {}): CheckReport => {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  const error = (line: string) => {
    errors++;
    lines.push(line);
  };
  const ok = (line: string) => {
    if (options.quiet !== true) lines.push(line);
  };

  let fixedContext: CompileContext | undefined;
  if (options.contextFile !== undefined) {
    const loaded = loadCompileContext(options.contextFile);
    if (Either.isLeft(loaded)) {
      error(`${loaded.left.file}: error: ${loaded.left.message}`);
      return { lines, errors, warnings, exitCode: 1 };
    }
    fixedContext = loaded.right;
  }
  const contexts = new Map<string, Either.Either<CompileContext, string> | undefined>();
  const contextFor = (file: string): Either.Either<CompileContext, string> | undefined => {
    if (fixedContext !== undefined) return Either.right(fixedContext);
    const folder = dirname(resolve(file));
    if (!contexts.has(folder)) {
      const beside = contextFileBeside(file);
      contexts.set(
        folder,
        beside === undefined
          ? undefined
          : loadCompileContext(beside).pipe(Either.mapLeft((p) => `${p.file}: error: ${p.message}`))
      );
    }
    return contexts.get(folder);
  };

  for (const file of files) {
    const parsed = readJsonFile(file);
    if (Either.isLeft(parsed)) {
      error(`${file}: error: ${parsed.left.message}`);
      continue;
    }
    const value = parsed.right;
    const kind = detectKind(value);
    if (kind === "test") {
      const decoded = decodeFlowTestFile(value);
      if (Either.isLeft(decoded)) {
        for (const issue of decoded.left) error(formatDecodeIssue(file, issue));
        continue;
      }
      const flow = resolve(dirname(file), decoded.right.flow);
      if (!existsSync(flow)) {
        error(`${file}: error [missing_flow] flow: the flow file ${decoded.right.flow} does not exist`);
        continue;
      }
      ok(
        `${file}: ok — flow test, ${plural(decoded.right.cases.length, "case")} for ${
          decoded.right.flow
        } (run it with \`flow test\`)`
      );
      continue;
    }
    if (kind === "context") {
      const decoded = decodeCompileContext(value);
      if (Either.isLeft(decoded)) {
        for (const issue of decoded.left) error(formatDecodeIssue(file, issue));
        continue;
      }
      const c = decoded.right;
      ok(
        `${file}: ok — compile context: ${plural(c.teams.length, "team")}, ${plural(c.users.length, "user")}, ${plural(
          c.contactProperties.length,
          "contact property",
          "contact properties"
        )}`
      );
      continue;
    }
    const found = contextFor(file);
    if (found !== undefined && Either.isLeft(found)) {
      error(found.left);
      continue;
    }
    const context = found?.right ?? EMPTY_CONTEXT;
    const loaded = loadFlowValue(file, value, context);
    if (Either.isLeft(loaded)) {
      error(`${file}: error: ${loaded.left.message}`);
      continue;
    }
    const flow = loaded.right;
    if (flow.decodeIssues !== undefined) {
      for (const issue of flow.decodeIssues) error(formatDecodeIssue(file, issue));
      continue;
    }
    let fileErrors = 0;
    let fileWarnings = 0;
    for (const d of flow.diagnostics) {
      if (d.severity === "error") fileErrors++;
      else fileWarnings++;
      lines.push(formatDiagnostic(file, d));
    }
    errors += fileErrors;
    warnings += fileWarnings;
    if (
      fileErrors > 0 &&
      found === undefined &&
      flow.diagnostics.some((d) => d.code === "unknown_team" || d.code === "unknown_user")
    ) {
      lines.push(`${file}: note: no context.json beside this file and no --context given, so no team or user is known`);
    }
    if (fileErrors === 0) {
      const what = flow.kind === "document" ? "FlowDocument" : "FlowSpec";
      const nodes = flow.spec?.nodes.length ?? 0;
      ok(
        `${file}: ok — ${what} "${flow.name ?? ""}", ${plural(nodes, "node")}${
          fileWarnings > 0 ? `, ${plural(fileWarnings, "warning")}` : ""
        }`
      );
    }
  }
  lines.push(`${plural(files.length, "file")} checked: ${plural(errors, "error")}, ${plural(warnings, "warning")}`);
  return { lines, errors, warnings, exitCode: errors > 0 ? 1 : 0 };
};
