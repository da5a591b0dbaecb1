"""On a real GRBL controller (off by default): ``TAPBOT_GRBL_PORT=/dev/ttyUSB0 pytest -m hardware``.

Moves the machine by 5 mm in X and back at low speed: clear the deck first.
"""

import os

import pytest

from tapbot.core.clock import MonotonicClock
from tapbot.robots.grbl import GrblOptions, GrblRobot

pytestmark = pytest.mark.hardware
PORT = os.environ.get("TAPBOT_GRBL_PORT")


@pytest.mark.skipif(not PORT, reason="set TAPBOT_GRBL_PORT to the controller's port")
def test_a_real_controller_connects_moves_and_reports_where_it_is():
    b = GrblRobot(GrblOptions(port=PORT), MonotonicClock())
    b.setup()
    try:
        x, y, _ = b.request_position()
        b.move_to(x + 5.0, y, 10.0)
        assert b.request_position()[0] == pytest.approx(x + 5.0, abs=0.01)
        b.move_to(x, y, 10.0)
    finally:
        b.stop()
