import { Effect, Exit, Layer } from "effect";
import { newQuickJSWASMModule, type QuickJSRuntime } from "quickjs-emscripten";
import { beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../core/types.js";
import {
  CodeFailed,
  CodeSandbox,
  type CodeRequest,
  codeEvent,
  effectiveTimeoutMs,
  makeCodeSandboxLayer,
} from "./code-sandbox.js";

const runWith = (layer: Layer.Layer<CodeSandbox>, request: Partial<CodeRequest> & { source: string }) =>
  Effect.runPromise(
    Effect.exit(
      CodeSandbox.pipe(
        Effect.flatMap((sandbox) => sandbox.run({ inputs: {}, outputs: [], timeoutMs: 1_000, ...request })),
        Effect.provide(layer),
      ),
    ),
  );

const failureOf = (exit: Exit.Exit<Record<string, Json>, CodeFailed>): CodeFailed => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined;
  if (error === undefined) throw new Error(`expected a CodeFailed, got a defect: ${String(exit.cause)}`);
  return error;
};

const successOf = (exit: Exit.Exit<Record<string, Json>, CodeFailed>): Record<string, Json> => {
  if (Exit.isFailure(exit)) throw new Error(`expected a success, got ${JSON.stringify(exit.cause)}`);
  return exit.value;
};

// One layer (one WASM module) for the whole file, as the server would have.
let layer: Layer.Layer<CodeSandbox>;
const run = (request: Partial<CodeRequest> & { source: string }) => runWith(layer, request);

beforeAll(async () => {
  const module = await newQuickJSWASMModule();
  layer = makeCodeSandboxLayer({ loadModule: async () => module });
});

describe("CodeSandbox.run", () => {
  it("passes inputs in and keeps only the declared outputs", async () => {
    const exit = await run({
      source: `
        const total = inputs.items.reduce((sum, item) => sum + item.price * item.qty, 0);
        return { total, label: inputs.name.toUpperCase(), secret: "dropped", tags: ["a", { b: null }] };
      `,
      inputs: { name: "ada", items: [{ price: 2.5, qty: 2 }, { price: 1, qty: 3 }] },
      outputs: ["total", "label", "tags", "missing"],
    });
    expect(successOf(exit)).toEqual({ total: 8, label: "ADA", tags: ["a", { b: null }] });
  });

  it("returns {} for a snippet with no outputs that returns nothing", async () => {
    expect(successOf(await run({ source: "const x = 1;" }))).toEqual({});
  });

  it("keeps an output named like an Object.prototype property as plain data", async () => {
    const exit = await run({ source: `return JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}')`, outputs: ["__proto__", "constructor"] });
    const outputs = successOf(exit);
    expect(Object.getPrototypeOf(outputs)).toBe(Object.prototype);
    expect(Object.keys(outputs).sort()).toEqual(["__proto__", "constructor"]);
    expect(outputs["constructor"]).toBe(2);
  });

  it("stops an infinite loop at the deadline", async () => {
    const started = Date.now();
    const error = failureOf(await run({ source: "while (true) {}", timeoutMs: 150 }));
    expect(error.reason).toBe("timeout");
    expect(error.message).toBe("the code took longer than 150 ms");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("does not let the snippet catch the deadline", async () => {
    const error = failureOf(await run({ source: "for (;;) { try { while (true) {} } catch (e) {} }", timeoutMs: 100 }));
    expect(error.reason).toBe("timeout");
  });

  it("caps any deadline at 5 s", () => {
    expect(effectiveTimeoutMs(60_000)).toBe(5_000);
    expect(effectiveTimeoutMs(250)).toBe(250);
    expect(effectiveTimeoutMs(0)).toBe(1);
    expect(effectiveTimeoutMs(Number.NaN)).toBe(5_000);
  });

  it("stops memory bombs at the memory limit", async () => {
    for (const source of [
      "const all = []; while (true) all.push({ n: all.length, s: 'x' + all.length });",
      "return { x: new Array(1e8).fill(0).length };",
    ]) {
      const error = failureOf(await run({ source, outputs: ["x"], timeoutMs: 5_000 }));
      expect([source, error.reason]).toEqual([source, "memory"]);
      expect(error.message).toBe("the code used more than 32 MB of memory");
    }
  });

  it("reports deep recursion and deeply nested data as a stack overflow", async () => {
    for (const source of [
      "const f = (n) => f(n + 1) + 1; return { n: f(0) };",
      "let o = {}; for (let i = 0; i < 100000; i++) o = { a: o }; return { n: JSON.stringify(o).length };",
    ]) {
      const error = failureOf(await run({ source, outputs: ["n"] }));
      expect([source, error.reason]).toEqual([source, "stack_overflow"]);
    }
    expect(successOf(await run({ source: "return { n: 1 };", outputs: ["n"] }))).toEqual({ n: 1 });
  });

  it("survives source nested deeper than Node's stack: the module is replaced and the next run works", async () => {
    const wasm = await newQuickJSWASMModule();
    let loads = 0;
    const counting = makeCodeSandboxLayer({
      loadModule: async () => {
        loads++;
        return loads === 1 ? wasm : newQuickJSWASMModule();
      },
    });
    // The QuickJS parser recurses per parenthesis without checking its own stack limit, so
    // Node's stack runs out inside the WASM first (found while choosing the limits).
    const nested = "(".repeat(9_000) + "1" + ")".repeat(9_000);
    const program = Effect.gen(function* () {
      const sandbox = yield* CodeSandbox;
      const crashed = yield* Effect.exit(sandbox.run({ source: `return { n: ${nested} };`, inputs: {}, outputs: ["n"], timeoutMs: 1_000 }));
      const next = yield* sandbox.run({ source: "return { n: 41 + 1 };", inputs: {}, outputs: ["n"], timeoutMs: 1_000 });
      return { crashed, next };
    });
    const { crashed, next } = await Effect.runPromise(program.pipe(Effect.provide(counting)));
    expect(failureOf(crashed)).toMatchObject({ reason: "stack_overflow" });
    expect(loads).toBe(2);
    expect(next).toEqual({ n: 42 });
  });

  it("exposes no require, process, fetch or other host objects", async () => {
    const exit = await run({
      source: `return {
        require: typeof require, process: typeof process, fetch: typeof fetch,
        globalProcess: typeof globalThis.process, setTimeout: typeof setTimeout, importMeta: typeof globalThis.std,
        os: typeof globalThis.os, XMLHttpRequest: typeof XMLHttpRequest, WebAssembly: typeof WebAssembly,
      };`,
      outputs: ["require", "process", "fetch", "globalProcess", "setTimeout", "importMeta", "os", "XMLHttpRequest", "WebAssembly"],
    });
    const outputs = successOf(exit);
    for (const [name, type] of Object.entries(outputs)) expect([name, type]).toEqual([name, "undefined"]);
  });

  it("reports require() as a thrown ReferenceError", async () => {
    const error = failureOf(await run({ source: "const fs = require('fs');\nreturn { x: fs.readFileSync('/etc/passwd', 'utf8') };", outputs: ["x"] }));
    expect(error.reason).toBe("thrown");
    expect(error.message).toBe("ReferenceError: 'require' is not defined (line 1)");
  });

  it("loads no modules: a dynamic import never settles", async () => {
    const exit = await run({
      source: "let state = 'pending'; import('fs').then(() => { state = 'loaded' }, () => { state = 'refused' }); return { state };",
      outputs: ["state"],
    });
    expect(successOf(exit)).toEqual({ state: "pending" });
  });

  it("surfaces a thrown error's message and line", async () => {
    const error = failureOf(await run({ source: "const a = 1;\nif (a) {\n  throw new Error('no price for ' + inputs.sku);\n}", inputs: { sku: "X-1" } }));
    expect(error).toMatchObject({ reason: "thrown", message: "Error: no price for X-1 (line 3)" });
  });

  it("describes thrown non-errors", async () => {
    expect(failureOf(await run({ source: "throw 'plain text'" })).message).toBe("the code threw plain text");
    expect(failureOf(await run({ source: "throw { code: 7 }" })).message).toBe('the code threw {"code":7}');
  });

  it("tells a JSON.parse SyntaxError thrown at run time from a syntax error in the code", async () => {
    const runtime = failureOf(await run({ source: "return JSON.parse(inputs.raw);", inputs: { raw: "{oops" } }));
    expect(runtime.reason).toBe("thrown");
    expect(runtime.message).toMatch(/^SyntaxError: .*\(line 1\)$/);
    const parse = failureOf(await run({ source: "const ok = 1;\nreturn { a: 1 " }));
    expect(parse.reason).toBe("syntax_error");
    expect(parse.message).toMatch(/^SyntaxError: /);
  });

  it("refuses results that are not an object of JSON values", async () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["return 42;", /returned a number; it must return an object such as \{ x: … \}/],
      ["return [1];", /returned an array/],
      ["return;", /returned undefined/],
      ["return { x: () => 1 };", /^x is a function, which JSON cannot hold$/],
      ["return { x: 10n };", /^x is a bigint/],
      ["return { x: NaN };", /^x is NaN/],
      ["return { x: [1, undefined] };", /^x\[1\] is undefined/],
      ["return { x: new Date(0) };", /^x is a Date; return plain objects/],
      ["const o = {}; o.self = o; return { x: o };", /^x(\.self)+ is nested deeper than 64 levels$/],
      ["return Promise.resolve({ x: 1 });", /returned a Promise/],
    ];
    for (const [source, message] of cases) {
      const error = failureOf(await run({ source, outputs: ["x"] }));
      expect([source, error.reason]).toEqual([source, "bad_result"]);
      expect(error.message).toMatch(message);
    }
  });

  it("ignores non-JSON values in undeclared outputs", async () => {
    expect(successOf(await run({ source: "return { x: 1, helper: () => 2 };", outputs: ["x"] }))).toEqual({ x: 1 });
  });

  it("refuses outputs larger than the result cap", async () => {
    const small = makeCodeSandboxLayer({ maxResultBytes: 1_024 });
    const error = failureOf(await runWith(small, { source: "return { x: 'y'.repeat(5000) };", outputs: ["x"] }));
    expect(error).toMatchObject({ reason: "bad_result", message: "the outputs are 5 KB of JSON; the limit is 1 KB" });
  });

  it("keeps a snippet's overwritten built-ins from breaking the result check", async () => {
    const exit = await run({ source: "JSON.stringify = () => 'garbage'; Array.isArray = () => true; return { x: [1, 2] };", outputs: ["x"] });
    expect(successOf(exit)).toEqual({ x: [1, 2] });
  });

  it("captures console.log lines and hands them back with a failure", async () => {
    const error = failureOf(await run({ source: "for (let i = 0; i < 30; i++) console.log('step', i, { i });\nthrow new Error('stop');" }));
    expect(error.logs).toHaveLength(20);
    expect(error.logs[0]).toBe('step 0 {"i":0}');
  });

  it("isolates runs: a global set in one run is not visible in the next", async () => {
    successOf(await run({ source: "globalThis.leak = 'from run 1'; Object.prototype.polluted = true; return {};" }));
    const exit = await run({
      source: "return { leak: typeof leak, polluted: typeof ({}).polluted };",
      outputs: ["leak", "polluted"],
    });
    expect(successOf(exit)).toEqual({ leak: "undefined", polluted: "undefined" });
  });

  it("runs 50 snippets in a row, disposing every runtime, without growing WASM memory", async () => {
    const wasm = await newQuickJSWASMModule();
    const runtimes: Array<QuickJSRuntime> = [];
    const tracking = makeCodeSandboxLayer({
      loadModule: async () => ({
        newRuntime: (options) => {
          const runtime = wasm.newRuntime(options);
          runtimes.push(runtime);
          return runtime;
        },
      }),
    });
    const sources = [
      "return { y: inputs.x * 2 };",
      "throw new Error('x');",
      "return { y: () => 1 };",
      "return { y: ",
      "console.log('hi'); return { y: [inputs.x, { z: 'w' }] };",
      "while (true) {}",
    ];
    const runAll = async (times: number) => {
      for (let i = 0; i < times; i++) {
        const exit = await runWith(tracking, { source: sources[i % sources.length], inputs: { x: i }, outputs: ["y"], timeoutMs: 20 });
        // A runtime that still owns an object aborts on dispose, which would surface here as a defect.
        if (Exit.isFailure(exit)) expect([i, exit.cause._tag, String(exit.cause)]).toEqual([i, "Fail", expect.any(String)]);
        else expect(exit.value).toEqual({ y: i % sources.length === 0 ? i * 2 : [i, { z: "w" }] });
      }
    };
    await runAll(12);
    const before = wasm.getWasmMemory().buffer.byteLength;
    await runAll(50);
    expect(runtimes).toHaveLength(62);
    expect(runtimes.filter((runtime) => runtime.alive)).toHaveLength(0);
    expect(wasm.getWasmMemory().buffer.byteLength).toBe(before);
  });
});

describe("codeEvent", () => {
  it("turns outputs into code_result and failures into code_error", () => {
    expect(codeEvent("n1", Exit.succeed({ a: 1 }))).toEqual({ type: "code_result", nodeId: "n1", outputs: { a: 1 } });
    expect(codeEvent("n1", Exit.fail(new CodeFailed({ reason: "timeout", message: "the code took longer than 5 ms", logs: [] })))).toEqual({
      type: "code_error",
      nodeId: "n1",
      message: "the code took longer than 5 ms",
    });
    expect(codeEvent("n1", Exit.die(new Error("bug")))).toEqual({ type: "code_error", nodeId: "n1", message: "the code sandbox failed unexpectedly" });
  });
});
