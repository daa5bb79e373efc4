// Loads the native addon written by `napi build` (root index.js picks the platform
// binary or the per-platform npm package) and says what to do when none fits.
import { createRequire } from 'node:module'

const require_ = createRequire(import.meta.url)

function load(): any {
  try {
    return require_('../index.js')
  } catch (e) {
    const err = new Error(
      `ferrotorch: no native binary for ${process.platform}-${process.arch} could be loaded. ` +
        'Prebuilt binaries ship for linux-x64-gnu, linux-arm64-gnu, darwin-x64, darwin-arm64 and win32-x64-msvc. ' +
        'To build from source (needs Rust from https://rustup.rs), run `npx ferrotorch-build` in the package directory.\n' +
        `Cause: ${(e as Error).message}`,
    )
    ;(err as any).cause = e
    throw err
  }
}

/** The raw napi functions; only the TypeScript layer calls these. */
export const N: any = load()
