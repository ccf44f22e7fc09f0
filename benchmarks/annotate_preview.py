"""Benchmark: live preview latency of ``robomask annotate`` at 1280x720, and the README
screenshot.

Serves the real robot frames of /work/shared/data/robot_frames (1280x720; skips cleanly
when absent) with the chosen backend (default opencv) and times every click of a fixed
click script, two ways:

1. API: ``POST /api/click`` then ``GET /api/preview`` over HTTP on 127.0.0.1 (what the
   page does), with the backend's own share from the ``X-Backend-Ms`` header;
2. browser (when /usr/bin/chromium and playwright exist): the same clicks in headless
   Chromium, from the click to the overlay drawn on the page (the page's own timer).

Each way uses a fresh server, so the first click includes building the backend and
opening its session; it is reported apart.

Usage:
    python benchmarks/annotate_preview.py [--backend opencv] [--data DIR]
        [--screenshot docs/img/annotate.png]

Figures: docs/annotate.md, section "Preview latency".
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from robomask.annotator.serve import AnnotateServer
from robomask.annotator.server import make_context
from robomask.config import load_config, render_template
from robomask.scenes import scene as open_scene

DATA = Path("/work/shared/data/robot_frames")
CHROMIUM = Path("/usr/bin/chromium")
# (frame_index, object key 1..4 in the page, x, y, label) on the 1280x720 robot frames
CLICKS = [
    (0, 1, 1090, 150, 1), (0, 1, 960, 110, 1), (0, 1, 1000, 330, 0),
    (0, 2, 790, 220, 1), (0, 2, 700, 320, 0), (0, 3, 870, 170, 1),
    (1, 1, 150, 440, 1), (1, 1, 440, 240, 1), (1, 1, 330, 60, 1), (1, 1, 640, 330, 0),
    (1, 1, 500, 560, 0), (1, 2, 250, 650, 1),
]


def make_dataset(data: Path, root: Path, backend: str) -> Path:
    """The dataset layout around copies of ``data``'s frames; returns the config path."""
    color = root / "data" / "task_bench" / "train" / "scene_robot" / "cam_105422061350" / "color"
    color.mkdir(parents=True)
    for f in sorted(data.glob("*.png")):
        shutil.copy(f, color / f.name)
    cfg = root / "mask_config.yaml"
    cfg.write_text(render_template(task_name="task_bench", scene_name="scene_robot",
                                   data_base_dir=str(root / "data"),
                                   export_base_dir=str(root / "masks"), backend=backend))
    return cfg


def start(cfg_path: Path, frame: int = 0) -> AnnotateServer:
    cfg = load_config(cfg_path)
    ctx = make_context(cfg, open_scene(cfg, "scene_robot"), mode="overwrite", start_frame=frame)
    srv = AnnotateServer(ctx, host="127.0.0.1", port=0)
    srv.start()
    return srv


def summary(name: str, ms: list[float]) -> str:
    first, rest = ms[0], ms[1:]
    return (f"{name}: first click {first:.0f} ms (backend start-up included); next "
            f"{len(rest)} clicks median {statistics.median(rest):.0f} ms, max {max(rest):.0f} ms")


def bench_api(cfg_path: Path) -> None:
    srv = start(cfg_path)
    objs = [o.obj_id for o in srv.ctx.state.objects]
    base = srv.url().split("?")[0]
    total, backend = [], []
    try:
        with httpx.Client(base_url=base, timeout=120) as c:
            for frame, key, x, y, label in CLICKS:
                body = {"frame_index": frame, "obj_id": objs[key - 1], "x": x, "y": y,
                        "label": label}
                t0 = time.perf_counter()
                c.post("api/click", json=body).raise_for_status()
                r = c.get("api/preview", params={"frame_index": frame,
                                                 "obj_id": objs[key - 1]})
                r.raise_for_status()
                total.append((time.perf_counter() - t0) * 1000)
                backend.append(float(r.headers["X-Backend-Ms"]))
            frame_ms = []
            for i in range(3):
                t0 = time.perf_counter()
                c.get(f"api/frame/{i}").raise_for_status()
                frame_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        srv.stop()
    print(summary("API click + preview", total))
    print(summary("  of which backend add_clicks", backend))
    print(f"frame JPEG 1280x720, uncached: median {statistics.median(frame_ms):.0f} ms")


def bench_browser(cfg_path: Path, screenshot: Path | None) -> None:
    if not CHROMIUM.is_file():
        print(f"browser: skipped, {CHROMIUM} missing")
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: skipped, playwright missing")
        return
    srv = start(cfg_path)
    ms: list[float] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1440, "height": 900}, bypass_csp=True)
            page.goto(srv.url())
            page.wait_for_function("document.getElementById('frame').naturalWidth > 0")
            box = page.locator("#points").bounding_box()
            scale = box["width"] / 1280
            for frame, key, x, y, label in CLICKS:
                if page.input_value("#frame-input") != str(frame):
                    page.fill("#frame-input", str(frame))
                    page.press("#frame-input", "Enter")
                    page.wait_for_function("document.getElementById('frame').complete")
                page.keyboard.press(str(key))
                page.evaluate("document.getElementById('status').textContent = ''")
                page.click("#points", position={"x": x * scale, "y": y * scale},
                           button="left" if label else "right")
                page.wait_for_function("document.getElementById('status').textContent"
                                       ".startsWith('preview of')", timeout=120_000)
                text = page.text_content("#status") or ""
                ms.append(float(re.search(r": (\d+) ms", text).group(1)))
            if screenshot is not None:
                page.fill("#frame-input", "0")
                page.press("#frame-input", "Enter")
                page.keyboard.press("1")
                page.wait_for_timeout(1500)  # previews of the keyframe's objects
                page.screenshot(path=str(screenshot))
                print(f"wrote {screenshot}")
            browser.close()
    finally:
        srv.stop()
    print(summary("browser click -> overlay drawn", ms))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="opencv")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--screenshot", type=Path, default=None)
    args = ap.parse_args()
    if not any(args.data.glob("*.png")):
        print(f"skipped: no frames in {args.data}")
        return 0
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend {args.backend}, "
          f"{len(CLICKS)} clicks on 1280x720 frames of {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_dataset(args.data, Path(tmp), args.backend)
        bench_api(cfg)
        bench_browser(cfg, args.screenshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
