/**
 * The outside channels' HTTP endpoints, in front of the public chat API: form submissions
 * (/api/forms/…, server/form-api.ts) and the Messenger webhook (/api/messenger/…,
 * server/messenger-webhook.ts). Each answers its own errors in the public API's JSON shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { handleFormRequest } from "./form-api.js";
import { sendInternalError, splitUrl } from "./http-util.js";
import { handleMessengerRequest } from "./messenger-webhook.js";

export interface ChannelRoutes {
  /** Serves /api/forms/… and /api/messenger/…; false for every other path. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export const createChannelRoutes = (runtime: AppRuntime): ChannelRoutes => ({
  handle: (req, res) => {
    const url = req.url ?? "/";
    if (!url.startsWith("/api/forms/") && !url.startsWith("/api/messenger/")) return false;
    const { path, query } = splitUrl(url);
    const serve = path.startsWith("/api/forms/") ? handleFormRequest : handleMessengerRequest;
    serve(runtime, req, res, path, query).catch((error: unknown) => {
      console.error(`${path}: unexpected error`, error);
      if (!res.headersSent) sendInternalError(res);
      else res.end();
    });
    return true;
  },
});
