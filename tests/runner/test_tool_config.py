"""The tool the runner masks comes from the rig's ``robot: {tool: ...}``."""

import pytest

from tapbot.core import Dispatcher
from tapbot.core.errors import TapbotError
from tapbot.core.geometry import PointPx
from tapbot.rig import build_rig
from tapbot.runner import Runner
from tapbot.runner.touch import tool_shape


def test_a_bigger_carriage_in_the_rig_config_is_a_bigger_mask():
    small = Runner(build_rig(None, seed=1), Dispatcher(), run_id="a")
    big = Runner(build_rig(None, seed=1, overrides={"robot": {"tool": {
        "carriage_size_mm": [80, 40]}}}), Dispatcher(), run_id="b")
    tip = PointPx(540.0, 1200.0)
    area_small = int((small._tool_at(tip) > 0).sum())
    area_big = int((big._tool_at(tip) > 0).sum())
    assert area_big > area_small * 1.3
    assert tool_shape(big.rig).carriage_size_mm == (80.0, 40.0)


def test_a_one_finger_robot_has_no_second_finger_to_mask():
    rig = build_rig(None, seed=1, overrides={"robot": {"fingers": 1}})
    assert tool_shape(rig).second_finger_mm is None


def test_a_bad_tool_setting_names_the_key():
    with pytest.raises(TapbotError, match="tool"):
        build_rig(None, seed=1, overrides={"robot": {"tool": {"carriage_size_mm": [0, 24]}}})
