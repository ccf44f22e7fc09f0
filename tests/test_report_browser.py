"""The HTML report in a real headless Chromium: loads from file://, images and plot render.

The demo scene's real pipeline outputs (robomask.demo, opencv backend) give the page that
is screenshotted to artifacts/ (refreshed by hand into docs/img/report.png); a synthetic
scene with planted faults checks the flag links.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from report_scenes import FAULTS, build_qa_scene
from robomask.config import load_config
from robomask.demo.job import run_demo
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


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _sync_playwright()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, errors


def _assert_rendered(page):
    sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(sizes) >= 3 and all(done and w > 0 for done, w in sizes), sizes
    plot = page.locator("svg.plot")
    assert plot.count() == 1 and plot.bounding_box()["width"] > 500
    assert page.locator("svg.plot path").count() == 3          # arm, gripper, export


def test_demo_report_renders_in_chromium(tmp_path, browser):
    demo = run_demo(tmp_path / "demo")
    assert all(r.status == "done" for r in demo.reports)
    out = tmp_path / "report"
    (result,), _ = write_report([demo.scene], load_config(demo.config_path), out)
    page, errors = _open(browser, (out / "index.html").as_uri())
    page.click(f"text={demo.scene.name}")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{demo.scene.name}.html")
    _assert_rendered(page)
    assert page.locator("svg.plot rect.flag").count() == len(result.flags)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report_demo.png"))
    page.screenshot(path=str(ARTIFACTS / "report_demo_full.png"), full_page=True)
    assert errors == []


def test_flag_links_jump_to_their_frames(make_scene, tmp_path, browser):
    fx, sc = build_qa_scene(make_scene, FAULTS, num_frames=60, size_wh=(320, 192),
                            vis_frame_stride=6)
    out = tmp_path / "report"
    (result,), _ = write_report([sc], fx.config, out)
    page, errors = _open(browser, (out / f"{sc.name}.html").as_uri())
    _assert_rendered(page)
    assert page.locator("svg.plot rect.flag").count() == len(result.flags) == len(FAULTS)
    assert page.locator("table.flags tr").count() == len(result.flags) + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report_faults.png"), full_page=True)
    for flag in result.flags:
        page.click(f'table.flags a[href="#f{flag.start:05d}"] >> nth=0')
        assert page.evaluate("document.querySelector(':target').id") == f"f{flag.start:05d}"
        assert page.locator(f"#f{flag.start:05d}").is_visible()
    assert errors == []
