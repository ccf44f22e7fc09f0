"""A synthetic robot scene for trying robomask without data, GPU or weights."""

from robomask.demo.clicks import clicks_from_mask
from robomask.demo.scene import DemoScene, make_demo_scene

__all__ = ["DemoScene", "clicks_from_mask", "make_demo_scene"]
