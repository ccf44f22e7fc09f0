"""What the CLI shows a user at 80 columns: progress bars, --help, check and merge lines."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from robomask.backends import register_backend
from robomask.cli import common
from robomask.cli.common import ProgressView
from robomask.cli.main import main
from robomask.errors import BackendError
from robomask.progress import Progress


@pytest.fixture(autouse=True)
def columns_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # typer's help console
    for console in (common.console, common.err_console):
        monkeypatch.setattr(console, "width", 80)


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def test_a_stage_with_nothing_to_do_draws_no_bar(capsys):
    with ProgressView() as view:
        view(Progress("scene_0001/merge", 0, 0, 0.0))
    assert capsys.readouterr().err == ""
    with ProgressView() as view:
        view(Progress("scene_0001/merge", 0, 0, 0.0, message="frame 0: arm=5 px"))
        view(Progress("scene_0001/arm", 0, 4, 0.0))
        view(Progress("scene_0001/arm", 4, 4, 2.0))
    err = capsys.readouterr().err
    assert "frame 0: arm=5 px" in err and "4/4" in err and "2.0 frames/s" in err
    assert "0/0" not in err and "merge" not in err.replace("frame 0", "")


def test_rerun_of_a_done_scene_shows_no_empty_bar_and_says_why_skipped(make_scene, capsys):
    sc = make_scene()
    args = ["run", "--config", str(sc.config_path), "--scene", sc.name, "--stages", "merge"]
    assert run_cli(args, capsys)[0] == 0
    code, out, err = run_cli(args, capsys)
    assert code == 0
    assert "0/0" not in err and "-:--:--" not in err and err.strip() == ""
    assert "skipped: done with the same inputs (--force redoes them)" in out
    code, out, err = run_cli(["merge", "--config", str(sc.config_path), "--scene", sc.name],
                             capsys)
    assert code == 0 and err.strip() == ""
    assert f"{sc.name}: all {sc.num_frames} frames already done (--force redoes them) -> " \
           f"{sc.out_dir / sc.name}" in out  # one line: the path is not broken at 80 columns


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["check", "--help"],
                                  ["demo", "--help"], ["report", "--help"]])
def test_help_shows_no_bool_type_beside_flags(args, capsys):
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert "<bool>" not in out
    assert "--help" in out and "Show this message" in out
    if args[0] in ("run", "check", "report"):  # options with values keep their type
        assert "<path>" in out and "<glob>" in out
    assert "…" not in out  # nothing cut at 80 columns


def test_help_keeps_the_extras_in_square_brackets(capsys):
    """Rich reads ``[kinematics]`` as markup and drops it unless escaped."""
    code, out, _ = run_cli(["demo", "--help"], capsys)
    assert code == 0 and "robomask[kinematics]" in out.replace("\n", "").replace(" ", "")


def test_check_says_how_many_scenes_it_checked(make_scene, capsys):
    sc = make_scene("scene_0001")
    make_scene("scene_0002")
    code, out, _ = run_cli(["check", "--config", str(sc.config_path), "--scenes", "scene_*"],
                           capsys)
    assert code == 0
    assert out.strip() == ("checked 2 scenes (config, frame headers, prompt files): "
                           "no problems found")
    code, out, _ = run_cli(["check", "--config", str(sc.config_path), "--scene", sc.name,
                            "--decode"], capsys)
    assert "checked 1 scene (config, every frame decoded, prompt files)" in out


def test_messages_print_brackets_as_they_are(make_scene, capsys):
    """A hint such as pip install 'robomask[sam3]' must not lose '[sam3]' to rich markup."""
    def factory(config, stage):
        raise BackendError("the needs-extra backend: expected its package, got none",
                           hint="pip install 'robomask[sam3]'")

    register_backend("needs-extra", factory)
    sc = make_scene(backend="needs-extra", with_ckpt=False)
    code, out, _ = run_cli(["run", "--config", str(sc.config_path), "--scene", sc.name,
                            "--stages", "arm"], capsys)
    assert code == 1
    assert "(hint: pip install 'robomask[sam3]')" in out


def test_status_says_how_to_finish(make_scene, capsys):
    sc = make_scene(with_ckpt=False)
    code, out, _ = run_cli(["status", "--config", str(sc.config_path), "--scenes", "scene_*"],
                           capsys)
    assert code == 0 and "0/1 scenes fully done" in out
    assert f"to finish: robomask run --config {sc.config_path} --scenes 'scene_*' (redoes " \
        "stale, interrupted and partial stages, runs missing ones)" in out
    sc = make_scene()  # finished sessions from the notebooks count as done ...
    assert run_cli(["merge", "--config", str(sc.config_path)], capsys)[0] == 0  # ... merged
    code, out, _ = run_cli(["status", "--config", str(sc.config_path)], capsys)
    assert "1/1 scenes fully done" in out and "to finish" not in out


def test_bad_stages_list_reads_like_the_option(make_scene, capsys):
    sc = make_scene()
    code, _, err = run_cli(["run", "--config", str(sc.config_path), "--stages", "arm,hand"],
                           capsys)
    assert code == 2
    assert "--stages: expected a comma-separated subset of arm,gripper,merge, got " \
        "'arm,hand' (hint: e.g. --stages arm,merge)" in err.replace("\n", " ")


def test_a_failed_stage_is_reported_once(make_scene):
    """In a real process (pytest's own log capture would hide a duplicate log record)."""
    sc = make_scene(backend="opencv", with_ckpt=False)
    sc.camera_dir.joinpath("annotation_prompts_gripper_points.json").unlink()
    proc = subprocess.run([sys.executable, "-m", "robomask.cli.main", "run", "--config",
                           str(sc.config_path), "--stages", "gripper"],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 1
    both = "".join((proc.stdout + proc.stderr).split())  # rich wraps log lines anywhere
    assert both.count("annotation_prompts_gripper_points.json") == 1, both
    assert "error: scene_0001/gripper:" in proc.stdout
    assert "Traceback" not in both


def test_a_long_batch_keeps_only_the_newest_finished_bars(capsys):
    with ProgressView() as view:
        for k in range(20):
            view(Progress(f"scene_{k:04d}/merge", 0, 3, 0.0))
            view(Progress(f"scene_{k:04d}/merge", 3, 3, 1.0))
        view(Progress("scene_0020/merge", 1, 3, 1.0))  # still running
    err = capsys.readouterr().err
    shown = [ln.split()[0] for ln in err.splitlines() if "/merge" in ln]
    keep = ProgressView.KEEP_FINISHED
    assert shown == [f"scene_{k:04d}/merge" for k in range(20 - keep, 21)]


def test_a_long_stage_name_leaves_room_for_counts_rate_and_eta(capsys, monkeypatch):
    monkeypatch.setattr(common.err_console, "width", 80)
    with ProgressView() as view:
        view(Progress("lerobot/observation.images.cam_high.robot_mask", 0, 1093, 0.0))
        view(Progress("lerobot/observation.images.cam_high.robot_mask", 1093, 1093, 4.0))
    line = next(ln for ln in capsys.readouterr().err.splitlines() if "lerobot/" in ln)
    assert "1093/1093" in line and "273.2 frames/s" in line and "ETA 0:00:00" in line, line


def test_every_help_fits_80_columns_uncut(capsys, monkeypatch):
    """No option help is cut to '…' at 80 columns (rich cuts a word it cannot wrap)."""
    import typer

    from robomask.cli.main import app

    monkeypatch.setenv("COLUMNS", "80")
    names = sorted(typer.main.get_command(app).commands)
    assert "export" in names
    for name in names:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        out = capsys.readouterr().out
        assert exc.value.code == 0 and "Usage: robomask" in out and "…" not in out, out


def test_a_stage_counting_megabytes_shows_mb_per_second(capsys, monkeypatch):
    monkeypatch.setattr(common.err_console, "width", 80)
    with ProgressView() as view:
        view(Progress("lerobot/copy dataset", 0, 10, 0.0, unit="MB"))
        view(Progress("lerobot/copy dataset", 10, 10, 2.0, unit="MB"))
        view(Progress("scene_0001/arm", 4, 4, 2.0))
    err = capsys.readouterr().err
    assert "5.0 MB/s" in err and "2.0 frames/s" in err, err
