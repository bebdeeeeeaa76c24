import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build goes to dist/, which the console function embeds. The folder's
// placeholder is kept (go:embed needs the folder); Makefile rebuilds it when
// a source changes.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    assetsDir: 'assets',
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
