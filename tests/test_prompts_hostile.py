"""Hostile prompt files: one PromptError naming the file (and key or entry), bounded in
size, never a RecursionError, ValueError or OverflowError."""

from __future__ import annotations

import json

import pytest

from robomask.errors import PromptError
from robomask.prompts import ARM_KEY, LEFT_KEY, read_prompts

ENTRY = '{"frame_index": 0, "obj_id": 2, "points": [[%s, 5]], "labels": [1]}'


def _refused(tmp_path, text: str, *fragments: str) -> str:
    path = tmp_path / "annotation_prompts_gripper_points.json"
    path.write_text(text)
    with pytest.raises(PromptError) as exc:
        read_prompts(path)
    message = str(exc.value)
    assert str(path) in message and len(message) < 400, message
    for f in fragments:
        assert f in message, message
    return message


@pytest.mark.parametrize("text,fragments", [
    ("[" * 100_000 + "]" * 100_000, ("nesting too deep",)),
    (f'{{"{LEFT_KEY}": [{ENTRY % ("9" * 5000)}]}}', ("at most 18 digits",)),
    (f'{{"{LEFT_KEY}": [{ENTRY % "1e400"}]}}', ("finite numbers", "1e400")),
    (f'{{"{LEFT_KEY}": [{ENTRY % "NaN"}]}}', ("finite numbers", "NaN")),
    (f'{{"{LEFT_KEY}": [{ENTRY % "-Infinity"}]}}', ("finite numbers",)),
    (f'{{"{LEFT_KEY}": {{}}}}', (LEFT_KEY, "expected a list of entries")),
    ('{"ARM_LEFT_INITIAL_PROMPTS": 5}', ("ARM_LEFT_INITIAL_PROMPTS", "expected a list")),
    (json.dumps({LEFT_KEY: [{"frame_index": 0, "obj_id": 2, "points": [[1, 2]],
                             "labels": [1], "coord_type": "x" * 100_000}]}),
     (f"{LEFT_KEY}[0]", "coord_type")),
    (json.dumps({LEFT_KEY: [{"frame_index": 0, "obj_id": 2, "points": [[1, 2]] * 50_000,
                             "labels": [7] * 50_000}]}), (f"{LEFT_KEY}[0]", "labels")),
])
def test_hostile_prompt_files_are_one_short_line(tmp_path, text, fragments):
    _refused(tmp_path, text, *fragments)


def test_null_lists_are_empty(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({ARM_KEY: None}))
    assert read_prompts(path).is_empty()
