/**
 * Parley's inbound SMTP server for email channels. (A skeleton: it arrives with the channel.)
 */
import type { AppRuntime } from "../runtime/services/app-layer.js";
import type { AppConfigShape } from "../runtime/services/config.js";

export interface EmailInbound {
  /** The port it listens on, or null when it does not run (SMTP_PORT unset). */
  readonly port: number | null;
  readonly stop: () => Promise<void>;
}

export const startEmailInbound = async (_runtime: AppRuntime, _config: AppConfigShape): Promise<EmailInbound> => ({
  port: null,
  stop: async () => {},
});
