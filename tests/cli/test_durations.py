import pytest

from tapbot.cli.durations import format_duration, parse_duration
from tapbot.core import ConfigError


@pytest.mark.parametrize("text,seconds", [
    ("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("24h", 86400), ("2.5", 2.5),
    ("500ms", 0.5),
])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1x", "-5", "0s", "h1"])
def test_bad_durations_say_what_is_accepted(text):
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_format():
    assert format_duration(5400) == "1:30:00"
