/** Words for an article's status, as the knowledge pages show them. Pure; safe on the client. */
import type { ArticleStatus } from "../../runtime.server.js";

export const articleStatusLabels: Readonly<Record<ArticleStatus, string>> = {
  draft: "Draft",
  published: "Published",
};
