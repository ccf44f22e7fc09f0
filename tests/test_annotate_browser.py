"""End to end: the annotation page in a real headless Chromium, against a real server.

Skipped (with the reason) when /usr/bin/chromium or playwright is missing, except when
the CI environment variable is set: there a missing browser is a failure. Writes
artifacts/annotate.png (the README's picture, on real frames, comes from
benchmarks/annotate_preview.py --screenshot docs/img/annotate.png).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from robomask.prompts import ARM2_KEY, ARM_KEY, LEFT_KEY, RIGHT_KEY

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
SIZE_WH = (320, 180)

COUNT_OPAQUE = """(id) => {
  const c = document.getElementById(id);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""
PIXEL = """([id, x, y]) => Array.from(
  document.getElementById(id).getContext('2d').getImageData(x, y, 1, 1).data)"""


def _missing_browser() -> str | None:
    if not CHROMIUM.is_file():
        return f"expected Debian's Chromium at {CHROMIUM}, got nothing there"
    if importlib.util.find_spec("playwright") is None:
        return "expected the playwright package (pip install 'robomask[test]'), got none"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def preview_backend(click_backend: str) -> str:
    """The opencv backend when it can be built, else the test backend of conftest.py."""
    try:
        opencv = importlib.import_module("robomask.backends.opencv")
    except ImportError:
        return click_backend
    return "opencv" if hasattr(opencv, "build") else click_backend


@pytest.fixture
def server(make_scene, preview_backend):
    from robomask.annotator.serve import AnnotateServer
    from robomask.annotator.server import make_context
    from robomask.scenes import scene

    sc = make_scene(num_frames=12, size_wh=SIZE_WH, backend=preview_backend)
    srv = AnnotateServer(make_context(sc.config, scene(sc.config, sc.name), start_frame=3),
                         host="127.0.0.1", port=0)
    srv.start()
    yield sc, srv
    srv.stop()


def _arm_point(frame: int) -> tuple[int, int]:
    """A pixel inside make_scene's arm bar on ``frame``."""
    return 10 + 3 * frame + 20, 15


def _gripper_point(frame: int) -> tuple[int, int]:
    """A pixel inside make_scene's gripper block on ``frame``."""
    w = SIZE_WH[0]
    return 10 + 3 * frame + w // 3 + 10, 20


def test_click_preview_save(browser, server, tmp_path):
    sc, srv = server
    # bypass_csp: the page forbids eval, which playwright's wait_for_function uses
    page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(srv.url())
    page.wait_for_function("document.getElementById('status').textContent.startsWith('ready')")
    assert page.input_value("#frame-input") == "3"  # opened at the start frame
    page.wait_for_function("document.getElementById('frame').naturalWidth > 0")
    box = page.locator("#points").bounding_box()
    scale = box["width"] / SIZE_WH[0]

    def click(x: int, y: int, **kw) -> None:
        page.click("#points", position={"x": x * scale, "y": y * scale}, **kw)

    def wait_points(n: int) -> None:
        page.wait_for_function(
            "document.querySelector('.object.selected .count').textContent === "
            f"'{n} pt{'s' if n > 1 else ''} here'")

    for frame, step in ((3, None), (5, "input")):
        if step == "input":
            page.fill("#frame-input", str(frame))
            page.press("#frame-input", "Enter")
            page.wait_for_function(f"document.getElementById('slider').value === '{frame}'")
        page.keyboard.press("1")  # arm
        ax, ay = _arm_point(frame)
        click(ax, ay)
        wait_points(1)
        page.wait_for_function(f"({COUNT_OPAQUE})('preview') > 0")
        rgba = page.evaluate(PIXEL, ["preview", ax, ay])
        # the arm's colour (#ff8c1a) at the click; canvases round premultiplied alpha
        assert rgba[3] > 0, rgba
        assert max(abs(a - b) for a, b in zip(rgba[:3], (255, 140, 26), strict=True)) <= 3, rgba
        if frame == 3:
            click(ax, 150, button="right")  # negative on the background
            wait_points(2)
        page.keyboard.press("2")  # gripper left
        gx, gy = _gripper_point(frame)
        click(gx, gy)
        wait_points(1)
        click(gx + 60, 150, modifiers=["Shift"])  # shift-click: negative
        wait_points(2)
        page.wait_for_function(f"({PIXEL})(['preview', {gx}, {gy}])[2] > 240")  # #18c5ff

    assert "unsaved" in page.text_content("#save-status")
    page.click("#save")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('saved')")

    arm = json.loads(sc.camera_dir.joinpath("annotation_prompts_arm_points.json").read_text())
    grip = json.loads(sc.camera_dir.joinpath("annotation_prompts_gripper_points.json").read_text())
    assert arm["format"] == grip["format"] == "sam3.annotation_prompts.v1"
    assert arm["prompts"][LEFT_KEY] == arm["prompts"][RIGHT_KEY] == []
    assert grip["prompts"][ARM_KEY] == grip["prompts"][ARM2_KEY] == []
    arm_entries = arm["prompts"][ARM_KEY]
    assert [(e["frame_index"], e["obj_id"], e["labels"]) for e in arm_entries] == [
        (0, 0, [1]), (3, 0, [1, 0]), (5, 0, [1])]  # the entry from disk, then the new ones
    assert all(e["coord_type"] == "abs" for e in arm_entries)
    x, y = arm_entries[1]["points"][0]
    assert abs(x - _arm_point(3)[0]) <= 1.5 and abs(y - _arm_point(3)[1]) <= 1.5
    left = grip["prompts"][LEFT_KEY]
    assert [(e["frame_index"], e["obj_id"], e["labels"], e["coord_type"]) for e in left] == [
        (0, 2, [1], "rel"), (3, 2, [1, 0], "abs"), (5, 2, [1, 0], "abs")]
    assert [e["frame_index"] for e in grip["prompts"][RIGHT_KEY]] == [0]

    page.wait_for_timeout(300)  # let the last preview settle before the picture
    shot = REPO / "artifacts" / "annotate.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))

    page.reload()  # the page shows what was saved
    page.wait_for_function("document.getElementById('status').textContent.startsWith('ready')")
    chips = page.eval_on_selector_all(".kf-row:first-child .chip",
                                      "els => els.map(e => e.textContent)")
    assert chips == ["0", "3", "5"]
    assert page.text_content("#save-status").startswith("saved")  # nothing unsaved
    assert errors == []
