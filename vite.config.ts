import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import remixConfig from "./remix.config.js";

export default defineConfig({
  // The Remix plugin must not run under vitest (it would try to build routes).
  plugins: process.env.VITEST ? [] : [remix(remixConfig)],
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  ssr: {
    // @monaco-editor/react is CommonJS without `exports`; bundling it fixes the SSR default export.
    noExternal: [/^@monaco-editor\//],
  },
  optimizeDeps: { include: ["@xyflow/react", "@monaco-editor/react", "effect"] },
  server: { hmr: { port: 24679 } },
});
