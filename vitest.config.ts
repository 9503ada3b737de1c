import { configDefaults, defineConfig } from "vitest/config";

/**
 * Test files that need a module graph of their own: reports.test.ts replaces `node:crypto`'s
 * randomInt with `vi.mock`, which only takes hold where the engine is loaded afresh. (The code
 * sandbox's tests stay in the forks: a worker thread's smaller stack breaks their deep-nesting test.)
 */
const ISOLATED = ["runtime/services/reports.test.ts"];
/**
 * Test files that spend most of their time waiting on a server they started (a mailbox's IDLE
 * reconnects, the crash test's kills and restarts): in the threads pool too, which runs beside the
 * forks pool's two workers, so their waits leave both cores to the other files. The whole run,
 * back to back on this machine: 157–175 s → 133–142 s.
 */
const WAITING = ["tests/api/email-imap-idle.test.ts", "tests/api/crash.test.ts", "tests/api/email-imap.test.ts"];
const ALL = ["flows/**/*.test.ts", "runtime/**/*.test.ts", "server/**/*.test.ts", "app/**/*.test.ts", "app/**/*.test.tsx", "widget/**/*.test.ts", "tests/unit/**/*.test.ts", "tests/api/**/*.test.ts"];
const base = { environment: "node", testTimeout: 30_000, hookTimeout: 60_000 } as const;

export default defineConfig({
  test: {
    // Every other file runs in a fork that keeps its module graph from the files before it:
    // loading Effect, the store and the runtime once per worker rather than once per file halves
    // vitest's time (runtime/services + app/components + widget, back to back on this machine:
    // collect 139 s → 11 s, the run 346 s → 166 s). Files restore what they stub or fake.
    // Isolation is a property of a pool, not of a project (vitest starts one pool per kind for
    // the whole run), so the isolated files run in worker threads, whose pool isolates each file.
    poolOptions: { forks: { isolate: false }, threads: { isolate: true } },
    // Two workers on a two-core machine: vitest's default (one fewer than the cores) leaves a core
    // idle while a file waits on a server it started, a socket or a timer. 270 s → 166 s for the
    // whole run, back to back.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      // Each project states its options in full: one that extends the root adds the root's include
      // list to its own rather than replacing it.
      { test: { ...base, name: "shared", pool: "forks", include: ALL, exclude: [...configDefaults.exclude, ...ISOLATED, ...WAITING] } },
      { test: { ...base, name: "isolated", pool: "threads", include: [...ISOLATED, ...WAITING] } },
    ],
  },
});
