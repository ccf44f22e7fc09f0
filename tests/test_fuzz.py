"""Fuzz: mutated prompt files, configs and frame folders through `check` and `run`.

A fixed set of seeds keeps the suite fast and repeatable; benchmarks/fuzz.py runs the
same mutator over thousands of seeds. The oracle is in tests/fuzz_inputs.py: no
traceback, a non-zero exit on invalid input, a message naming the file or key, bounded
output, and `check` never passing what `run` fails on.
"""

from __future__ import annotations

import shutil

import pytest

import fuzz_inputs

SEEDS = range(24)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return fuzz_inputs.make_base(tmp_path_factory.mktemp("fuzz") / "base")


def test_the_unmutated_scene_passes_check_and_run(base, tmp_path):
    work = tmp_path / "case"
    shutil.copytree(base, work)
    config = str(work / "mask_config.yaml")
    for command in ("check", "run"):
        outcome = fuzz_inputs.run_command([command, "--config", config, "--scene",
                                           fuzz_inputs.SCENE])
        assert outcome.code == 0 and not outcome.crash, outcome.output


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_inputs_fail_cleanly(base, tmp_path, seed):
    result = fuzz_inputs.run_case(base, tmp_path / "case", seed)
    assert not result.failures, f"seed {seed}: {result.mutation.what}\n" + "\n".join(
        result.failures)
