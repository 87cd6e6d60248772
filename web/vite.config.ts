import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build is deterministic (content-hashed names, no timestamps), so the committed
// dist/ can be checked against a fresh build.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // No inline script may be emitted: the Content-Security-Policy forbids it.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/api": { target: process.env.ALLY_URL || "http://127.0.0.1:8080", changeOrigin: false } },
  },
});
