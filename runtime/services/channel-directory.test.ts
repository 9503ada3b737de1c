import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ChannelDirectory, layer as directoryLayer } from "./channel-directory.js";
import { Database, layer as databaseLayer } from "./database.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<ChannelDirectory | Database, never>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-channels-"));
  runtime = ManagedRuntime.make(Layer.provideMerge(directoryLayer, databaseLayer({ path: join(dir, "test.sqlite") })));
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it("lists channels oldest first with their kind and inbox", async () => {
  expect(await runtime.runPromise(Effect.flatMap(ChannelDirectory, (d) => d.list()))).toEqual([]);
  await runtime.runPromise(
    Effect.flatMap(Database, (db) =>
      Effect.promise(() =>
        db.write((sqlite) => {
          sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inb_1', 'Support', 1)").run();
          sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chn_b', 'inb_1', 'email', 'Mail', 2)").run();
          sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chn_a', 'inb_1', 'chat', 'Website chat', 1)").run();
        }),
      ),
    ),
  );
  const channels = await runtime.runPromise(Effect.flatMap(ChannelDirectory, (d) => d.list()));
  expect(channels).toEqual([
    { id: "chn_a", name: "Website chat", kind: "chat", inboxId: "inb_1" },
    { id: "chn_b", name: "Mail", kind: "email", inboxId: "inb_1" },
  ]);
});
