// The pthread worker of tfjs-backend-wasm's threaded SIMD build, made loadable by Node's
// worker_threads (bench_tfjs.ts points the backend here instead of at a blob: URL, which
// Node's Worker rejects). Everything else is the unmodified emscripten worker script that
// ships in the package; it already has a Node branch. The one change: the main thread
// sends the module factory as a Blob, which the script can only load from a file name,
// so the `load` message gets the path of the same factory file in the package instead.
const { parentPort } = require('node:worker_threads')
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')

const factory = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')
const on = parentPort.on.bind(parentPort)
parentPort.on = (event, listener) =>
  on(event, event !== 'message' ? listener : (msg) =>
    listener(msg && msg.cmd === 'load' && typeof msg.urlOrBlob !== 'string' ? { ...msg, urlOrBlob: factory } : msg))

// tfjs escapes the newlines inside the script's string literals the same way before
// turning it into a Blob.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename)
