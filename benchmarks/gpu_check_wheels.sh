#!/usr/bin/env bash
# Wheels that benchmarks/gpu_check.py needs on the borrowed GPU machine (Python 3.12,
# x86-64, no network there; its image has torch, numpy, opencv, timm, einops, psutil,
# regex, portalocker, typer, rich, pyyaml, pillow). Downloaded here into .gpu_wheels/
# (git-ignored), carried there, installed with --no-deps. docs/sam3.md: "GPU check".
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.gpu_wheels
mkdir -p "$dest"
grep -qx '/.gpu_wheels/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null \
  || echo '/.gpu_wheels/' >> "$(git rev-parse --git-common-dir)/info/exclude"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --implementation cp -d "$dest" \
  sam3==0.1.4 ftfy wcwidth pycocotools transformers==5.24.0 open_clip_torch \
  pydantic pydantic-core annotated-types typing-inspection typing-extensions isal
# sam3 0.1.4 needs iopath >= 0.1.10, published as source only (pure Python): build it.
python3 -m pip wheel -q --no-deps -w "$dest" iopath==0.1.10
du -sh "$dest"
