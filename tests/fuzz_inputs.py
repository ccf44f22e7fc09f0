"""A seeded mutator of a scene's inputs (prompt files, config, frames) and the oracle
every mutated case must satisfy. Used by tests/test_fuzz.py (a few dozen cases) and
benchmarks/fuzz.py (thousands).

A case copies a small, valid demo scene (opencv backend, so every frame is decoded),
applies one mutation and runs ``robomask check`` and ``robomask run`` in this process.
The oracle, for each command:

- no Python traceback, no exception escaping ``main``; exit code 0, 1 or 2;
- output under :data:`MAX_OUTPUT_CHARS` (a bad value is quoted as an excerpt);
- a failing command names the culprit: the mutated file, key, or frame;
- a mutation that always makes the input invalid gives a non-zero exit;
- ``check`` passing means ``run`` passes (``check`` never misses what ``run`` fails on),
  unless the case's backend cannot run on this machine (``robomask doctor`` says why).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

MAX_OUTPUT_CHARS = 20_000
SCENE = "scene_0001"


@dataclass
class Mutation:
    """What a mutation did: a description, strings a failure message must contain one
    of, and whether the input is invalid for sure."""

    what: str
    culprits: list[str]
    must_fail: bool = False


@dataclass
class Outcome:
    """One command's result on one case."""

    command: str
    code: int | None
    output: str
    seconds: float
    crash: str = ""


@dataclass
class CaseResult:
    """A case, its two outcomes, and the oracle's complaints (empty = passed)."""

    seed: int
    mutation: Mutation
    outcomes: list[Outcome]
    failures: list[str] = field(default_factory=list)


def make_base(root: Path) -> Path:
    """A small demo scene under ``root`` (opencv backend, 6 frames); returns ``root``."""
    from robomask.demo import make_demo_scene

    make_demo_scene(root, num_frames=6, size_wh=(96, 54))
    return root


# --- hostile values -----------------------------------------------------------------------

def _deep(n: int) -> str:
    return "[" * n + "]" * n


JSON_VALUES: list[tuple[str, bool]] = [  # (JSON text, invalid wherever it goes)
    ("null", False), ("true", False), ("-1", False), ("0", False), ("0.5", False),
    ("9" * 5000, True), ("1e400", True), ("-1e400", True), ("NaN", True), ("Infinity", True),
    ('"' + "x" * 100_000 + '"', True), ("{}", False), ("[]", False), (_deep(50_000), True),
    ('"\u00b2"', False), ('"abs"', False), ('"rel"', False), ("[[1e308, 1e308]]", False),
    ("[1, 0, 1]", False), ('{"frame_index": -5}', False), ("12345678901234567890", True),
]

YAML_VALUES: list[tuple[str, bool]] = [  # (YAML text, invalid wherever it goes)
    ("null", False), ("-5", False), ("1e22", False), ("10000000000", False),
    ("9" * 5000, True), ("x" * 100_000, False), ("[1, 2]", False), ("{a: 1}", False),
    ('"a,b"', False), ("[" * 10_000, True), ("!!python/object/apply:os.system ['true']", True),
    ("*nope", True), ('"\u00b2"', False), ("0x10", False), ("~", False), ("yes", False),
    ("2147483648", False), ("'  '", False), ('"../../.."', False),
]


def _alias_bomb(depth: int = 9) -> str:
    lines = ['b0: &b0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"b{i}: &b{i} [" + ",".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, depth)]
    return "\n".join(lines) + "\n"


# --- mutations ----------------------------------------------------------------------------

def _json_paths(node: object, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _json_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _json_paths(v, (*path, i))
    return out


def mutate_prompts(rng: random.Random, case: Path) -> Mutation:
    cam = next((case / "data").rglob("cam_*"))
    path = cam / rng.choice(["annotation_prompts_arm_points.json",
                             "annotation_prompts_gripper_points.json"])
    culprits = [path.name]
    text = path.read_text()
    kind = rng.choice(["value", "value", "value", "delete", "bytes", "truncate", "encoding",
                       "empty", "directory"])
    if kind in ("value", "delete"):
        doc = json.loads(text)
        target = rng.choice(_json_paths(doc)[1:])
        parent = doc
        for step in target[:-1]:
            parent = parent[step]
        culprits += [str(s) for s in target if isinstance(s, str)]
        if kind == "delete":
            del parent[target[-1]]
            path.write_text(json.dumps(doc))
            return Mutation(f"{path.name}: delete {target}", culprits)
        value, invalid = rng.choice(JSON_VALUES)
        marker = "__FUZZ__"
        parent[target[-1]] = marker
        path.write_text(json.dumps(doc).replace(f'"{marker}"', value, 1))
        read = target[0] == "prompts"  # "stats" and the header are free-form (SPEC 4)
        return Mutation(f"{path.name}: {target} = {value[:40]}", culprits, invalid and read)
    data = path.read_bytes()
    if kind == "bytes":
        at = rng.randrange(len(data))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        path.write_bytes(data[:at] + junk + data[at + len(junk):])
        return Mutation(f"{path.name}: {len(junk)} random bytes at {at}", culprits)
    if kind == "truncate":
        at = rng.randrange(1, data.rindex(b"}"))
        path.write_bytes(data[:at])
        return Mutation(f"{path.name}: cut at {at}", culprits, True)
    if kind == "encoding":
        codec = rng.choice(["utf-16", "utf-32", "latin-1-junk"])
        if codec == "latin-1-junk":
            path.write_bytes(data.replace(b'"format"', b'"f\xe9rmat"'))
            return Mutation(f"{path.name}: a Latin-1 byte", culprits, True)
        path.write_bytes(text.encode(codec))
        return Mutation(f"{path.name}: re-encoded as {codec}", culprits)
    if kind == "empty":
        path.write_bytes(b"")
        return Mutation(f"{path.name}: empty", culprits, True)
    path.unlink()
    path.mkdir()
    return Mutation(f"{path.name}: a folder instead of a file", culprits, True)


def mutate_config(rng: random.Random, case: Path) -> Mutation:
    path = case / "mask_config.yaml"
    lines = path.read_text().splitlines()
    keyed = [i for i, ln in enumerate(lines) if ln and not ln.startswith("#") and ":" in ln]
    i = rng.choice(keyed)
    key = lines[i].split(":")[0]
    culprits = [path.name, key]
    kind = rng.choice(["value", "value", "value", "duplicate", "unknown", "bomb", "delete",
                       "bytes", "encoding", "truncate"])
    if kind == "value":
        value, invalid = rng.choice(YAML_VALUES)
        lines[i] = f"{key}: {value}"
        culprits.append(value.strip("'\"")[:20])
        path.write_text("\n".join(lines) + "\n")
        return Mutation(f"config: {key} = {value[:40]}", culprits, invalid)
    if kind == "duplicate":
        lines.append(lines[i])
        path.write_text("\n".join(lines) + "\n")
        return Mutation(f"config: {key} twice", culprits, True)
    if kind == "unknown":
        lines.append(f"{key}_typo: 1")
        path.write_text("\n".join(lines) + "\n")
        return Mutation(f"config: unknown key {key}_typo", culprits, True)
    if kind == "bomb":
        lines[i] = f"{key}: *b8"
        path.write_text(_alias_bomb() + "\n".join(lines) + "\n")
        return Mutation(f"config: alias bomb under {key}", culprits, True)
    if kind == "delete":
        del lines[i]
        path.write_text("\n".join(lines) + "\n")
        return Mutation(f"config: {key} deleted", culprits)
    data = path.read_bytes()
    if kind == "bytes":
        at = rng.randrange(len(data))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        path.write_bytes(data[:at] + junk + data[at + len(junk):])
        return Mutation(f"config: {len(junk)} random bytes at {at}", [path.name])
    if kind == "encoding":
        path.write_bytes(data.decode().encode(rng.choice(["utf-16", "utf-32"])))
        return Mutation("config: re-encoded", [path.name])
    path.write_bytes(data[: rng.randrange(len(data))])
    return Mutation("config: truncated", [path.name])


def _frame_files(case: Path) -> list[Path]:
    color = next((case / "data").rglob("color"))
    return sorted(color.glob("*.png"))


def mutate_frames(rng: random.Random, case: Path) -> Mutation:
    files = _frame_files(case)
    f = rng.choice(files)
    culprits = [f.name, f.parent.name]
    data = f.read_bytes()
    kind = rng.choice(["truncate", "garbage", "rename", "tiny", "resize", "jpeg", "empty",
                       "text", "delete_all", "folder"])
    if kind == "truncate":
        f.write_bytes(data[: rng.randrange(8, len(data) - 12)])
        return Mutation(f"{f.name}: truncated", culprits, True)
    if kind == "garbage":
        at = rng.randrange(40, len(data) - 20)
        f.write_bytes(data[:at] + bytes(rng.randrange(256) for _ in range(16)) + data[at + 16:])
        return Mutation(f"{f.name}: 16 random bytes at {at}", culprits)
    if kind == "rename":
        name = rng.choice(["--5", "\u00b2", "frame", "-3", "00", " 1", "1e3"])
        f.rename(f.with_name(f"{name}.png"))
        return Mutation(f"{f.name}: renamed {name}.png", culprits + [name])
    if kind in ("tiny", "resize"):
        size = rng.choice([1, 2, 4, 8]) if kind == "tiny" else rng.choice([17, 95, 200])
        target = files[0] if kind == "tiny" else f
        img = np.zeros((size, size, 3), np.uint8)
        ok, buf = cv2.imencode(".png", img)
        target.write_bytes(buf.tobytes())
        return Mutation(f"{target.name}: {size}x{size}", [target.name, target.parent.name], True)
    if kind == "jpeg":
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        f.write_bytes(cv2.imencode(".jpg", img)[1].tobytes())
        return Mutation(f"{f.name}: JPEG bytes", culprits)
    if kind == "empty":
        f.write_bytes(b"")
        return Mutation(f"{f.name}: empty", culprits, True)
    if kind == "text":
        f.write_text("not an image\n" * rng.randint(1, 1000))
        return Mutation(f"{f.name}: text", culprits, True)
    if kind == "delete_all":
        for g in files:
            g.unlink()
        return Mutation("every frame deleted", [f.parent.name, "color"], True)
    f.unlink()
    f.mkdir()
    return Mutation(f"{f.name}: a folder", culprits)


MUTATORS: list[Callable[[random.Random, Path], Mutation]] = [
    mutate_prompts, mutate_config, mutate_frames]


# --- running and judging ------------------------------------------------------------------

def run_command(args: list[str]) -> Outcome:
    """``robomask ARGS`` in this process, output captured."""
    from robomask.cli import common
    from robomask.cli.main import main

    buf = io.StringIO()
    widths = [(c, c.width) for c in (common.console, common.err_console)]
    t0 = time.perf_counter()
    code, crash = None, ""
    try:
        for c, _ in widths:
            c.width = 4000  # one line per message: a culprit is never cut by wrapping
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - anything escaping main is what we look for
        crash = traceback.format_exc(limit=8)
    finally:
        for c, w in widths:
            c.width = w
    return Outcome(args[0], code, buf.getvalue(), time.perf_counter() - t0, crash)


def backend_runs_here(config_path: Path) -> bool:
    """False when the case's config selects a backend this machine cannot run (a
    mutation may switch it to sam3): then ``run`` fails for the machine, not the inputs,
    and ``check`` (which checks inputs) need not agree."""
    from robomask.config import load_config
    from robomask.doctor import check_backend
    from robomask.errors import RobomaskError

    try:
        name = load_config(config_path).backend
    except RobomaskError:
        return True
    except Exception:  # noqa: BLE001 - a crash here is the CLI's crash too, judged there
        return True
    return check_backend(name).ok


def judge(mutation: Mutation, outcomes: list[Outcome], *, backend_ok: bool = True
          ) -> list[str]:
    """The oracle's complaints about one case (see the module docstring)."""
    bad = []
    for o in outcomes:
        if o.crash or "Traceback" in o.output:
            bad.append(f"{o.command}: traceback: {(o.crash or o.output)[-600:]}")
            continue
        if o.code not in (0, 1, 2):
            bad.append(f"{o.command}: exit code {o.code}")
        if len(o.output) > MAX_OUTPUT_CHARS:
            bad.append(f"{o.command}: {len(o.output)} characters of output")
        if mutation.must_fail and o.code == 0:
            bad.append(f"{o.command}: exit 0 on invalid input")
        flat = " ".join(o.output.split())
        machine = o.command == "run" and not backend_ok  # fails for the machine, not inputs
        named = any(" ".join(c.split()) in flat for c in mutation.culprits if c)
        if o.code and not machine and not named:
            bad.append(f"{o.command}: exit {o.code} without naming any of "
                       f"{mutation.culprits}: {flat[-400:]}")
    check, run = outcomes
    if check.code == 0 and run.code not in (0, None) and backend_ok:
        bad.append(f"check passed but run failed: {' '.join(run.output.split())[-400:]}")
    return bad


def run_case(base: Path, work: Path, seed: int) -> CaseResult:
    """Copy ``base`` to ``work``, mutate it with ``seed``, run check and run, judge."""
    rng = random.Random(seed)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work, symlinks=True)
    mutation = rng.choice(MUTATORS)(rng, work)
    config = str(work / "mask_config.yaml")
    outcomes = [run_command(["check", "--config", config, "--scene", SCENE]),
                run_command(["run", "--config", config, "--scene", SCENE])]
    backend_ok = backend_runs_here(work / "mask_config.yaml")
    return CaseResult(seed, mutation, outcomes, judge(mutation, outcomes, backend_ok=backend_ok))
