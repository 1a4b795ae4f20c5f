import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// One config for the dev server, the production build (embedded by Tauri) and Vitest.
export default defineConfig({
  plugins: [react()],
  // Tauri prints its own output in the same terminal during `tauri dev`.
  clearScreen: false,
  server: {
    // Must match build.devUrl in ../tauri.conf.json; fail instead of silently moving to another port.
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // A whole test (several findBy/waitFor steps of up to 1 s each) gets 20 s: on a loaded 2-core CI
    // machine a jsdom test that passes in 150 ms once took 5 s and failed the default limit. A real
    // hang still fails, at the step that waits.
    testTimeout: 20_000,
  },
});
