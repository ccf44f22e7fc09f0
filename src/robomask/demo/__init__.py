"""A synthetic robot scene for trying robomask without data, GPU or weights."""

from robomask.demo.clicks import central_clicks_from_mask, clicks_from_mask
from robomask.demo.scene import DemoScene, make_demo_scene

__all__ = ["DemoScene", "central_clicks_from_mask", "clicks_from_mask", "make_demo_scene"]
