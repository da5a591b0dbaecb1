"""Bad rig files name the file, the line, the key and what is allowed."""

import pytest

from tapbot.core import ConfigError
from tapbot.rig import build_rig


def write(tmp_path, text):
    path = tmp_path / "rig.yaml"
    path.write_text(text)
    return path


def test_unknown_robot_type_names_file_line_and_allowed_values(tmp_path):
    path = write(tmp_path, "name: lab1\nrobot:\n  type: grbl9000\n")
    with pytest.raises(ConfigError) as info:
        build_rig(path)
    msg = str(info.value)
    assert f"{path}:3" in msg
    assert "robot.type 'grbl9000' is unknown" in msg
    assert "allowed: delta-grbl, grbl, sim" in msg


def test_unknown_option_of_a_backend_names_the_key(tmp_path):
    path = write(tmp_path, "camera:\n  type: sim\n  fps: 60\n  zoom: 3\n")
    with pytest.raises(ConfigError) as info:
        build_rig(path)
    assert f"{path}:4: camera.zoom: unknown key" in str(info.value)


def test_bad_value_names_the_field(tmp_path):
    path = write(tmp_path, "camera:\n  type: sim\n  fps: -3\n")
    with pytest.raises(ConfigError, match=r"rig.yaml:3: camera.fps"):
        build_rig(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        build_rig(tmp_path / "nope.yaml")


def test_malformed_yaml_gives_line_and_column(tmp_path):
    path = write(tmp_path, "robot:\n  type: sim\n camera: [\n")
    with pytest.raises(ConfigError, match=r"rig.yaml:\d+:\d+: malformed YAML"):
        build_rig(path)


def test_a_rig_file_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="must be a mapping"):
        build_rig(write(tmp_path, "- robot\n- camera\n"))


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError, match=r"rig.yaml:1: robots: unknown key"):
        build_rig(write(tmp_path, "robots:\n  type: sim\n"))


def test_missing_calibration_file_says_how_to_make_one(tmp_path):
    path = write(tmp_path, "calibration:\n  type: file\n  path: cal/phone.json\n")
    with pytest.raises(ConfigError.__mro__[1], match="tapbot calibrate"):
        build_rig(path)
