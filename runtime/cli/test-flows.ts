/** Flow files the CLI's tests write: a one-node bot that hands every visitor off at once. */
import { writeFileSync } from "node:fs";

/**
 * Writes to `file` a canvas document named `id` whose only node hands off to `target` (the inbox's
 * routing by default), with the flow's `availability` settings as given; returns `file`.
 */
export const writeHandoffFlow = (file: string, id: string, options: { readonly target?: object; readonly availability?: object } = {}): string => {
  writeFileSync(
    file,
    JSON.stringify({
      id,
      name: id,
      kind: "bot",
      language: "en",
      startNodeId: "h",
      nodes: [{ id: "h", kind: "handoff", position: { x: 0, y: 0 }, data: { target: options.target ?? { type: "routing" }, message: "Someone is coming." } }],
      edges: [],
      variables: [],
      settings: options.availability === undefined ? {} : { availability: options.availability },
    }),
  );
  return file;
};
