#!/usr/bin/env bash
# Makes sure the Fashion-MNIST IDX files are installed (Debian package dataset-fashion-mnist).
set -euo pipefail
DIR=/usr/share/datasets/fashion-mnist
if [ -f "$DIR/train-images-idx3-ubyte.gz" ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Fashion-MNIST (Debian package dataset-fashion-mnist)..."
  apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist
else
  echo "Fashion-MNIST not found in $DIR." >&2
  echo "On Debian/Ubuntu: apt-get install dataset-fashion-mnist" >&2
  echo "Elsewhere: put the four IDX files (train/t10k images and labels, .gz) in a folder and set FASHION_MNIST_DIR to it." >&2
  [ -n "${FASHION_MNIST_DIR:-}" ] && exit 0
  exit 1
fi
