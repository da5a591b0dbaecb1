"""Devices: profiles of phones under test and the link contract (adb on a real rig)."""

from tapbot.devices.link import DeviceLink, TouchEvent
from tapbot.devices.profile import DeviceProfile

__all__ = ["DeviceLink", "DeviceProfile", "TouchEvent"]
