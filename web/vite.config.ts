/**
 * Vite build of the browser app (web/). `node scripts/build.mjs` runs it into dist/web/, which
 * `carto serve` serves at `/` (src/server/web-assets.ts). The app imports a few pure modules of the
 * server (the registry model and the ASTCT grading) so that the browser and the server share one copy.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  logLevel: 'warn',
});
