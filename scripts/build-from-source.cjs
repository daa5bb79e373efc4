#!/usr/bin/env node
// ferrotorch-build: build the native addon from source, for platforms without a
// prebuilt binary. Uses @napi-rs/cli when installed, else plain cargo.
'use strict'
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..') // package root (holds package.json)
const manifest = path.join('bindings', 'node', 'Cargo.toml')
const PREBUILT = ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

function fail(msg) {
  console.error(`ferrotorch-build: ${msg}`)
  process.exit(1)
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`)
  return r.status === null ? 1 : r.status
}

// The suffix napi's generated index.js looks for: ferrotorch.<name>.node
function platformName() {
  const { platform: p, arch: a } = process
  if (p === 'win32') return `win32-${a}-${process.config?.variables?.shlib_suffix === 'dll.a' ? 'gnu' : 'msvc'}`
  if (p === 'android') return a === 'arm' ? 'android-arm-eabi' : `android-${a}`
  if (p !== 'linux') return `${p}-${a}` // darwin-*, freebsd-*
  const report = process.report?.getReport?.()
  const musl = !(report?.header?.glibcVersionRuntime)
  if (a === 'arm') return `linux-arm-${musl ? 'musleabihf' : 'gnueabihf'}`
  return `linux-${a}-${musl ? 'musl' : 'gnu'}`
}

if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  fail(
    'cargo was not found on PATH, so the native addon cannot be built from source.\n' +
      '  Install Rust from https://rustup.rs and run this command again, or use a\n' +
      `  platform with prebuilt binaries: ${PREBUILT.join(', ')}.`,
  )
}
if (!fs.existsSync(path.join(root, manifest))) {
  fail(`${manifest} is missing from ${root}; build from a clone of the ferrotorch repository.`)
}

let cli = null
try {
  cli = require.resolve('@napi-rs/cli/dist/cli.js', { paths: [root] })
} catch {}

if (cli) {
  // Same as `npm run build:native`, via node so it also works on Windows.
  process.exit(
    run(process.execPath, [cli, 'build', '--platform', '--release', '--manifest-path', manifest,
      '--package-json-path', 'package.json', '--output-dir', '.', '--js', 'index.js', '--dts', 'index.d.ts']),
  )
}

// Fallback: plain cargo, then copy the library to where index.js looks for it.
console.log('ferrotorch-build: @napi-rs/cli not installed; building with cargo')
const status = run('cargo', ['build', '--release', '--manifest-path', manifest])
if (status !== 0) process.exit(status)
const lib = { win32: 'ferrotorch_node.dll', darwin: 'libferrotorch_node.dylib' }[process.platform] || 'libferrotorch_node.so'
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target')
const dest = path.join(root, `ferrotorch.${platformName()}.node`)
fs.copyFileSync(path.join(targetDir, 'release', lib), dest)
console.log(`ferrotorch-build: wrote ${dest}`)
