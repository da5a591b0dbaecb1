"""On a real phone over adb (off by default): ``pytest -m hardware`` with one phone attached."""

import pytest

from tapbot.core.clock import MonotonicClock
from tapbot.devices.adb import AdbDeviceLink, AdbLinkOptions, adb_server_running

pytestmark = pytest.mark.hardware


@pytest.mark.skipif(not adb_server_running(), reason="no adb server running")
def test_a_real_phone_is_booted_and_gives_a_screenshot():
    link = AdbDeviceLink(AdbLinkOptions(), MonotonicClock(), (1080, 2400))
    assert link.boot_state() == "booted"
    shot = link.screenshot()
    assert shot.ndim == 3 and shot.shape[2] == 3
    link.start()
    assert link.touchscreen is not None
