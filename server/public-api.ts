import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";

export interface PublicApi {
  /** Serves the request when it is a public API route; false lets Remix have it. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Ends long-lived responses (SSE streams) so a graceful shutdown can finish. */
  readonly close: () => void;
}

/** Placeholder until the public chat API lands: handles nothing. */
export const createPublicApi = (_runtime: AppRuntime): PublicApi => ({
  handle: () => false,
  close: () => {},
});
