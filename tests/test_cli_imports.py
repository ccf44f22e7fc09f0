"""Start-up: a command imports what it runs and nothing else (each unused package costs
every run its import time), and the help still lists every command."""

from __future__ import annotations

import json
import subprocess
import sys

# what `robomask merge` has no use for: other commands' implementations and heavy extras
NOT_FOR_MERGE = ("robomask.annotator", "robomask.report", "robomask.kinematics",
                 "robomask.sources.lerobot", "robomask.batch", "robomask.pipeline.runner",
                 "robomask.checks", "robomask.demo", "torch")
COMMANDS = ("init", "check", "merge", "segment", "run", "status", "demo", "annotate",
            "preview", "video", "report", "doctor", "render", "calibrate", "export", "depth")


def modules_after(args: list[str]) -> tuple[int, set[str]]:
    """Exit code of ``robomask ARGS`` in a fresh interpreter, and the modules it imported."""
    code = ("import json, sys\nfrom robomask.cli.main import main\ncode = 0\n"
            f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    code = exc.code or 0\n"
            "print(json.dumps([code, sorted(sys.modules)]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    exit_code, names = json.loads(proc.stdout.strip().splitlines()[-1])
    return exit_code, set(names)


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_merge_imports_only_what_it_runs(make_scene):
    sc = make_scene(num_frames=3)
    code, modules = modules_after(["merge", "--config", str(sc.config_path), "--scene",
                                   sc.name])
    assert code == 0
    assert "robomask.pipeline.merge" in modules  # the merge ran here
    assert loaded(modules, NOT_FOR_MERGE) == []


def test_help_lists_every_command_without_importing_them():
    code, modules = modules_after(["--help"])
    assert code == 0
    assert loaded(modules, NOT_FOR_MERGE + ("robomask.pipeline", "robomask.export.coco")) == []
    proc = subprocess.run([sys.executable, "-c", "from robomask.cli.main import main; main()",
                           "--help"], capture_output=True, text=True, timeout=120)
    listed = {line.split()[1] for line in proc.stdout.splitlines()
              if line.startswith("│ ") and len(line.split()) > 2}
    assert set(COMMANDS) <= listed, proc.stdout
