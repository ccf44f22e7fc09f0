#!/usr/bin/env bash
# Install everything the tests need into .venv and run them. This is the README's test
# command; .ci/run runs exactly this. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip

# torch first, pinned, so that nothing later pulls a multi-GB CUDA build from the index.
# transformers' SAM3 processors import torchvision, which imports only beside torch
# 2.14.1 (a build that runs on the CPU).
python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
python -m pip install -q -c <(printf "torch==2.14.1\ntorchvision==0.29.1\n") -e ".[hf,ui,kinematics,lerobot,test]"

# Debian's Chromium for the browser tests (never 'playwright install').
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && apt-get install -y -q chromium
  else
    echo "chromium not found: browser tests will be skipped (sudo apt-get install chromium)"
  fi
fi

ruff check src tests benchmarks
python -m pytest -q -p no:cacheprovider "$@"
