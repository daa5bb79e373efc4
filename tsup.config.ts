import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  dts: true,
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node18',
  // The native loader stays a runtime require of the package root's index.js.
  external: [/\.\.\/index\.js$/],
})
