"""The static QA report: one HTML page per scene, an index over scenes, flags.json.

Pages open from disk (no server, no network): CSS is inlined, plots are inline SVG, and
thumbnails are JPEG files beside the pages, linked by relative paths::

    {out}/index.html  {out}/flags.json  {out}/{scene}.html  {out}/{scene}/f00030.jpg
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import quote

import cv2
import numpy as np

from robomask.config import Config
from robomask.io.atomic import write_bytes, write_json, write_text
from robomask.progress import ProgressCallback, Ticker
from robomask.report.flags import Flag, SceneFlags, annotate_command, detect
from robomask.report.kincheck import RenderCheck, render_check
from robomask.report.measure import SceneSeries, measure_scene
from robomask.report.outputs import STAGES, SceneOutputs
from robomask.report.overlay import draw_label, render_frame
from robomask.report.plot import LINE_COLOURS, area_plot_svg, timeline_svg
from robomask.scenes import Scene, SceneFailure, each_scene

THUMB_WIDTH = 320
MAX_FLAG_THUMBS = 200  # thumbnails of flagged frames per scene (worst flags first)


def _template(name: str) -> str:
    return resources.files("robomask.report").joinpath("templates", name).read_text("utf-8")


def _page(title: str, body: str) -> str:
    return Template(_template("page.html")).substitute(
        title=escape(title), css=_template("report.css"), body=body)


def anchor(frame_index: int) -> str:
    """Id of a frame's figure on its scene page, e.g. ``f00030``."""
    return f"f{frame_index:05d}"


def _percent(series: SceneSeries) -> dict[str, np.ndarray]:
    w, h = series.size_wh
    return {k: np.where(s.area_px < 0, np.nan, s.area_px * 100.0 / (w * h))
            for k, s in series.stages.items()}


def thumb_frames(n_frames: int, stride: int, flags: Sequence[Flag],
                 keyframes: Sequence[int]) -> list[int]:
    """Frames that get a thumbnail: every ``stride``-th, the first frame of each flag
    (the worst :data:`MAX_FLAG_THUMBS`), and the keyframes; ascending."""
    picked = set(range(0, n_frames, stride)) | set(keyframes)
    picked |= {f.start for f in flags[:MAX_FLAG_THUMBS]}
    return sorted(picked)


def _write_thumbs(scene: Scene, config: Config, folder: Path, frames: list[int],
                  on_progress: ProgressCallback | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("f*.jpg"):
        old.unlink()
    outputs = SceneOutputs(scene, config)
    ticker = Ticker(f"{scene.name}/qa-thumbs", len(frames), on_progress)
    for i in frames:
        rgb = draw_label(render_frame(outputs, i, width=THUMB_WIDTH), f"frame {i}")
        ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            write_bytes(folder / f"{anchor(i)}.jpg", buf.tobytes())
        ticker.advance()


def _flag_rows(flags: Sequence[Flag], thumbs: set[int], img_dir: str) -> str:
    if not flags:
        return '<p class="ok-box">No flags: every check passed on every frame.</p>'
    rows = []
    for f in flags:
        img = (f'<a href="#{anchor(f.start)}"><img class="thumb-small" '
               f'src="{img_dir}/{anchor(f.start)}.jpg" alt="frame {f.start}"></a>'
               if f.start in thumbs else "")
        obj = "" if f.obj_id is None else f" obj {f.obj_id}"
        frames = escape(f.frame_range())
        if f.start in thumbs:
            frames = f'<a href="#{anchor(f.start)}">{frames}</a>'
        rows.append(f'<tr><td><span class="sev {f.severity}">{f.severity}</span></td>'
                    f'<td class="kind">{escape(f.kind)}<br>{escape(f.stage)}{obj}</td>'
                    f"<td>{frames}</td>"
                    f'<td class="num">{f.score:.2f}</td><td>{escape(f.reason)}</td>'
                    f'<td>{img}</td></tr>')
    return ('<table class="flags"><tr><th>severity</th><th>kind</th><th>frames</th>'
            '<th class="num">score</th><th>reason</th><th>first frame</th></tr>'
            + "".join(rows) + "</table>")


def _gallery(frames: list[int], flags: Sequence[Flag], percent: dict[str, np.ndarray],
             img_dir: str) -> str:
    figs = []
    for i in frames:
        hits = [f for f in flags if f.start <= i <= f.end]
        areas = " · ".join(f"{k} {v[i]:.1f}%" if not np.isnan(v[i]) else f"{k} missing"
                           for k, v in percent.items())
        why = "".join(f'<span class="why">{escape(f.kind)}: {escape(f.reason)}</span>'
                      for f in hits[:3])
        figs.append(f'<figure id="{anchor(i)}" class="{"flagged" if hits else ""}">'
                    f'<img src="{img_dir}/{anchor(i)}.jpg" alt="frame {i}">'
                    f'<figcaption><b>frame {i}</b> · {areas}{why}</figcaption></figure>')
    return '<div class="gallery">' + "".join(figs) + "</div>"


def _render_section(render: RenderCheck | None, flags: Sequence[Flag],
                    linked: set[int]) -> str:
    """The kinematic check's plot: IoU of each session mask with the render, in %."""
    if render is None or not render.iou:
        return ""
    legend = "".join(f'<span><i style="background:{LINE_COLOURS[k]}"></i>{k}</span>'
                     for k in render.iou) + "<span>shaded: mask and render part</span>"
    mean = ", ".join(f"{k} mean IoU {np.nanmean(v):.2f}, coverage "
                     f"{np.nanmean(render.coverage[k]):.2f}"
                     for k, v in render.iou.items() if not np.isnan(v).all())
    return (f'<h2>Session masks vs kinematic render (IoU, %)</h2><p class="legend">{legend}'
            f'</p><p class="meta">{escape(mean)}</p>'
            + area_plot_svg({k: v * 100 for k, v in render.iou.items()},
                            [f for f in flags if f.kind == "render_mismatch"], linked=linked,
                            top_percent=100))


def _scene_body(series: SceneSeries, result: SceneFlags, thumbs: list[int],
                config_path: str, render: RenderCheck | None = None) -> str:
    name = series.scene
    img_dir = quote(name)
    percent = _percent(series)
    w, h = series.size_wh
    stages = ", ".join(f"{k} {'yes' if series.present[k] else 'missing'}" for k in STAGES)
    per_obj = ", ".join(f"{k}: {'objects CSV' if v else 'union masks only'}"
                        for k, v in series.per_object.items())
    notes = ("<ul class=\"notes\">" + "".join(f"<li>{escape(n)}</li>" for n in result.notes)
             + "</ul>") if result.notes else ""
    keys = "".join(f'<li><a href="#{anchor(k)}">frame {k}</a> '
                   f"<code>{escape(annotate_command(config_path, name, k))}</code></li>"
                   for k in result.keyframes)
    keys = (f'<ol class="keyframes">{keys}</ol>' if keys
            else "<p>None: no flagged frames.</p>")
    legend = "".join(f'<span><i style="background:{LINE_COLOURS[k]}"></i>{k}</span>'
                     for k in percent) + "<span>shaded: flagged frames (click to jump)</span>"
    return (f'<p><a href="index.html">&larr; all scenes</a></p><h1>{escape(name)}</h1>'
            f'<p class="meta">{series.n_frames} frames · {w}x{h} px · masks: {stages} · '
            f'{per_obj} · <b>{result.flagged_frames}</b> flagged frame(s) in '
            f'{len(result.flags)} flag(s)</p>{notes}'
            f"<h2>Suggested keyframes to click</h2>{keys}"
            f'<h2>Mask area over time</h2><p class="legend">{legend}</p>'
            f"{area_plot_svg(percent, result.flags, linked=set(thumbs))}"
            f"{_render_section(render, result.flags, set(thumbs))}"
            f"<h2>Flagged frames, worst first</h2>{_flag_rows(result.flags, set(thumbs), img_dir)}"
            f"<h2>Frames</h2>{_gallery(thumbs, result.flags, percent, img_dir)}")


def write_scene_page(scene: Scene, config: Config, out_dir: Path, *,
                     config_path: str = "mask_config.yaml", jobs: int | None = None,
                     on_progress: ProgressCallback | None = None) -> SceneFlags:
    """Scan ``scene`` (on ``jobs`` threads, None = every core) and write
    ``{out_dir}/{scene}.html`` with its thumbnails."""
    series = measure_scene(scene, config, jobs=jobs, on_progress=on_progress)
    render = render_check(scene, config, on_progress=on_progress)
    result = detect(series, config, render)
    thumbs = thumb_frames(series.n_frames, config.vis_frame_stride, result.flags,
                          result.keyframes)
    _write_thumbs(scene, config, out_dir / scene.name, thumbs, on_progress)
    write_text(out_dir / f"{scene.name}.html",
               _page(f"{scene.name}: robomask QA", _scene_body(series, result, thumbs,
                                                                config_path, render)))
    return result


def _worst(result: SceneFlags) -> str:
    return result.flags[0].severity if result.flags else "ok"


def write_index(results: Sequence[SceneFlags], out_dir: Path, config: Config,
                failures: Sequence[SceneFailure] = ()) -> Path:
    """``{out_dir}/index.html``: one row per scene, worst first; under the table, the
    scenes that could not be reported and why."""
    order = sorted(results, key=lambda r: (-(r.flags[0].score if r.flags else 0), r.scene))
    rows = []
    for r in order:
        counts = {s: sum(f.severity == s for f in r.flags) for s in ("high", "medium", "low")}
        rows.append(f'<tr><td><a href="{quote(r.scene)}.html">{escape(r.scene)}</a></td>'
                    f'<td><span class="sev {_worst(r)}">{_worst(r)}</span></td>'
                    f'<td class="num">{r.n_frames}</td><td class="num">{r.flagged_frames}</td>'
                    f'<td class="num">{counts["high"]} / {counts["medium"]} / {counts["low"]}'
                    f'</td><td class="num">{len(r.keyframes)}</td>'
                    f"<td>{timeline_svg(r.n_frames, r.flags)}</td></tr>")
    flagged = sum(bool(r.flags) for r in results)
    limits = (f"area jump x{config.qa_area_jump_ratio:g}, gripper gap "
              f"{config.qa_gripper_max_gap_frac:g} of the diagonal, specks below "
              f"{config.qa_min_area_frac:g} of the frame, swap margin "
              f"{config.qa_swap_min_dx_frac:g} of the width")
    body = (f"<h1>robomask QA report</h1><p class=\"meta\">{len(results)} scene(s), "
            f"{flagged} with flags · task {escape(config.task_name)} · thresholds: "
            f'{escape(limits)} · <a href="flags.json">flags.json</a></p>'
            '<table class="scenes"><tr><th>scene</th><th>worst</th><th class="num">frames</th>'
            '<th class="num">flagged frames</th><th class="num">flags high / medium / low</th>'
            '<th class="num">keyframes</th><th>where</th></tr>' + "".join(rows) + "</table>")
    if failures:
        body += (f"<h2>Not reported ({len(failures)})</h2><ul>" + "".join(
            f"<li>{escape(f.scene)}: {escape(f.message)}</li>" for f in failures) + "</ul>")
    path = out_dir / "index.html"
    write_text(path, _page("robomask QA report", body))
    return path


def report_json(results: Sequence[SceneFlags], config: Config,
                config_path: str = "mask_config.yaml",
                failures: Sequence[SceneFailure] = ()) -> dict:
    """The flags of all scenes as a JSON-able dict (what ``flags.json`` holds), and the
    scenes that could not be reported (``failed``: scene and error)."""
    return {"thresholds": {k: getattr(config, k) for k in (
                "qa_area_jump_ratio", "qa_min_area_frac", "qa_gripper_max_gap_frac",
                "qa_swap_min_dx_frac")},
            "scenes": [r.to_dict(config_path) for r in results],
            "failed": [{"scene": f.scene, "error": f.message} for f in failures]}


def write_report(scenes: Sequence[Scene], config: Config, out_dir: str | Path, *,
                 config_path: str = "mask_config.yaml", jobs: int | None = None,
                 failed: Sequence[SceneFailure] = (),
                 on_progress: ProgressCallback | None = None
                 ) -> tuple[list[SceneFlags], list[SceneFailure]]:
    """Write the whole report for ``scenes`` into ``out_dir``: each scene's flags, and a
    :class:`~robomask.scenes.SceneFailure` per scene that could not be read, after the
    ``failed`` ones given (scenes that did not open); the index and flags.json list them.

    Scenes are processed one after the other; only their flags stay in memory.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results, failures = each_scene(scenes, lambda s: write_scene_page(
        s, config, out, config_path=config_path, jobs=jobs, on_progress=on_progress))
    failures = [*failed, *failures]
    write_index(results, out, config, failures)
    write_json(out / "flags.json", report_json(results, config, config_path, failures))
    return results, failures
