/**
 * The code sandbox: runs a code node's snippet — the body of `function (inputs) { … }` — in
 * QuickJS compiled to WebAssembly, with a CPU deadline, a memory cap and a stack cap, and
 * returns the declared outputs as JSON. Nothing from the host is reachable inside: QuickJS has
 * no file system, network, process, timers or module loader, and the only globals added are
 * a `console` whose lines are kept in memory (see docs/decisions/003-code-sandbox.md).
 */
import { Cause, Context, Data, Effect, Exit, Layer, Option } from "effect";
import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from "quickjs-emscripten";
import type { InterpreterEvent, Json } from "../core/types.js";

// ---------------------------------------------------------------------------------------------
// Contract

export interface CodeRequest {
  /** The snippet: the body of a function receiving `inputs` and returning an object. */
  readonly source: string;
  readonly inputs: Readonly<Record<string, Json>>;
  /** Names kept from the returned object; every other property is dropped. */
  readonly outputs: ReadonlyArray<string>;
  /** The node's CPU deadline; clamped to 1 ms … `maxTimeoutMs`. */
  readonly timeoutMs: number;
}

export type CodeFailureReason =
  /** The snippet does not parse. */
  | "syntax_error"
  /** The snippet threw (or a built-in it called threw). */
  | "thrown"
  /** Still running at the deadline. */
  | "timeout"
  /** Allocated past the memory limit. */
  | "memory"
  /** Recursed (or nested data / source) too deeply. */
  | "stack_overflow"
  /** Returned something other than an object of JSON values, or too much of it. */
  | "bad_result";

export class CodeFailed extends Data.TaggedError("CodeFailed")<{
  readonly reason: CodeFailureReason;
  readonly message: string;
  /** What the snippet printed with `console.log` before failing (capped). */
  readonly logs: ReadonlyArray<string>;
}> {}

export interface CodeSandboxShape {
  /** Runs one snippet in a fresh QuickJS runtime; resolves to the declared outputs it returned. */
  readonly run: (request: CodeRequest) => Effect.Effect<Record<string, Json>, CodeFailed>;
}

export class CodeSandbox extends Context.Tag("CodeSandbox")<CodeSandbox, CodeSandboxShape>() {}

/** The part of a QuickJS WASM module the sandbox uses (tests pass a leak-tracking wrapper). */
export type SandboxModule = Pick<QuickJSWASMModule, "newRuntime">;

export interface CodeSandboxOptions {
  /** Upper bound on any node's deadline (default 5,000 ms, the spec's own maximum). */
  readonly maxTimeoutMs?: number;
  /** Heap limit of one run's QuickJS runtime (default 32 MB). */
  readonly memoryLimitBytes?: number;
  /**
   * QuickJS stack limit (default 128 KB). Each QuickJS frame also uses Node's own stack, and
   * with 512 KB a plain recursion overflowed Node's stack before QuickJS noticed, so this is
   * kept well under Node's ~1 MB.
   */
  readonly maxStackBytes?: number;
  /** Largest JSON of the returned outputs (default 256 KB). */
  readonly maxResultBytes?: number;
  /** `console.log` lines kept per run (default 20, each cut at 500 characters). */
  readonly maxLogLines?: number;
  /** Loads the WASM module (default: a new release-sync QuickJS module). */
  readonly loadModule?: () => Promise<SandboxModule>;
}

/** The limits used when an option is not given. */
export const CODE_SANDBOX_DEFAULTS = {
  maxTimeoutMs: 5_000,
  memoryLimitBytes: 32 * 1024 * 1024,
  maxStackBytes: 128 * 1024,
  maxResultBytes: 256 * 1024,
  maxLogLines: 20,
} as const;

// ---------------------------------------------------------------------------------------------
// Inside the sandbox
//
// The harness is evaluated first in every fresh context. It captures the built-ins it needs
// before the snippet runs, so a snippet that overwrites `JSON` or `Array.isArray` only spoils
// its own result — which the host parses and checks again anyway.

const MAX_DEPTH = 64;

const harnessSource = (maxLogLines: number): string => `(() => {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, isArray = Array.isArray;
  const getPrototypeOf = Object.getPrototypeOf, defineProperty = Object.defineProperty;
  const hasOwn = Object.hasOwn, keys = Object.keys, isFinite = Number.isFinite;
  const ObjectPrototype = Object.prototype, FunctionCtor = Function, StringCtor = String;
  const logs = [];
  const show = (value) => {
    if (typeof value === "string") return value;
    try { const text = stringify(value); return text === undefined ? StringCtor(value) : text; }
    catch { try { return StringCtor(value); } catch { return "[value]"; } }
  };
  const log = (...args) => {
    if (logs.length >= ${maxLogLines}) return;
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i > 0 ? " " : "") + show(args[i]);
    logs.push(line.length > 500 ? line.slice(0, 500) + "…" : line);
  };
  globalThis.console = Object.freeze({ log, info: log, warn: log, error: log, debug: log });

  class BadResult { constructor(message) { this.message = message; } }
  const kindOf = (value) => {
    if (value === null) return "null";
    if (isArray(value)) return "an array";
    if (typeof value !== "object") return typeof value === "undefined" ? "undefined" : "a " + typeof value;
    const proto = getPrototypeOf(value);
    const name = proto && proto.constructor && typeof proto.constructor.name === "string" ? proto.constructor.name : "";
    return name ? "a " + name : "an object";
  };
  // A copy holding JSON values only; anything JSON would silently change is refused instead.
  const toJson = (value, path, depth) => {
    if (depth > ${MAX_DEPTH}) throw new BadResult(path + " is nested deeper than ${MAX_DEPTH} levels");
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (!isFinite(value)) throw new BadResult(path + " is " + StringCtor(value) + ", which JSON cannot hold");
      return value;
    }
    if (typeof value !== "object") throw new BadResult(path + " is " + kindOf(value) + ", which JSON cannot hold");
    if (isArray(value)) {
      const copy = [];
      for (let i = 0; i < value.length; i++) {
        if (value[i] === undefined) throw new BadResult(path + "[" + i + "] is undefined, which JSON cannot hold");
        copy.push(toJson(value[i], path + "[" + i + "]", depth + 1));
      }
      return copy;
    }
    const proto = getPrototypeOf(value);
    if (proto !== ObjectPrototype && proto !== null) throw new BadResult(path + " is " + kindOf(value) + "; return plain objects, arrays, strings, numbers, booleans or null");
    const copy = {};
    for (const key of keys(value)) {
      const item = value[key];
      if (item !== undefined) defineProperty(copy, key, { value: toJson(item, path + "." + key, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  };

  let snippet;
  return {
    prepare(source) { snippet = new FunctionCtor("inputs", source); },
    // "ok:" + JSON of the kept outputs, or "bad:" + why the result is refused.
    invoke(inputsJson, outputsJson) {
      const outputs = parse(outputsJson);
      const result = snippet(parse(inputsJson));
      try {
        if (result === undefined && outputs.length === 0) return "ok:{}";
        if (result === null || typeof result !== "object" || isArray(result)) {
          throw new BadResult("the code returned " + kindOf(result) + "; it must return an object" + (outputs.length > 0 ? " such as { " + outputs[0] + ": … }" : ""));
        }
        if (typeof result.then === "function") throw new BadResult("the code returned a Promise; code runs synchronously, so return the object itself");
        const kept = {};
        for (const name of outputs) {
          if (!hasOwn(result, name) || result[name] === undefined) continue;
          defineProperty(kept, name, { value: toJson(result[name], name, 0), enumerable: true, writable: true, configurable: true });
        }
        return "ok:" + stringify(kept);
      } catch (error) {
        if (error instanceof BadResult) return "bad:" + error.message;
        throw error;
      }
    },
    // [name, message, stack, lineNumber] of a thrown value, as JSON.
    describe(error) {
      try {
        if (error !== null && (typeof error === "object" || typeof error === "function")) {
          const name = typeof error.name === "string" ? error.name : "";
          const message = typeof error.message === "string" ? error.message : show(error);
          const stack = typeof error.stack === "string" ? error.stack : "";
          const line = typeof error.lineNumber === "number" ? error.lineNumber : 0;
          return stringify([name, message, stack, line]);
        }
        return stringify(["", show(error), "", 0]);
      } catch {
        return stringify(["", "a value that could not be described", "", 0]);
      }
    },
    logs() { return stringify(logs); },
  };
})()`;

// ---------------------------------------------------------------------------------------------
// One run (host side, synchronous)

interface Limits {
  readonly maxTimeoutMs: number;
  readonly memoryLimitBytes: number;
  readonly maxStackBytes: number;
  readonly maxResultBytes: number;
  readonly maxLogLines: number;
}

type RunOutcome =
  | { readonly _tag: "Done"; readonly outputs: Record<string, Json> }
  | { readonly _tag: "Failed"; readonly error: CodeFailed }
  /** The host itself threw (Node's stack ran out inside the WASM, or the module aborted). */
  | { readonly _tag: "Crashed"; readonly cause: unknown };

/** The deadline a request gets: its own timeout, kept within 1 ms … `maxTimeoutMs`. Pure. */
export const effectiveTimeoutMs = (timeoutMs: number, maxTimeoutMs: number = CODE_SANDBOX_DEFAULTS.maxTimeoutMs): number =>
  Number.isFinite(timeoutMs) ? Math.min(Math.max(Math.floor(timeoutMs), 1), maxTimeoutMs) : maxTimeoutMs;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

// The Function constructor puts two lines before the body, so `<input>:3` is the snippet's line 1.
const LINE_OFFSET = 2;
const snippetLine = (line: number, source: string): number | undefined => {
  const lines = source.split("\n").length;
  return line > LINE_OFFSET ? Math.min(line - LINE_OFFSET, lines) : undefined;
};

interface ThrownDescription {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  readonly line: number;
}

const readDescription = (text: string): ThrownDescription => {
  const parsed: unknown = JSON.parse(text);
  if (Array.isArray(parsed) && parsed.length === 4) {
    const [name, message, stack, line] = parsed as ReadonlyArray<unknown>;
    if (typeof name === "string" && typeof message === "string" && typeof stack === "string" && typeof line === "number") {
      return { name, message, stack, line };
    }
  }
  return { name: "", message: "a value that could not be described", stack: "", line: 0 };
};

const readLogs = (text: string, max: number): ReadonlyArray<string> => {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((line): line is string => typeof line === "string").slice(0, max) : [];
};

/** Runs `request` in a fresh runtime of `module`; never throws (host failures come back as Crashed). */
const runOnce = (module: SandboxModule, request: CodeRequest, limits: Limits): RunOutcome => {
  const timeoutMs = effectiveTimeoutMs(request.timeoutMs, limits.maxTimeoutMs);
  const handles: Array<QuickJSHandle> = [];
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  try {
    runtime = module.newRuntime();
    // The clock starts when the snippet is compiled: installing the harness is our cost, and
    // on a busy machine it could otherwise eat a 10 ms deadline before the snippet begins.
    let deadline = Number.POSITIVE_INFINITY;
    let interrupted = false;
    runtime.setInterruptHandler(() => {
      if (Date.now() <= deadline) return false;
      interrupted = true;
      return true;
    });
    runtime.setMemoryLimit(limits.memoryLimitBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    context = runtime.newContext();
    const ctx = context;
    const rt = runtime;
    const keep = (handle: QuickJSHandle): QuickJSHandle => {
      handles.push(handle);
      return handle;
    };

    const installed = ctx.evalCode(harnessSource(limits.maxLogLines), "parley-harness.js");
    if (installed.error) {
      keep(installed.error);
      throw new Error(`the sandbox harness did not start: ${JSON.stringify(ctx.dump(installed.error))}`);
    }
    const harness = keep(installed.value);
    const call = (method: string, ...args: ReadonlyArray<string | QuickJSHandle>) => {
      const fn = keep(ctx.getProp(harness, method));
      const handleArgs = args.map((arg) => (typeof arg === "string" ? keep(ctx.newString(arg)) : arg));
      const result = ctx.callFunction(fn, harness, ...handleArgs);
      keep(result.error ?? result.value);
      return result;
    };
    const stringOf = (handle: QuickJSHandle): string | undefined =>
      ctx.typeof(handle) === "string" ? ctx.getString(handle) : undefined;

    // Reading the logs and the thrown value is our own code: give it headroom past the limits
    // the snippet may have exhausted.
    const afterFailure = (): void => {
      rt.setMemoryLimit(limits.memoryLimitBytes + 4 * 1024 * 1024);
      deadline = Date.now() + 200;
    };
    const logs = (): ReadonlyArray<string> => {
      const result = call("logs");
      const text = result.error ? undefined : stringOf(result.value);
      return text === undefined ? [] : readLogs(text, limits.maxLogLines);
    };
    const failed = (reason: CodeFailureReason, message: string): RunOutcome => ({
      _tag: "Failed",
      error: new CodeFailed({ reason, message: cut(message, 500), logs: logs() }),
    });
    const failure = (thrown: QuickJSHandle, stage: "compile" | "run"): RunOutcome => {
      const timedOut = interrupted;
      afterFailure();
      if (timedOut) return failed("timeout", `the code took longer than ${timeoutMs} ms`);
      const described = call("describe", thrown);
      const text = described.error ? undefined : stringOf(described.value);
      const error = text === undefined ? readDescription("null") : readDescription(text);
      if (error.name === "InternalError" && error.message === "out of memory") {
        return failed("memory", `the code used more than ${Math.round(limits.memoryLimitBytes / (1024 * 1024))} MB of memory`);
      }
      if (error.name === "InternalError" && error.message === "stack overflow") {
        return failed("stack_overflow", "the code recursed too deeply (stack overflow)");
      }
      if (stage === "compile") {
        const line = snippetLine(error.line, request.source);
        return failed("syntax_error", `${error.name || "SyntaxError"}: ${error.message}${line ? ` (line ${line})` : ""}`);
      }
      // The snippet's innermost frame is the first one of a function compiled from `<input>`
      // (frames without a function name are JSON.parse positions, not code).
      const frame = /\(<input>:(\d+):\d+\)/.exec(error.stack);
      const line = frame ? snippetLine(Number(frame[1]), request.source) : undefined;
      const what = error.name ? `${error.name}: ${error.message}` : `the code threw ${error.message}`;
      return failed("thrown", `${what}${line ? ` (line ${line})` : ""}`);
    };

    const outcome = ((): RunOutcome => {
      deadline = Date.now() + timeoutMs;
      const prepared = call("prepare", request.source);
      if (prepared.error) return failure(prepared.error, "compile");
      const invoked = call("invoke", JSON.stringify(request.inputs), JSON.stringify(request.outputs));
      if (invoked.error) return failure(invoked.error, "run");
      const text = stringOf(invoked.value) ?? "bad:the sandbox returned no result";
      if (text.startsWith("bad:")) {
        afterFailure();
        return failed("bad_result", text.slice(4));
      }
      const json = text.slice(3);
      const bytes = Buffer.byteLength(json);
      if (bytes > limits.maxResultBytes) {
        afterFailure();
        return failed("bad_result", `the outputs are ${Math.ceil(bytes / 1024)} KB of JSON; the limit is ${Math.round(limits.maxResultBytes / 1024)} KB`);
      }
      return { _tag: "Done", outputs: keepDeclared(JSON.parse(json), request.outputs) };
    })();

    // Disposal runs only on the normal path: a QuickJS runtime that still owns objects aborts
    // on dispose, which is how a handle leak shows up (as a crash) instead of passing silently.
    for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
    ctx.dispose();
    rt.dispose();
    return outcome;
  } catch (cause) {
    // After a host-side throw the WASM memory may be inconsistent; nothing is disposed here
    // because the caller throws the whole module away.
    return { _tag: "Crashed", cause };
  }
};

/** The declared outputs of a parsed result, as a fresh object (checked again on the host side). Pure. */
const keepDeclared = (parsed: unknown, outputs: ReadonlyArray<string>): Record<string, Json> => {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  const source = parsed as Record<string, Json>;
  return Object.fromEntries(outputs.filter((name) => Object.hasOwn(source, name)).map((name) => [name, source[name]]));
};

const isHostStackOverflow = (cause: unknown): boolean =>
  cause instanceof RangeError && /call stack/i.test(cause.message);

// ---------------------------------------------------------------------------------------------
// Layer

/** Builds the sandbox: loads the WASM module once (again only after a crash), one fresh runtime per run. */
export const makeCodeSandboxLayer = (options: CodeSandboxOptions = {}): Layer.Layer<CodeSandbox> =>
  Layer.effect(
    CodeSandbox,
    Effect.gen(function* () {
      const limits: Limits = {
        maxTimeoutMs: options.maxTimeoutMs ?? CODE_SANDBOX_DEFAULTS.maxTimeoutMs,
        memoryLimitBytes: options.memoryLimitBytes ?? CODE_SANDBOX_DEFAULTS.memoryLimitBytes,
        maxStackBytes: options.maxStackBytes ?? CODE_SANDBOX_DEFAULTS.maxStackBytes,
        maxResultBytes: options.maxResultBytes ?? CODE_SANDBOX_DEFAULTS.maxResultBytes,
        maxLogLines: options.maxLogLines ?? CODE_SANDBOX_DEFAULTS.maxLogLines,
      };
      const load = options.loadModule ?? (() => newQuickJSWASMModule());
      // Loaded at layer build, so the first visitor to reach a code node does not pay for it.
      let module: Promise<SandboxModule> = load();
      yield* Effect.promise(() => module);

      const run: CodeSandboxShape["run"] = Effect.fn("CodeSandbox.run")(function* (request) {
        const current = yield* Effect.promise(() => module);
        const outcome = runOnce(current, request, limits);
        switch (outcome._tag) {
          case "Done":
            return outcome.outputs;
          case "Failed":
            return yield* Effect.fail(outcome.error);
          case "Crashed": {
            // A fresh module costs a few tens of ms; reusing a possibly corrupted one is not an option.
            module = load();
            if (isHostStackOverflow(outcome.cause)) {
              return yield* Effect.fail(
                new CodeFailed({
                  reason: "stack_overflow",
                  message: "the code is nested or recurses too deeply (stack overflow)",
                  logs: [],
                }),
              );
            }
            return yield* Effect.die(outcome.cause);
          }
        }
      });
      return { run };
    }),
  );

/** The sandbox with the default limits (32 MB, 128 KB stack, deadline ≤ 5 s). */
export const CodeSandboxLive: Layer.Layer<CodeSandbox> = makeCodeSandboxLayer();

// ---------------------------------------------------------------------------------------------
// Feeding the outcome back to the interpreter

/** The interpreter event for a code node's outcome: `code_result`, or `code_error` for any failure (defects included). Pure. */
export const codeEvent = (
  nodeId: string,
  exit: Exit.Exit<Record<string, Json>, CodeFailed>,
): Extract<InterpreterEvent, { readonly type: "code_result" | "code_error" }> =>
  Exit.match(exit, {
    onSuccess: (outputs) => ({ type: "code_result", nodeId, outputs }),
    onFailure: (cause) => ({
      type: "code_error",
      nodeId,
      message: Option.match(Cause.failureOption(cause), {
        onSome: (error) => error.message,
        onNone: () => (Cause.isInterruptedOnly(cause) ? "the code run was interrupted" : "the code sandbox failed unexpectedly"),
      }),
    }),
  });
