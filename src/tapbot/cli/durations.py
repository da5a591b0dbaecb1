"""Human durations: ``90s``, ``15m``, ``1h``, ``1h30m``, ``24h`` or plain seconds."""

from __future__ import annotations

import re

from tapbot.core.errors import ConfigError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises :class:`ConfigError` saying what is accepted."""
    cleaned = text.strip().lower().replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        pos, total = 0, 0.0
        for m in _PART.finditer(cleaned):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _UNIT_S[m.group(2)]
            pos = m.end()
        if pos != len(cleaned) or not cleaned:
            raise ConfigError(f"duration '{text}' is not understood",
                              hint="use e.g. 90s, 15m, 1h or 1h30m") from None
        value = total
    if value <= 0:
        raise ConfigError(f"duration '{text}' must be positive")
    return value


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"
