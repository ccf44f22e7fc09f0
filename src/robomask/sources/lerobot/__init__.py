"""LeRobot datasets (v2.1 and v3.0) as scenes: one scene per episode of one camera.

Layouts read (as written by the ``lerobot`` package, ``lerobot/datasets/utils.py``):

- v2.x: ``meta/info.json``, ``meta/episodes.jsonl`` (episode_index, length),
  ``data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet`` and one video per
  episode ``videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4``.
- v3.0: ``meta/info.json``, ``meta/episodes/chunk-XXX/file-YYY.parquet`` (one row per
  episode: length, ``data/chunk_index``, ``data/file_index``,
  ``videos/{key}/chunk_index``, ``file_index``, ``from_timestamp``, ``to_timestamp``),
  several episodes per ``data/chunk-XXX/file-YYY.parquet`` and per
  ``videos/{key}/chunk-XXX/file-YYY.mp4``.

The dataset folder is only read. Prompt files and outputs of a scene live under
``{export_base_dir}/{task_name}/``.
"""
