/**
 * Messenger channels: the page's webhook, bot and agent replies through the Send API.
 * (A skeleton: the service's work arrives with its channel.)
 */
import { Context, Layer } from "effect";

export interface MessengerChannelShape {}

export class MessengerChannel extends Context.Tag("MessengerChannel")<MessengerChannel, MessengerChannelShape>() {}

export const messengerChannelLayer: Layer.Layer<MessengerChannel> = Layer.succeed(MessengerChannel, {});
