/**
 * Form channels: each submission opens a conversation and a ticket.
 * (A skeleton: the service's work arrives with its channel.)
 */
import { Context, Layer } from "effect";

export interface FormChannelShape {}

export class FormChannel extends Context.Tag("FormChannel")<FormChannel, FormChannelShape>() {}

export const formChannelLayer: Layer.Layer<FormChannel> = Layer.succeed(FormChannel, {});
