#!/usr/bin/env bash
# Prints a directory holding libnvrtc.so.12 (NVIDIA's run-time CUDA compiler), installing
# pip's nvidia-cuda-nvrtc-cu12 into .cache/nvrtc when none is found. The CUDA backend's
# kernel check (crates/cuda/tests/nvrtc.rs) compiles every kernel with it; no GPU, driver
# or CUDA toolkit is needed. Prints nothing (and exits 0) when it cannot be had.
set -uo pipefail
cd "$(dirname "$0")/.."
for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu .cache/nvrtc/nvidia/cuda_nvrtc/lib; do
  if [ -e "$d/libnvrtc.so.12" ]; then
    (cd "$d" && pwd)
    exit 0
  fi
done
if [ "$(uname -s)" = Linux ] && command -v python3 >/dev/null; then
  echo "installing nvidia-cuda-nvrtc-cu12 (pip) into .cache/nvrtc for the NVRTC kernel check" >&2
  if python3 -m pip install --quiet --disable-pip-version-check --target .cache/nvrtc nvidia-cuda-nvrtc-cu12 >&2 \
    && [ -e .cache/nvrtc/nvidia/cuda_nvrtc/lib/libnvrtc.so.12 ]; then
    (cd .cache/nvrtc/nvidia/cuda_nvrtc/lib && pwd)
    exit 0
  fi
fi
echo "NVRTC could not be installed here: the kernel compile check will skip" >&2
exit 0
