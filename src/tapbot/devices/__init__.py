"""Devices: profiles of phones under test, the link contract, and the adb link."""

from typing import TYPE_CHECKING, Any

from tapbot.devices.link import DeviceLink, TouchEvent
from tapbot.devices.profile import DeviceProfile

if TYPE_CHECKING:
    from tapbot.devices.adb import AdbDeviceLink, AdbLinkOptions

__all__ = ["AdbDeviceLink", "AdbLinkOptions", "DeviceLink", "DeviceProfile", "TouchEvent"]


def __getattr__(name: str) -> Any:
    # adbutils takes ~0.4 s to import: load the adb link only when someone asks for it
    if name in ("AdbDeviceLink", "AdbLinkOptions"):
        from tapbot.devices import adb

        return getattr(adb, name)
    raise AttributeError(f"module 'tapbot.devices' has no attribute {name!r}")
