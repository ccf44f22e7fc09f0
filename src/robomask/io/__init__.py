"""Frames in, masks out: the bottom layer (no model, no config)."""
