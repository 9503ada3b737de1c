/**
 * The Messenger webhook (/api/messenger/…). (A skeleton: it arrives with the channel.)
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { sendRouteNotFound } from "./http-util.js";

export const handleMessengerRequest = async (
  _runtime: AppRuntime,
  _req: IncomingMessage,
  res: ServerResponse,
  _path: string,
  _query: URLSearchParams,
): Promise<void> => sendRouteNotFound(res);
