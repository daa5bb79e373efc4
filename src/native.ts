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

/**
 * Hands the addon V8's `gc` so it can collect the young generation after every 16 MiB of
 * fresh tensor memory: garbage tensors then free their buffers within a few ops instead of
 * at the next major GC. `--expose-gc` set at run time exposes `gc` to new contexts only,
 * hence the fresh context. Without it (another engine, or the flag refused) tensors are
 * still freed, by V8's own GC schedule. FERROTORCH_NO_SCAVENGE=1 turns this off.
 */
function installCollector(): void {
  if (process.env.FERROTORCH_NO_SCAVENGE === '1') return
  try {
    const v8 = require_('node:v8') as typeof import('node:v8')
    const vm = require_('node:vm') as typeof import('node:vm')
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc')
    if (typeof gc === 'function') N.setCollector(gc, { type: 'minor' })
  } catch {
    // Keep V8's schedule.
  }
}
installCollector()
