/**
 * Email channels: inbound mail (Parley's SMTP server), threading, and replies sent by SMTP.
 * (A skeleton: the service's work arrives with its channel.)
 */
import { Context, Layer } from "effect";

export interface EmailChannelShape {}

export class EmailChannel extends Context.Tag("EmailChannel")<EmailChannel, EmailChannelShape>() {}

export const emailChannelLayer: Layer.Layer<EmailChannel> = Layer.succeed(EmailChannel, {});
