"""The static report (pages, thumbnails, flags.json) and the report/preview/video CLI."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import av
import cv2
import numpy as np
import pytest

from report_scenes import FAULTS, build_qa_scene
from robomask.cli.main import main
from robomask.report.html import write_report


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs, self.hrefs, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.srcs.append(a["src"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "id" in a:
            self.ids.add(a["id"])


def _parse(path):
    p = _Links()
    p.feed(path.read_text())
    return p


def _run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code, capsys.readouterr()


def test_report_pages_link_everything_they_show(make_scene, tmp_path):
    fx, sc = build_qa_scene(make_scene, FAULTS, vis_frame_stride=10)
    out = tmp_path / "report"
    (result,), _ = write_report([sc], fx.config, out, config_path="cfg.yaml")
    page = out / f"{sc.name}.html"
    links = _parse(page)
    html = page.read_text()
    assert links.srcs and all((out / unquote(s)).is_file() for s in links.srcs)
    frame_links = [h[1:] for h in links.hrefs if h.startswith("#")]
    assert frame_links and set(frame_links) <= links.ids
    for a, _ in FAULTS.values():
        assert f'href="#f{a:05d}"' in html and f'id="f{a:05d}"' in html
    for k in result.keyframes:
        assert f"robomask annotate --config cfg.yaml --scene {sc.name} --frame {k}" in html
    assert html.count("<svg") == 1 and "<path d=\"M" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.index("area_jump") < html.index("export_empty")   # worst first
    thumbs = sorted(p.name for p in (out / sc.name).glob("*.jpg"))
    expected = sorted({0, 10, 20, 30} | {a for a, _ in FAULTS.values()})
    assert thumbs == [f"f{i:05d}.jpg" for i in expected]
    index = _parse(out / "index.html")
    assert f"{sc.name}.html" in index.hrefs and (out / "flags.json").is_file()


def test_clean_scene_page_says_nothing_to_look_at(make_scene, tmp_path):
    fx, sc = build_qa_scene(make_scene, (), with_csv=False)
    write_report([sc], fx.config, tmp_path / "r")
    html = (tmp_path / "r" / f"{sc.name}.html").read_text()
    assert "No flags" in html and "union masks only" in html and "swaps not checked" in html


def test_report_cli_json_and_fail_above(make_scene, capsys):
    fx, sc = build_qa_scene(make_scene, FAULTS)
    cfg = str(fx.config_path)
    code, cap = _run(["report", "--config", cfg, "--scenes", "scene_*", "--json",
                      "--no-html"], capsys)
    assert code == 0, cap.err
    data = json.loads(cap.out)
    (scene,) = data["scenes"]
    assert scene["scene"] == sc.name and scene["flagged_frames"] == 21
    assert scene["suggested_keyframes"] == [5, 10, 15, 20, 30]
    assert {(f["kind"], f["start"], f["end"]) for f in scene["flags"]} >= {("swap", 30, 34)}
    assert all(f["severity"] in ("high", "medium", "low") for f in scene["flags"])
    assert scene["annotate_commands"][0] == (
        f"robomask annotate --config {cfg} --scene {sc.name} --frame 5")
    assert data["thresholds"]["qa_area_jump_ratio"] == 1.8
    saved = json.loads((fx.out_dir / "qa_report" / "flags.json").read_text())
    assert saved == data
    assert not (fx.out_dir / "qa_report" / "index.html").exists()

    code, cap = _run(["report", "--config", cfg, "--scene", sc.name, "--fail-above", "20"],
                     capsys)
    assert code == 1 and "more than 20 flagged frames" in cap.err
    assert (fx.out_dir / "qa_report" / "index.html").is_file()
    code, cap = _run(["report", "--config", cfg, "--scene", sc.name, "--fail-above", "21",
                      "--no-html"], capsys)
    assert code == 0 and re.search(r"21/40 flagged frames in 5 flag", cap.out)


def test_preview_and_video_cli(make_scene, tmp_path, capsys):
    fx, sc = build_qa_scene(make_scene, (), num_frames=6)
    cfg = str(fx.config_path)
    png, mp4 = tmp_path / "p.png", tmp_path / "v.mp4"
    code, cap = _run(["preview", "--config", cfg, "--scene", sc.name, "--stage", "export",
                      "--out", str(png)], capsys)
    assert code == 0 and png.is_file(), cap.err
    frames = [cv2.imread(str(p))[..., ::-1].astype(int)
              for p in sorted(fx.frames_dir.glob("*.png"), key=lambda p: int(p.stem))]
    # 6 frames at stride 30: one full-size (160x96) tile of frame 0 under the legend. The
    # right arm (object 0, x 104..118, y 0..50 on frame 0; report_scenes) is exported, so
    # its inside is tinted 45% yellow (255, 225, 0); the table below it is untouched.
    tile = cv2.imread(str(png))[..., ::-1].astype(int)[-96:, :160]
    inside, table = (slice(20, 40), slice(108, 114)), (slice(75, 90), slice(70, 90))
    want = frames[0][inside] * 0.55 + np.array([255, 225, 0]) * 0.45
    assert np.abs(tile[inside] - want).max() <= 2
    assert np.array_equal(tile[table], frames[0][table])
    code, cap = _run(["video", "--config", cfg, "--scene", sc.name, "--out", str(mp4)], capsys)
    assert code == 0 and mp4.stat().st_size > 0, cap.err
    with av.open(str(mp4)) as c:
        video = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    assert len(video) == 6 and video[0].shape == (96, 160, 3)
    for i, (got, src) in enumerate(zip(video, frames, strict=True)):
        xr = 104 + round(4 * math.sin(2 * math.pi * i / 20))  # the right arm sways
        arm = (slice(20, 40), slice(xr + 4, xr + 10))
        red = got[arm].mean(axis=(0, 1)) - src[arm].mean(axis=(0, 1))
        assert red[0] > 20 and red[2] < -20, (i, red)  # arm session filled red
        assert np.abs(got[table].mean(axis=(0, 1)) - src[table].mean(axis=(0, 1))).max() < 8
    code, cap = _run(["preview", "--config", cfg, "--scene", sc.name, "--stage", "arms"],
                     capsys)
    assert code == 2 and "expected arm, gripper or export" in cap.err
    code, cap = _run(["report", "--config", cfg, "--scene", "scene_9999"], capsys)
    assert code == 2 and "scene_9999" in cap.err


def test_scene_without_outputs_gets_a_page_with_notes(make_scene, tmp_path):
    fx = make_scene(with_ckpt=False)
    from robomask.scenes import scene

    (result,), _ = write_report([scene(fx.config, fx.name)], fx.config, tmp_path / "r")
    assert result.flags == [] and len(result.notes) == 3
    html = (tmp_path / "r" / f"{fx.name}.html").read_text()
    assert "no arm masks yet" in html and "No flags" in html
    assert all((tmp_path / "r" / unquote(s)).is_file()
               for s in _parse(tmp_path / "r" / f"{fx.name}.html").srcs)


def test_flags_beyond_the_thumbnail_cap_do_not_link_to_missing_frames(monkeypatch):
    import robomask.report.html as report_html
    from robomask.report.flags import Flag
    from robomask.report.plot import area_plot_svg

    flags = [Flag("area_jump", "arm", a, a + 2, 3.0 - a / 100, "r") for a in (40, 50, 60)]
    monkeypatch.setattr(report_html, "MAX_FLAG_THUMBS", 2)
    thumbs = report_html.thumb_frames(100, 45, flags, keyframes=[41])
    assert thumbs == [0, 40, 41, 45, 50, 90]   # flag at 60 is the third worst: over the cap
    rows = report_html._flag_rows(flags, set(thumbs), "s")
    assert 'href="#f00050"' in rows and 'href="#f00060"' not in rows
    svg = area_plot_svg({"arm": np.ones(100)}, flags, linked=set(thumbs))
    assert 'href="#f00040"' in svg and 'href="#f00060"' not in svg


def test_a_percent_plot_with_a_fixed_top_stops_at_it():
    """The IoU plot's axis ends at 100 %, where fitting to values near 100 went to 125 %."""
    import re

    from robomask.report.plot import area_plot_svg

    iou = {"arm": np.full(20, 99.0)}
    fitted = re.findall(r">(\d+)%<", area_plot_svg(iou, []))
    fixed = re.findall(r">(\d+)%<", area_plot_svg(iou, [], top_percent=100))
    assert max(map(int, fitted)) > 100
    assert max(map(int, fixed)) == 100
