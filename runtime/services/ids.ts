import { randomBytes } from "node:crypto";

/** A random, URL-safe id with a readable prefix, e.g. `conv_3k9Xa…` (128 bits of randomness). */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(16).toString("base64url")}`;

/** A random secret (256 bits), hex. */
export const newSecret = (): string => randomBytes(32).toString("hex");
