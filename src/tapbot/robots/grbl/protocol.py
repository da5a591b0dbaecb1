"""The GRBL 1.1 line protocol: what the controller says, parsed (grblHAL and FluidNC agree).

Pure functions and data, no I/O: status reports (``<Idle|MPos:...|FS:...>``), the startup
banner, push messages, and ``error:N`` / ``ALARM:N`` decoded into :class:`TapbotError`
subclasses that say what the code means and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tapbot.core.errors import HardwareError

# Real-time commands: single bytes GRBL acts on at once, outside the line buffer.
STATUS_QUERY = b"?"
FEED_HOLD = b"!"
CYCLE_START = b"~"
SOFT_RESET = b"\x18"
JOG_CANCEL = b"\x85"

RX_BUFFER_BYTES = 128  # GRBL 1.1's serial receive buffer on an ATmega328p

_BANNER = re.compile(r"^(Grbl(?:HAL)?)\s+(\S+)(.*)$", re.IGNORECASE)
_STATUS = re.compile(r"^<([^|>]+)((?:\|[^|>]*)*)>$")

# error:N -> meaning, in our words (after the GRBL 1.1 interface documentation).
ERROR_MEANINGS: dict[int, str] = {
    1: "a G-code word has no letter",
    2: "a number is missing or malformed",
    3: "the '$' system command is not recognised",
    4: "a value that must be positive is negative",
    5: "homing is not enabled in the controller settings ($22)",
    6: "the step pulse must be at least 3 microseconds",
    7: "the settings memory could not be read; defaults were restored",
    8: "this '$' command works only while the machine is idle",
    9: "G-code is locked out while in alarm or jog state",
    10: "soft limits need homing enabled",
    11: "the line is longer than the controller accepts",
    12: "a '$' setting exceeds the maximum step rate",
    13: "the safety door is open",
    14: "the build info or startup line is too long for the settings memory",
    15: "the jog target lies outside the machine travel",
    16: "the jog command lacks '=' or contains forbidden G-code",
    17: "laser mode needs PWM output",
    20: "unsupported or invalid G-code command",
    21: "two G-code commands from the same modal group in one line",
    22: "the feed rate has not been set",
    23: "a G-code command needs an integer value",
    24: "two commands in one line both need the axis words",
    25: "a G-code word is repeated in the line",
    26: "a command that needs axis words has none",
    27: "the line number is invalid",
    28: "a required value word is missing",
    29: "G59.x work coordinate systems are not supported",
    30: "G53 is allowed only with G0 and G1",
    31: "axis words were found where no command uses them",
    32: "an arc needs at least one in-plane axis word",
    33: "the motion target is invalid",
    34: "the arc radius is invalid",
    35: "an arc needs at least one in-plane offset word",
    36: "unused value words were found in the line",
    37: "the tool length offset is not on the configured axis",
    38: "the tool number exceeds the supported maximum",
}

# ALARM:N -> (meaning, what to do).
ALARM_MEANINGS: dict[int, tuple[str, str]] = {
    1: ("a hard limit switch was hit; the machine position is probably lost",
        "clear the switch, then re-home ($H) before running again"),
    2: ("a motion target exceeds the machine travel (soft limit); position is kept",
        "check the rig envelope against the controller's travel ($130-$132), then unlock ($X)"),
    3: ("the controller was reset while moving; the position is probably lost",
        "re-home ($H) before running again"),
    4: ("the probe was not in its expected state before probing",
        "check the probe wiring, then unlock ($X)"),
    5: ("the probe did not touch within the programmed travel",
        "check the probe and the target, then unlock ($X)"),
    6: ("homing failed: the controller was reset during homing", "re-run homing ($H)"),
    7: ("homing failed: the safety door opened during homing", "close the door, re-home ($H)"),
    8: ("homing failed: pull-off did not clear the limit switch",
        "raise the pull-off distance ($27) or check the switch wiring, then re-home"),
    9: ("homing failed: no limit switch found within the search distance",
        "check the switches and the max travel settings, then re-home"),
    10: ("homing failed: a dual-axis switch was not found", "check the second switch, re-home"),
}


class GrblError(HardwareError):
    """The controller rejected a line with ``error:N``."""

    code = "TB420"

    def __init__(self, number: int, line: str = "") -> None:
        meaning = ERROR_MEANINGS.get(number, "an error this driver does not know")
        where = f" for line '{line}'" if line else ""
        super().__init__(
            f"GRBL error:{number}{where}: {meaning}",
            hint="this is a driver or config bug; report it with the line and the rig config",
        )
        self.number = number
        self.line = line


class GrblAlarm(HardwareError):
    """The controller is in alarm (``ALARM:N``): motion has stopped and is locked out."""

    code = "TB421"

    def __init__(self, number: int | None) -> None:
        if number is None:
            meaning, todo = ("the controller is in alarm state",
                             "see the controller's messages; unlock ($X) or re-home ($H)")
        else:
            meaning, todo = ALARM_MEANINGS.get(
                number, ("an alarm this driver does not know", "reset, then re-home ($H)"))
        label = f"ALARM:{number}" if number is not None else "alarm"
        super().__init__(f"GRBL {label}: {meaning}; the run stopped safely",
                         hint=todo + ", then resume the run")
        self.number = number


@dataclass(frozen=True)
class Status:
    """One real-time status report.

    ``state`` is the machine state without substate (``Idle``, ``Run``, ``Hold``, ``Jog``,
    ``Alarm``, ``Door``, ``Check``, ``Home``, ``Sleep``). Positions are in mm; ``wpos`` is
    derived from ``mpos - wco`` when the report gives only one of them and a WCO is known.
    """

    state: str
    substate: int | None = None
    mpos: tuple[float, ...] | None = None
    wpos: tuple[float, ...] | None = None
    wco: tuple[float, ...] | None = None
    planner_free: int | None = None
    rx_free: int | None = None
    feed: float | None = None
    spindle: float | None = None
    pins: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        return self.state == "Idle"

    def work_position(self, wco: tuple[float, ...] | None = None) -> tuple[float, ...] | None:
        """Work coordinates, using ``wco`` remembered from an earlier report if needed."""
        if self.wpos is not None:
            return self.wpos
        offset = self.wco or wco
        if self.mpos is None:
            return None
        if offset is None:
            return self.mpos
        return tuple(m - o for m, o in zip(self.mpos, offset, strict=False))


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


def parse_status(line: str) -> Status:
    """Parse ``<State|Key:value|...>``; raises :class:`HardwareError` on garbage."""
    m = _STATUS.match(line.strip())
    if not m:
        raise HardwareError(f"not a GRBL status report: {line!r}",
                            hint="check the baud rate and that the port is a GRBL controller")
    state_text = m.group(1)
    state, _, sub = state_text.partition(":")
    fields: dict[str, str] = {}
    for part in m.group(2).split("|")[1:]:
        key, _, value = part.partition(":")
        fields[key] = value
    try:
        mpos = _floats(fields["MPos"]) if "MPos" in fields else None
        wpos = _floats(fields["WPos"]) if "WPos" in fields else None
        wco = _floats(fields["WCO"]) if "WCO" in fields else None
        planner_free = rx_free = None
        if "Bf" in fields:
            planner_free, rx_free = (int(v) for v in fields["Bf"].split(","))
        feed = spindle = None
        if "FS" in fields:
            fs = _floats(fields["FS"])
            feed, spindle = fs[0], fs[1] if len(fs) > 1 else None
        elif "F" in fields:
            feed = float(fields["F"])
        substate = int(sub) if sub else None
    except (ValueError, IndexError) as exc:
        raise HardwareError(f"malformed GRBL status report {line!r}: {exc}") from exc
    return Status(state=state, substate=substate, mpos=mpos, wpos=wpos, wco=wco,
                  planner_free=planner_free, rx_free=rx_free, feed=feed, spindle=spindle,
                  pins=fields.get("Pn", ""), fields=fields)


def parse_banner(line: str) -> tuple[str, str] | None:
    """``("Grbl", "1.1h")`` for a startup banner line, else ``None``."""
    m = _BANNER.match(line.strip())
    if not m:
        return None
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class Reply:
    """One line from the controller, classified.

    ``kind`` is ``ok``, ``error``, ``alarm``, ``status``, ``banner``, ``message`` (``[...]``
    push messages, e.g. ``[MSG:...]``) or ``other``.
    """

    kind: str
    text: str
    number: int | None = None


def classify(line: str) -> Reply:
    """Sort a received line into the protocol's kinds of reply."""
    text = line.strip()
    if text == "ok":
        return Reply("ok", text)
    if text.startswith("error:"):
        try:
            return Reply("error", text, int(text[6:]))
        except ValueError:
            return Reply("error", text, None)
    if text.startswith("ALARM:"):
        try:
            return Reply("alarm", text, int(text[6:]))
        except ValueError:
            return Reply("alarm", text, None)
    if text.startswith("<") and text.endswith(">"):
        return Reply("status", text)
    if text.startswith("["):
        return Reply("message", text)
    if parse_banner(text) is not None:
        return Reply("banner", text)
    return Reply("other", text)
