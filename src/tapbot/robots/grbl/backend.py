"""The GRBL robot backend: a gantry (or any XY + finger machine) on a GRBL-family controller.

It translates the :class:`RobotBackend` contract into G-code over USB serial and nothing
more: limits and state live in the front-end. Every call returns only once the controller
reports ``Idle``, so the front-end's contact timestamp follows the real landing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from tapbot.core.clock import Clock
from tapbot.core.errors import ConnectionLost, HardwareError
from tapbot.robots.base import RobotBackend
from tapbot.robots.grbl import gcode
from tapbot.robots.grbl.gcode import FingerDrive, ZFinger
from tapbot.robots.grbl.link import FlowControl, GrblLink, SerialPort
from tapbot.robots.grbl.protocol import (
    CYCLE_START,
    FEED_HOLD,
    JOG_CANCEL,
    RX_BUFFER_BYTES,
    GrblAlarm,
    Status,
)

logger = logging.getLogger(__name__)


class GrblOptions(BaseModel):
    """The ``robot:`` section of a rig config for ``type: grbl``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: str = Field(description="serial device (/dev/ttyUSB0, /dev/serial/by-id/...) or "
                                  "a pyserial URL")
    baudrate: int = Field(115200, gt=0)
    flow_control: FlowControl = "char-count"
    rx_buffer_bytes: int = Field(RX_BUFFER_BYTES, ge=16, le=4096)
    homing: bool = Field(False, description="the machine has limit switches: home with $H")
    unlock: bool = Field(True, description="unlock ($X) an alarm found at connect")
    finger: FingerDrive = Field(default_factory=ZFinger)
    response_timeout_s: float = Field(5.0, gt=0)
    status_timeout_s: float = Field(0.25, gt=0)
    banner_timeout_s: float = Field(3.0, gt=0)
    motion_timeout_s: float = Field(60.0, gt=0)
    homing_timeout_s: float = Field(120.0, gt=0)
    poll_interval_s: float = Field(0.01, gt=0)
    read_timeout_s: float = Field(0.02, gt=0, description="one serial read waits this long")
    reconnect_timeout_s: float = Field(30.0, ge=0)


PortOpener = Callable[[GrblOptions], SerialPort]


def open_serial(options: GrblOptions) -> SerialPort:
    """Open the port with pyserial, exclusively, and say clearly why when that fails."""
    import serial  # pyserial; imported here so the twin needs no serial stack

    try:
        return serial.serial_for_url(options.port, baudrate=options.baudrate,
                                     timeout=options.read_timeout_s, write_timeout=2.0,
                                     exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        text = str(exc)
        if "lock" in text.lower() or "busy" in text.lower():
            hint = "another program holds the port (a g-code sender, another tapbot); close it"
        elif "No such file" in text or "could not open" in text.lower():
            hint = "run 'tapbot doctor' to list the serial ports that are attached"
        else:
            hint = "check the port name and your permission to use it (group dialout)"
        raise HardwareError(f"cannot open robot port {options.port}: {text}", hint=hint) from exc


class GrblRobot(RobotBackend):
    """GRBL 1.1 / grblHAL / FluidNC over serial; one finger (Z axis, servo or output)."""

    fingers = 1

    def __init__(self, options: GrblOptions, clock: Clock,
                 opener: PortOpener = open_serial) -> None:
        self.options = options
        self.clock = clock
        self._opener = opener
        self._link: GrblLink | None = None
        self.firmware: tuple[str, str] | None = None
        self.transcript: list[bytes] = []  # bytes written over all connections
        self.was_connected = False  # set after the first successful setup

    # -- connection ------------------------------------------------------------------------
    @property
    def link(self) -> GrblLink:
        if self._link is None:
            raise HardwareError("the GRBL robot is not connected", hint="call setup() first")
        return self._link

    def _connect(self) -> None:
        port = self._opener(self.options)
        o = self.options
        self._link = GrblLink(port, self.clock, flow_control=o.flow_control,
                              rx_buffer_bytes=o.rx_buffer_bytes,
                              response_timeout_s=o.response_timeout_s,
                              status_timeout_s=o.status_timeout_s, name=f"grbl {o.port}")
        self._link.written = self.transcript
        try:
            self.firmware = self._link.reset(o.banner_timeout_s)
            status = self._link.request_status()
            if status.state == "Alarm":
                if not o.unlock:
                    raise GrblAlarm(None)
                logger.warning("grbl %s: in alarm after connect; unlocking ($X)", o.port)
                self._link.command(gcode.UNLOCK)
            for line in gcode.SETUP_LINES:
                self._link.send(line)
            self._link.drain()
        except BaseException:
            self._close_port()
            raise
        self.was_connected = True

    def _close_port(self) -> None:
        if self._link is not None:
            try:
                self._link.port.close()
            except OSError:
                logger.debug("closing the port failed", exc_info=True)
        self._link = None

    def setup(self) -> None:
        """Open the port, soft-reset, wait for the banner, unlock if needed, G21 G90.

        Calling it again reconnects (the runner does so when it resumes a suspended run):
        once connected before, a port that cannot be opened is :class:`ConnectionLost`
        (the part is away) rather than a configuration error.
        """
        self._close_port()
        if not self.was_connected:
            self._connect()
            return
        try:
            self._connect()
        except GrblAlarm:
            raise
        except HardwareError as exc:
            if isinstance(exc, ConnectionLost):
                raise
            raise ConnectionLost(f"robot port {self.options.port} is not back: {exc.message}",
                                 hint="reconnect the controller's USB cable") from exc

    def reconnect(self) -> None:
        """Re-open a port that went away, retrying until ``reconnect_timeout_s``.

        Re-homes when homing is configured (the controller may have lost its position);
        raises :class:`ConnectionLost` when the port does not come back in time.
        """
        self._close_port()
        deadline = self.clock.now() + self.options.reconnect_timeout_s
        while True:
            try:
                self._connect()
                break
            except (HardwareError, OSError) as exc:
                if isinstance(exc, GrblAlarm) or self.clock.now() >= deadline:
                    raise ConnectionLost(
                        f"robot port {self.options.port} did not come back: {exc}",
                        hint="reconnect the controller's USB cable and resume the run") from exc
                logger.info("robot port %s not back yet (%s); retrying", self.options.port, exc)
                self.clock.sleep(0.5)
        if self.options.homing:
            self.home()
        logger.warning("grbl %s: reconnected", self.options.port)

    def stop(self) -> None:
        """Release the finger drive (servo PWM off) and close the port."""
        if self._link is None:
            return
        try:
            for line in self.options.finger.release():
                self._link.send(line)
            self._link.drain()
        except (HardwareError, OSError):
            logger.warning("could not release the finger before closing", exc_info=True)
        finally:
            self._close_port()

    # -- motion ----------------------------------------------------------------------------
    def _run(self, lines: list[str], timeout_s: float | None = None) -> Status:
        for line in lines:
            self.link.send(line)
        return self.link.wait_idle(timeout_s or self.options.motion_timeout_s,
                                   self.options.poll_interval_s)

    def home(self) -> None:
        """``$H`` when the machine has switches; else the power-on position is the origin."""
        if not self.options.homing:
            logger.info("grbl %s: no homing configured; positions are relative to power-on",
                        self.options.port)
            return
        self.link.command(gcode.HOME, self.options.homing_timeout_s)
        self._run(list(gcode.SETUP_LINES))

    def move_to(self, x_mm: float, y_mm: float, speed_mm_s: float) -> None:
        self._run([gcode.move_xy(x_mm, y_mm, speed_mm_s)])

    def move_along(self, points_mm: Sequence[tuple[float, float]],
                   speeds_mm_s: Sequence[float]) -> None:
        """Move through every point in turn (each leg at its speed) and return when the
        last is reached. The legs are streamed together, so the controller's planner blends
        the corners instead of stopping at every point: a swipe keeps its speed. An optional
        capability beyond :class:`RobotBackend` (the front-end may use it for drags).
        """
        if len(points_mm) != len(speeds_mm_s):
            raise HardwareError("move_along needs one speed per point")
        self._run([gcode.move_xy(x, y, v) for (x, y), v in zip(points_mm, speeds_mm_s,
                                                                 strict=True)])

    def _finger(self, finger: int) -> None:
        if finger != 0:
            raise HardwareError(f"this GRBL robot has one finger; finger {finger} was asked for",
                                hint="use finger 0 or a multi-finger robot")

    def finger_down(self, finger: int, z_mm: float) -> None:
        self._finger(finger)
        self._run(self.options.finger.down(z_mm))

    def finger_up(self, finger: int, z_mm: float) -> None:
        self._finger(finger)
        self._run(self.options.finger.up(z_mm))

    def request_position(self) -> tuple[float, float, float]:
        pos = self.link.work_position(self.link.request_status())
        return (pos[0], pos[1], pos[2] if len(pos) > 2 else 0.0)

    def request_status(self) -> Status:
        """Poll the controller's real-time status."""
        return self.link.request_status()

    # -- real-time controls ----------------------------------------------------------------
    def feed_hold(self) -> None:
        """Decelerate to a stop and hold (``!``); ``resume()`` continues."""
        self.link.realtime(FEED_HOLD)

    def resume(self) -> None:
        """Continue after a feed hold (``~``)."""
        self.link.realtime(CYCLE_START)

    def jog_cancel(self) -> None:
        """Cancel a running jog (0x85)."""
        self.link.realtime(JOG_CANCEL)

    def soft_reset(self) -> None:
        """Reset the controller (0x18) and set it up again; motion in progress is lost."""
        self.link.reset(self.options.banner_timeout_s)
        status = self.link.request_status()
        if status.state == "Alarm" and self.options.unlock:
            self.link.command(gcode.UNLOCK)
        for line in gcode.SETUP_LINES:
            self.link.send(line)
        self.link.drain()
