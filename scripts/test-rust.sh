#!/usr/bin/env bash
# `npm run test:rust`: the workspace's cargo tests, with NVRTC on the library path so the
# CUDA kernels are compile-checked (required to pass when NVRTC could be installed).
set -euo pipefail
cd "$(dirname "$0")/.."
nvrtc="$(bash scripts/ensure-nvrtc.sh)"
if [ -n "$nvrtc" ]; then
  export LD_LIBRARY_PATH="$nvrtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export FERROTORCH_REQUIRE_NVRTC=1
fi
exec cargo test --workspace --release "$@"
