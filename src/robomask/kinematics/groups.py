"""Link groups: which links make the arm, the second arm and each gripper side."""

from __future__ import annotations

import fnmatch

import numpy as np

from robomask.config import Config, KinematicsConfig
from robomask.errors import KinematicsError

# config key of the link globs -> config key of the object id; earlier keys win a link
GROUP_KEYS = (("gripper_left_links", "gripper_left_obj_id"),
              ("gripper_right_links", "gripper_right_obj_id"),
              ("arm_2_links", "arm_obj_id_2"), ("arm_links", "arm_obj_id"))
OBJECT_NAMES = {"gripper_left_obj_id": "gripper_left", "gripper_right_obj_id": "gripper_right",
                "arm_obj_id_2": "arm_2", "arm_obj_id": "arm"}


def link_groups(config: Config, kin: KinematicsConfig, link_names: tuple[str, ...]
                ) -> dict[int, tuple[str, ...]]:
    """Object id -> names of its links; a link in a gripper group leaves the arm's.

    Raises:
        KinematicsError: A name or glob that matches no link of the URDF, or a second-arm
            group without ``arm_obj_id_2``.
    """
    taken: set[str] = set()
    groups: dict[int, tuple[str, ...]] = {}
    for links_key, id_key in GROUP_KEYS:
        patterns: list[str] = getattr(kin, links_key)
        obj_id = getattr(config, id_key)
        if patterns and obj_id is None:
            raise KinematicsError(f"kinematics.{links_key}: expected {id_key} set in the config, "
                                  "got null", hint=f"set {id_key}, or empty {links_key}")
        found: list[str] = []
        for pattern in patterns:
            hits = fnmatch.filter(link_names, pattern)
            if not hits:
                raise KinematicsError(f"kinematics.{links_key}: expected links of the URDF, got "
                                      f"unknown link {pattern!r}",
                                      hint=f"links: {', '.join(link_names)}")
            found += [h for h in hits if h not in taken and h not in found]
        taken.update(found)
        if obj_id is not None and found:
            groups[int(obj_id)] = tuple(found)
    return groups


def object_names(config: Config) -> dict[int, str]:
    """Object id -> ``arm``, ``arm_2``, ``gripper_left`` or ``gripper_right``."""
    return {getattr(config, key): name for key, name in OBJECT_NAMES.items()
            if getattr(config, key) is not None}


def label_lut(groups: dict[int, tuple[str, ...]], render_links: tuple[str, ...]
              ) -> tuple[np.ndarray, list[int]]:
    """A lookup table from render labels to object slots (0 = no object) and the ids.

    ``lut[label] == k + 1`` when the label's link belongs to object ``ids[k]``.
    """
    ids = sorted(groups)
    lut = np.zeros(len(render_links) + 1, dtype=np.uint8)
    for k, obj_id in enumerate(ids):
        for link in groups[obj_id]:
            if link in render_links:
                lut[render_links.index(link) + 1] = k + 1
    return lut, ids
