/** The parts of hoodiecrow-imap (a scriptable IMAP server, untyped) the tests use. */
declare module "hoodiecrow-imap" {
  import type { Server } from "node:net";

  interface HoodiecrowMessage {
    raw: string;
    flags: string[];
    uid?: number;
    internaldate?: string | Date;
  }
  interface HoodiecrowMailbox {
    messages: HoodiecrowMessage[];
    uidvalidity: number;
    uidnext: number;
  }
  interface HoodiecrowOptions {
    plugins?: string[];
    storage?: Record<string, { messages?: Array<{ raw: string; flags?: string[] }>; folders?: Record<string, unknown> }>;
    users?: Record<string, { password: string }>;
    debug?: boolean;
    /** TLS from the first byte, with hoodiecrow's own self-signed certificate. */
    secureConnection?: boolean;
  }
  interface HoodiecrowServer {
    readonly server: Server;
    listen(port: number, host: string, callback: () => void): void;
    close(callback: () => void): void;
    getMailbox(path: string): HoodiecrowMailbox | undefined;
    appendMessage(mailbox: string, flags: string[], internaldate: Date, raw: string): { message: HoodiecrowMessage };
  }
  function hoodiecrow(options: HoodiecrowOptions): HoodiecrowServer;
  export default hoodiecrow;
}
