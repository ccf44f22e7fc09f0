"""mask_config.yaml: every key of the old notebooks (SPEC section 3) plus robomask's own.

Relative paths in the file are taken relative to the file's folder. An unknown key is
an error that suggests the closest valid name.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from robomask.config.sections import (
    KINEMATICS_PATH_KEYS,
    DatasetConfig,
    KinematicsConfig,
    MatrixOrPath,
)
from robomask.errors import ConfigError, excerpt
from robomask.io.strict_yaml import load_yaml
from robomask.io.textfile import read_text

ExportMode = Literal["arm_minus_gripper", "union", "arm", "gripper"]
DilateKernel = Literal["square", "disk"]
Stage = Literal["arm", "gripper"]
StageName = Literal["arm", "gripper", "merge"]  # a stage of `robomask run`
ALL_STAGES: tuple[StageName, ...] = ("arm", "gripper", "merge")
MAX_CONFIG_BYTES = 1024 * 1024
MAX_DILATE_RADIUS_PX = 4096  # beyond any frame robomask reads; see also merge.check_radii
OBJ_ID_MAX = 2**31 - 1  # model backends keep object ids in 32-bit integers
_GPU_LIST = re.compile(r"\s*([0-9]{1,4}\s*(,\s*[0-9]{1,4}\s*)*)?,?\s*")
class Config(BaseModel):
    """All settings of a robomask run. Field descriptions become the comments of
    ``robomask init``'s template."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # --- keys of the original notebooks (SPEC section 3) ---
    task_name: str = Field(description="task folder under data_base_dir")
    scene_name: str | None = Field(None, description="default scene (usually overridden per run)")
    data_base_dir: Path = Field(description="dataset root")
    export_base_dir: Path = Field(
        description="output root; outputs go to {export_base_dir}/{task_name}")
    sam3_checkpoint: Path | None = Field(
        None, description="path to the SAM3 weights file (sam3.pt)")
    cuda_visible_devices: str = Field("0", description=(
        "not used by robomask (the notebooks' merge read it; merge runs on the CPU); "
        "the sessions use cuda_visible_devices_arm / _gripper"))
    cuda_visible_devices_arm: str = Field("0", description="GPUs for the arm session")
    cuda_visible_devices_gripper: str = Field("0", description="GPUs for the gripper session")
    apply_temporal_disambiguation: bool = Field(False, description="SAM3 video option")
    arm_obj_id: int = Field(0, description="object id of the (main/right) arm + cable")
    arm_obj_id_2: int | None = Field(None, description="second (left) arm; null = single-arm robot")
    gripper_left_obj_id: int = Field(2, description="left gripper object id")
    gripper_right_obj_id: int = Field(3, description="right gripper object id")
    arm_text_prompt: str = Field("robot and cable", description="text prompt that finds the arm")
    arm_text_bootstrap_frame_index: int = Field(
        0, ge=0, description="frame that the text prompt is put on")
    vis_frame_stride: int = Field(30, ge=1, description="preview: every N-th frame")
    vis_max_plots: int = Field(10, ge=1, description="preview: at most this many frames")
    export_arm_dilate_radius: int = Field(
        15, ge=0, le=MAX_DILATE_RADIUS_PX,
        description="arm dilation radius (pixels)")
    export_gripper_dilate_radius: int = Field(
        15, ge=0, le=MAX_DILATE_RADIUS_PX,
        description="gripper dilation radius (pixels)")
    export_log_every: int = Field(50, ge=1, description="pixel-count log line every N frames")

    # --- robomask's additions; defaults reproduce the notebooks ---
    split: str = Field("train", description="split folder between task and scene")
    camera: str = Field("105422061350", description="camera serial: frames are under cam_{camera}")
    frames_dir: str = Field(
        "color", description="frame folder (or {frames_dir}.mp4) inside the camera folder")
    dataset: DatasetConfig = Field(
        default_factory=DatasetConfig, description="scene source: format, root, camera, episodes")
    backend: str = Field(
        "sam3", description="segmentation backend: sam3 | sam3-hf | opencv | kinematic "
        "(see robomask doctor)")
    export_mode: ExportMode = Field(
        "arm_minus_gripper", description="arm_minus_gripper | union | arm | gripper")
    dilate_kernel: DilateKernel = Field(
        "square", description="square (as the notebooks) | disk")
    mask_naming: Literal["index", "source_stem"] = Field(
        "index", description="name masks 00000.png (index) or after the source frame (source_stem)")
    sam3_bpe_path: Path | None = Field(
        None, description="SAM3 BPE vocabulary (bpe_simple_vocab_16e6.txt.gz); null = search")
    sam3_hf_model_dir: Path | None = Field(
        None, description="local folder of the transformers SAM3 weights (sam3-hf backend)")
    sam3_offload_video_to_cpu: bool = Field(
        False, description="sam3: keep video frames in CPU memory (the GPU still gets a "
        "copy in 0.1.4; use max_frames_per_session to bound GPU memory)")
    max_frames_per_session: int | None = Field(
        None, ge=2, description="most frames one model session holds (bounds GPU memory); "
        "a longer video runs in overlapping windows of this many frames, objects carried "
        "from window to window by their masks; null = the whole video in one session")
    device: str = Field("auto", description="auto | cuda | cuda:N | mps | cpu")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="model dtype: auto = bfloat16 on CUDA, float32 elsewhere")
    qa_area_jump_ratio: float = Field(
        1.8, gt=1, description="QA report: flag a mask whose area grows or shrinks by more than "
        "this factor between consecutive frames")
    qa_min_area_frac: float = Field(
        0.0005, ge=0, lt=1, description="QA report: mask parts smaller than this fraction of "
        "the frame are specks, ignored by the area-jump and part-count checks")
    qa_gripper_max_gap_frac: float = Field(
        0.15, gt=0, description="QA report: flag a gripper farther than this fraction of the "
        "image diagonal from the arm mask (wrong object)")
    qa_swap_min_dx_frac: float = Field(
        0.02, ge=0, lt=1, description="QA report: left/right grippers closer than this fraction "
        "of the width apart (x) count as undecided in the swap check")
    depth_dir: str = Field(
        "depth", description="robomask depth: folder of 16-bit depth PNGs beside the frame "
        "folder, named like the frames")
    depth_scale: float = Field(
        1000.0, gt=0, description="robomask depth: depth units per metre (1000 = millimetres)")
    depth_intrinsics: MatrixOrPath | None = Field(
        None, description="robomask depth --ply: 3x3 camera matrix of the depth images "
        "(inline, a K.txt/.npy or a ROS camera_info.yaml; may hold {cam_dir}); null = "
        "kinematics.intrinsics")
    kinematics: KinematicsConfig | None = Field(
        None, description="render the robot from its URDF, joint angles and camera "
        "(zero-click prompts, masks, or a report check); null = off")

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        """YAML reads yes/no/on/off as true/false, which pydantic would take as 1/0."""
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key)
                if isinstance(value, bool) and field is not None and \
                        field.annotation in (int, int | None, float, float | None):
                    raise ValueError(f"key '{key}': expected a number, got {value} (YAML reads "
                                     "yes/no/on/off as true/false)")
        return data

    @field_validator("cuda_visible_devices", "cuda_visible_devices_arm",
                     "cuda_visible_devices_gripper")
    @classmethod
    def _gpu_list(cls, value: str) -> str:
        if not _GPU_LIST.fullmatch(value):
            raise ValueError(f"expected comma-separated GPU numbers like '0,1', got "
                             f"{excerpt(value)}")
        return value

    @field_validator("arm_obj_id", "arm_obj_id_2", "gripper_left_obj_id",
                     "gripper_right_obj_id")
    @classmethod
    def _obj_id_range(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= OBJ_ID_MAX:
            raise ValueError(f"expected an object id in 0..{OBJ_ID_MAX}, got {excerpt(value)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _lerobot_defaults(cls, data: Any) -> Any:
        """A LeRobot config needs no data_base_dir (the dataset root stands in) and its
        task_name defaults to the dataset folder's name (outputs: {export_base_dir}/{task})."""
        ds = data.get("dataset") if isinstance(data, dict) else None
        if isinstance(ds, dict) and ds.get("format") == "lerobot" and ds.get("root"):
            data = {"data_base_dir": ds["root"], "task_name": Path(str(ds["root"])).name,
                    **data}
        return data

    @model_validator(mode="after")
    def _distinct_object_ids(self) -> Config:
        ids = {
            "arm_obj_id": self.arm_obj_id,
            "arm_obj_id_2": self.arm_obj_id_2,
            "gripper_left_obj_id": self.gripper_left_obj_id,
            "gripper_right_obj_id": self.gripper_right_obj_id,
        }
        seen: dict[int, str] = {}
        for key, value in ids.items():
            if value is None:
                continue
            if value in seen:
                raise ValueError(
                    f"{key}: expected an object id distinct from the others, got {value}, "
                    f"which {seen[value]} already uses"
                )
            seen[value] = key
        return self

    # --- derived values ---
    @property
    def arm_ids(self) -> list[int]:
        """Object ids of the arm session (main arm, then second arm when configured)."""
        return [self.arm_obj_id] + ([self.arm_obj_id_2] if self.arm_obj_id_2 is not None else [])

    @property
    def kinematic_masks(self) -> bool:
        """Sessions take the rendered masks (``backend: kinematic`` or kinematics.use masks)."""
        return self.backend == "kinematic" or (self.kinematics is not None
                                               and self.kinematics.use == "masks")

    @property
    def gripper_ids(self) -> list[int]:
        return [self.gripper_left_obj_id, self.gripper_right_obj_id]

    def cuda_devices(self, stage: Stage) -> list[int]:
        """GPU indices configured for a session stage, e.g. ``"0,1"`` -> ``[0, 1]``."""
        key = f"cuda_visible_devices_{stage}"
        raw = getattr(self, key)
        try:
            return [int(x) for x in str(raw).split(",") if x.strip()]
        except ValueError as exc:
            raise ConfigError(
                f"{key}: expected comma-separated GPU numbers like '0,1', got {raw!r}"
            ) from exc

    @property
    def output_dir(self) -> Path:
        """{export_base_dir}/{task_name}."""
        return self.export_base_dir / self.task_name

    @property
    def task_dir(self) -> Path:
        """{data_base_dir}/{task_name}/{split}: the folder that holds the scenes."""
        return self.data_base_dir / self.task_name / self.split


def _describe_error(source: str, err: dict[str, Any]) -> str:
    loc = ".".join(str(x) for x in err.get("loc", ())) or "(file)"
    msg = err.get("msg", "invalid")
    if msg.startswith("Value error, "):  # our validators' own "expected X, got Y"
        text = msg[len("Value error, "):]
        named = not err.get("loc") or text.startswith(str(err["loc"][0]))
        return f"{source}: {text}" if named else f"{source}: key '{loc}': {text}"
    if err.get("type") == "extra_forbidden":
        return f"{source}: unknown key '{loc}', expected one of the section's keys"
    if err.get("type") == "missing":
        return f"{source}: key '{loc}': expected a value, got no such key"
    msg = msg.removeprefix("Input should be ")  # "expected a valid integer", not "expected input.."
    return f"{source}: key '{loc}': expected {msg[0].lower() + msg[1:]}, got " \
           f"{excerpt(err.get('input'))}"


def config_from_dict(data: dict[str, Any], *, source: str = "config",
                     base_dir: Path | None = None) -> Config:
    """Validate a mapping as a :class:`Config`.

    Args:
        data: Key -> value, as read from YAML.
        source: Name for messages (usually the file path).
        base_dir: Folder that relative paths are taken from (the config file's folder).
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys to values, got "
                          f"{type(data).__name__}")
    sections = [("", data, Config)]
    sections += [(f"{key}.", data[key], model) for key, model in
                 (("dataset", DatasetConfig), ("kinematics", KinematicsConfig))
                 if isinstance(data.get(key), dict)]
    for prefix, section, model in sections:
        valid = list(model.model_fields)
        for key in section:
            if key not in valid:
                close = difflib.get_close_matches(str(key)[:100], valid, n=1, cutoff=0.6)
                hint = (f"did you mean '{prefix}{close[0]}'?" if close
                        else "see 'robomask init' for all keys")
                raise ConfigError(f"{source}: unknown key {excerpt(prefix + str(key))}, "
                                  "expected one of the config keys", hint=hint)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_error(source, exc.errors()[0])) from exc
    if base_dir is not None:
        for name in ("data_base_dir", "export_base_dir", "sam3_checkpoint", "sam3_bpe_path",
                     "sam3_hf_model_dir"):
            value = getattr(cfg, name)
            if value is not None and not Path(value).expanduser().is_absolute():
                setattr(cfg, name, (base_dir / Path(value).expanduser()).resolve())
            elif value is not None:
                setattr(cfg, name, Path(value).expanduser())
        if cfg.kinematics is not None:
            _resolve_kinematics_paths(cfg.kinematics, base_dir)
        cfg.depth_intrinsics = _under(cfg.depth_intrinsics, base_dir)
        root = cfg.dataset.root
        if root is not None:
            root = Path(root).expanduser()
            cfg.dataset.root = root if root.is_absolute() else (base_dir / root).resolve()
    return cfg


def _under(value: Any, base_dir: Path) -> Any:
    """A relative path string -> under ``base_dir``; a path that starts with a
    placeholder such as ``{cam_dir}`` (left for the scene to fill) or an inline matrix
    is returned unchanged."""
    if isinstance(value, str) and not value.startswith("{"):
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else base_dir / path)
    return value


def _resolve_kinematics_paths(kin: KinematicsConfig, base_dir: Path) -> None:
    """Relative paths of the kinematics section -> under ``base_dir``."""
    for name in KINEMATICS_PATH_KEYS:
        setattr(kin, name, _under(getattr(kin, name), base_dir))


def load_config(path: Path | str, **overrides: Any) -> Config:
    """Read and validate mask_config.yaml; ``overrides`` replace keys of the file.

    Example:
        >>> cfg = load_config("mask_config.yaml", backend="opencv")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: expected a config file, got nothing there",
                          hint="run 'robomask init' to write a commented template")
    text = read_text(path, what="config file", max_bytes=MAX_CONFIG_BYTES, error=ConfigError)
    data = load_yaml(text, source=str(path), error=ConfigError)
    data = {} if data is None else data
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return config_from_dict(data, source=str(path), base_dir=path.resolve().parent)


_TEMPLATE_VALUES: dict[str, Any] = {
    "task_name": "task_0013",
    "scene_name": "scene_0014",
    "data_base_dir": "/data/dataset",
    "export_base_dir": "/data/masks",
    "sam3_checkpoint": "/models/sam3/sam3.pt",
    "cuda_visible_devices": "0,1,2,3",
    "cuda_visible_devices_arm": "0,1",
    "cuda_visible_devices_gripper": "2,3",
}


def render_template(**values: Any) -> str:
    """A commented mask_config.yaml with every key; ``values`` replace the examples."""
    lines = ["# robomask mask_config.yaml: every key, with its default or an example.",
             "# Keys of the original notebooks come first; robomask's additions follow."]
    for name, field in Config.model_fields.items():
        if name == "split":
            lines += ["", "# --- robomask additions (defaults reproduce the notebooks) ---"]
        if name == "kinematics" and name not in values:
            lines += [f"kinematics: null  # {field.description}", *_kinematics_template()]
            continue
        if name in values:
            value = values[name]
        elif name in _TEMPLATE_VALUES:
            value = _TEMPLATE_VALUES[name]
        else:
            value = field.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            lines.append(f"{name}:  # {field.description}")
            lines += [f"  {k}: {json.dumps(getattr(value, k))}  # {f.description}"
                      for k, f in type(value).model_fields.items()]
            continue
        value = str(value) if isinstance(value, Path) else value
        lines.append(f"{name}: {json.dumps(value)}  # {field.description}")
    return "\n".join(lines) + "\n"


def _kinematics_template() -> list[str]:
    """An example kinematics section, commented out, one line per key."""
    example = {"urdf": "robots/xarm7.urdf", "joint_states": "{cam_dir}/joint_states",
               "intrinsics": "{cam_dir}/camera_info.yaml",
               "camera_pose_in_base": "{cam_dir}/camera_pose.npy"}
    lines = ["# An example section (replace the null above):", "# kinematics:"]
    for name, field in KinematicsConfig.model_fields.items():
        value = example.get(name, field.default)
        lines.append(f"#   {name}: {json.dumps(value)}  # {field.description}")
    return lines
