"""Cameras: the contract every frame source implements."""

from tapbot.cameras.base import Camera

__all__ = ["Camera"]
