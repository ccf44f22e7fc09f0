"""The HTML report in a real headless Chromium: loads from file://, images and plot render."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from report_scenes import FAULTS, build_qa_scene
from robomask.report.html import write_report

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.browser


def _sync_playwright():
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install 'robomask[test]')"
    if missing is None and not shutil.which(CHROMIUM):
        missing = f"{CHROMIUM} not found (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser test: {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture
def browser():
    sync_playwright = _sync_playwright()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def test_report_renders_in_chromium(make_scene, tmp_path, browser):
    fx, sc = build_qa_scene(make_scene, FAULTS, num_frames=60, size_wh=(320, 192),
                            vis_frame_stride=6)
    out = tmp_path / "report"
    (result,) = write_report([sc], fx.config, out)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))

    page.goto((out / "index.html").as_uri())
    page.wait_for_load_state("load")
    page.click(f"text={sc.name}")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{sc.name}.html")

    sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(sizes) >= 10 and all(done and w > 0 for done, w in sizes), sizes
    plot = page.locator("svg.plot")
    assert plot.count() == 1 and plot.bounding_box()["width"] > 500
    assert page.locator("svg.plot path").count() == 3          # arm, gripper, export
    assert page.locator("svg.plot rect.flag").count() == len(result.flags)
    assert page.locator("table.flags tr").count() == len(result.flags) + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report_scene.png"), full_page=True)

    first = result.flags[0]
    page.click(f'table.flags a[href="#f{first.start:05d}"] >> nth=0')
    assert page.evaluate("document.querySelector(':target').id") == f"f{first.start:05d}"
    assert page.locator(f"#f{first.start:05d}").is_visible()
    assert errors == []
