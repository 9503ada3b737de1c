/**
 * The real webhook client and code sandbox behind the CLI's `--live`, `--webhooks=live` and
 * `--code=run` switches. Each runs in its own Effect runtime, built on first use: loading the
 * QuickJS WASM module takes a moment, and a `flow test` that stubs everything should not pay.
 */
import { Effect, ManagedRuntime } from "effect";
import { CodeSandbox, CodeSandboxLive, codeEvent } from "../services/code-sandbox.js";
import { WebhookClient, makeWebhookClientLayer, webhookEvent } from "../services/webhook-client.js";
import type { ActionExecutor } from "./conversation.js";

/** The real executors plus the way to release what they hold. */
export interface LiveActions extends ActionExecutor {
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
