// The timing protocol of WORKLOADS.md, shared by every JS benchmark.
import { readFileSync } from 'node:fs'

export interface Result {
  /** Median seconds per call. */
  median: number
  calls: number
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9
}

/**
 * 1 warm-up call, 1 timed call to pick k so one block lasts >= 0.25 s, min(k, 1000)
 * untimed calls, then 5 timed blocks of k calls (3 when one call takes > 1 s); the
 * median block gives the per-call time.
 */
export function bench(fn: () => unknown): Result {
  fn()
  let t0 = now()
  fn()
  const one = Math.max(now() - t0, 1e-9)
  const k = Math.max(1, Math.ceil(0.25 / one))
  if (k > 1) for (let i = 0; i < Math.min(k, 1000); i++) fn()
  const blocks = one > 1 ? 3 : 5
  const times: number[] = []
  for (let b = 0; b < blocks; b++) {
    t0 = now()
    for (let i = 0; i < k; i++) fn()
    times.push((now() - t0) / k)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], calls: k * blocks }
}

/**
 * Peak resident set size of this process in KiB: VmHWM from /proc on Linux, else
 * process.resourceUsage().maxRSS. Not maxRSS on Linux: ru_maxrss is carried over fork and
 * execve, so a child process reports at least its parent's RSS at the time of the spawn.
 */
export function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s*(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1])
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS
}
