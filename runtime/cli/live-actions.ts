/**
 * The real webhook client and code sandbox behind the CLI's `--live`, `--webhooks=live` and
 * `--code=run` switches. Each runs in its own Effect runtime, built on first use: loading the
 * QuickJS WASM module takes a moment, and a `flow test` that stubs everything should not pay.
 * And the real knowledge search behind `flow chat --database`.
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect, ManagedRuntime } from "effect";
import { CodeSandbox, CodeSandboxLive, codeEvent } from "../services/code-sandbox.js";
import { knowledgeEvent } from "../services/engine-commands.js";
import { WebhookClient, makeWebhookClientLayer, webhookEvent } from "../services/webhook-client.js";
import type { ActionExecutor } from "./conversation.js";

/** The real webhook and code executors plus the way to release what they hold. */
export interface LiveActions extends Pick<ActionExecutor, "webhook" | "code"> {
  /** Releases the runtimes (a no-op for one never used). */
  readonly dispose: () => Promise<void>;
}

/**
 * Real executors: `code` runs snippets in the QuickJS sandbox, `webhook` makes the HTTP call.
 * The CLI runs on the flow author's machine, so webhooks may call private addresses such as a
 * server on localhost — which the production runtime refuses.
 */
export const makeLiveActions = (): LiveActions => {
  let codeRuntime: ManagedRuntime.ManagedRuntime<CodeSandbox, never> | undefined;
  let webhookRuntime: ManagedRuntime.ManagedRuntime<WebhookClient, never> | undefined;
  return {
    code: async (command) => {
      codeRuntime ??= ManagedRuntime.make(CodeSandboxLive);
      const exit = await codeRuntime.runPromiseExit(
        Effect.flatMap(CodeSandbox, (sandbox) =>
          sandbox.run({ source: command.source, inputs: command.inputs, outputs: command.outputs, timeoutMs: command.timeoutMs })
        )
      );
      return codeEvent(command.nodeId, exit);
    },
    webhook: async (command) => {
      webhookRuntime ??= ManagedRuntime.make(makeWebhookClientLayer({ allowPrivateNetworks: true }));
      const exit = await webhookRuntime.runPromiseExit(
        Effect.flatMap(WebhookClient, (client) =>
          client.call({
            method: command.method,
            url: command.url,
            headers: command.headers,
            body: command.body,
            timeoutMs: command.timeoutMs,
          })
        )
      );
      return webhookEvent(command.nodeId, exit);
    },
    dispose: async () => {
      await Promise.all([codeRuntime?.dispose(), webhookRuntime?.dispose()]);
    },
  };
};

/** Knowledge searches in a Parley database, and the way to close it. */
export interface DatabaseKnowledge {
  readonly knowledge: ActionExecutor["knowledge"];
  readonly close: () => void;
}

/**
 * Opens a Parley database read-only so that `flow chat` searches its published articles as the
 * engine does, linking them under `publicUrl`. Throws an Error saying why when the file cannot
 * be opened or has no knowledge base (a database older than migration 25).
 */
export const openKnowledgeBase = (path: string, publicUrl: string): DatabaseKnowledge => {
  let db: BetterSqlite3.Database;
  try {
    // Read-only: chatting with a flow never changes the workspace; fileMustExist keeps a typo from creating one.
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new Error(`cannot open the database ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
  const hasArticles = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'knowledge_articles'").get();
  if (hasArticles === undefined) {
    db.close();
    throw new Error(`${path} has no knowledge base (not a Parley database, or one older than the knowledge base)`);
  }
  const base = publicUrl.replace(/\/+$/, "");
  return {
    knowledge: async (command) => knowledgeEvent({ prepare: (sql) => db.prepare(sql) }, command, base),
    close: () => db.close(),
  };
};
