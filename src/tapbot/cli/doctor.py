"""``tapbot doctor``: what hardware is attached, and does a rig config match it?

Lists serial ports (pyserial), cameras (``/dev/video*``) and adb devices (when an adb server
runs; doctor never starts one), then, with ``--rig``, checks each part of the config against
that list and says what to do about every mismatch. ``--probe`` also opens the robot's port
and waits for the controller's banner (no motion).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tapbot.core.errors import TapbotError
from tapbot.rig.config import RigConfig, load_rig_config

logger = logging.getLogger(__name__)
console = Console()

# USB serial chips found on GRBL-family boards (vid, pid) -> what it probably is.
KNOWN_SERIAL = {
    (0x1A86, 0x7523): "CH340 (Arduino clone / GRBL shield)",
    (0x1A86, 0x55D4): "CH9102 (ESP32 FluidNC board)",
    (0x0403, 0x6001): "FTDI FT232 (GRBL controller)",
    (0x10C4, 0xEA60): "CP210x (ESP32 FluidNC / GRBL controller)",
    (0x2341, 0x0043): "Arduino Uno (GRBL)",
    (0x2341, 0x0001): "Arduino Uno (GRBL)",
    (0x0483, 0x5740): "STM32 virtual COM (grblHAL)",
}


@dataclass
class SerialPortInfo:
    device: str
    description: str
    vid: int | None = None
    pid: int | None = None
    guess: str = ""


@dataclass
class CameraInfo:
    device: str
    name: str


@dataclass
class AdbInfo:
    serial: str
    state: str


@dataclass
class Inventory:
    """What is attached to this computer."""

    serial_ports: list[SerialPortInfo] = field(default_factory=list)
    builtin_ports: list[str] = field(default_factory=list)  # legacy UARTs (ttyS*), hidden
    cameras: list[CameraInfo] = field(default_factory=list)
    adb_devices: list[AdbInfo] = field(default_factory=list)
    adb_server: bool = False

    @property
    def empty(self) -> bool:
        return not (self.serial_ports or self.cameras or self.adb_devices)


@dataclass
class Finding:
    ok: bool
    part: str
    message: str


def list_serial_ports() -> tuple[list[SerialPortInfo], list[str]]:
    """USB (and other real) serial ports, and the built-in legacy UARTs kept apart."""
    from serial.tools import list_ports

    out = []
    builtin = []
    for p in list_ports.comports():
        if p.vid is None and (p.description or "n/a") == "n/a":
            builtin.append(p.device)  # a motherboard UART with nothing behind it
            continue
        guess = KNOWN_SERIAL.get((p.vid, p.pid), "") if p.vid is not None else ""
        out.append(SerialPortInfo(p.device, p.description or "", p.vid, p.pid, guess))
    return out, builtin


def list_cameras(dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")
                 ) -> list[CameraInfo]:
    out = []
    for node in sorted(dev.glob("video*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        name_file = sysfs / node.name / "name"
        try:
            name = name_file.read_text().strip()
        except OSError:
            name = ""
        out.append(CameraInfo(str(node), name))
    return out


def list_adb_devices(host: str = "127.0.0.1", port: int = 5037) -> tuple[bool, list[AdbInfo]]:
    from tapbot.devices.adb import adb_server_running

    if not adb_server_running(host, port):
        return False, []
    import adbutils

    try:
        infos = adbutils.AdbClient(host=host, port=port).list()
    except adbutils.AdbError as exc:
        logger.warning("adb server did not answer: %s", exc)
        return True, []
    return True, [AdbInfo(i.serial, i.state) for i in infos]


def take_inventory() -> Inventory:
    server, devices = list_adb_devices()
    ports, builtin = list_serial_ports()
    return Inventory(serial_ports=ports, builtin_ports=builtin, cameras=list_cameras(),
                     adb_devices=devices, adb_server=server)


def _resolve(port: str) -> str:
    try:
        return str(Path(port).resolve())
    except OSError:
        return port


def check_robot(section: dict[str, Any], kind: str, inv: Inventory) -> list[Finding]:
    port = str(section.get("port", ""))
    if not port:
        return [Finding(False, "robot", "no port: set robot.port to one of the serial ports "
                                        "listed above")]
    if "://" in port:
        return [Finding(True, "robot", f"{port} is a pyserial URL; not checked")]
    known = {_resolve(p.device) for p in inv.serial_ports} | {p.device for p in inv.serial_ports}
    if port in inv.builtin_ports:
        return [Finding(False, "robot", f"{port} is a built-in serial port with nothing USB "
                                        "behind it; GRBL boards appear as /dev/ttyUSB* or "
                                        "/dev/ttyACM*")]
    if Path(port).exists() and (_resolve(port) in known or port in known or
                                Path(port).is_char_device()):
        return [Finding(True, "robot", f"{kind} port {port} is present")]
    listed = ", ".join(p.device for p in inv.serial_ports) or "none"
    return [Finding(False, "robot",
                    f"{kind} port {port} is not attached (serial ports found: {listed}); plug "
                    "in the controller's USB cable or fix robot.port (prefer "
                    "/dev/serial/by-id/... names, which do not change)")]


def check_camera(section: dict[str, Any], kind: str, base: Path, inv: Inventory
                 ) -> list[Finding]:
    if kind == "replay":
        path = Path(str(section.get("path", "")))
        path = path if path.is_absolute() else base / path
        if path.is_file():
            return [Finding(True, "camera", f"replay video {path} exists")]
        return [Finding(False, "camera", f"replay video {path} does not exist; fix camera.path")]
    device = section.get("device", 0)
    node = f"/dev/video{device}" if isinstance(device, int) else str(device)
    found = [c.device for c in inv.cameras]
    if Path(node).exists():
        return [Finding(True, "camera", f"camera {node} is present")]
    return [Finding(False, "camera",
                    f"camera {node} is not attached (cameras found: {', '.join(found) or 'none'})"
                    "; plug it in or fix camera.device")]


def check_device(section: dict[str, Any], inv: Inventory) -> list[Finding]:
    if not inv.adb_server:
        return [Finding(False, "device", "the adb server is not running; start it with "
                                         "'adb start-server' and run doctor again")]
    serial = section.get("serial")
    states = {d.serial: d.state for d in inv.adb_devices}
    if serial is None:
        online = [s for s, st in states.items() if st == "device"]
        if len(online) == 1:
            return [Finding(True, "device", f"phone {online[0]} is online (the only one)")]
        return [Finding(False, "device",
                        f"{len(online)} phones online; set devices[0].serial to one of: "
                        f"{', '.join(states) or 'none attached'}")]
    state = states.get(serial)
    if state == "device":
        return [Finding(True, "device", f"phone {serial} is online")]
    if state == "unauthorized":
        return [Finding(False, "device", f"phone {serial} has not authorised this computer: "
                                         "unlock it and accept the USB debugging prompt")]
    if state is not None:
        return [Finding(False, "device", f"phone {serial} is {state}; reconnect its cable")]
    return [Finding(False, "device",
                    f"phone {serial} is not attached (adb sees: "
                    f"{', '.join(states) or 'nothing'}); connect it with USB debugging on")]


def check_rig(config: RigConfig, base: Path, inv: Inventory) -> list[Finding]:
    """Compare each part of ``config`` with what is attached."""
    findings: list[Finding] = []
    robot, camera, device = config.robot, config.camera, config.devices[0]
    if robot.type in ("grbl", "delta-grbl"):
        findings += check_robot(robot.options(), robot.type, inv)
    else:
        findings.append(Finding(True, "robot", f"type {robot.type}: nothing to attach"))
    if camera.type in ("opencv", "replay"):
        findings += check_camera(camera.options(), camera.type, base, inv)
    else:
        findings.append(Finding(True, "camera", f"type {camera.type}: nothing to attach"))
    if device.type == "adb":
        findings += check_device(device.options(), inv)
    else:
        findings.append(Finding(True, "device", f"type {device.type}: nothing to attach"))
    return findings


def validate_parts(path: Path) -> list[Finding]:
    """Build each part from the rig file the way ``build_rig`` does (nothing connects), so a
    misspelt option is reported with its file and line before any hardware is looked at."""
    from tapbot.rig import rig as _rig  # noqa: F401  (registers every backend type)
    from tapbot.rig.registry import CAMERA_TYPES, DEVICE_TYPES, ROBOT_TYPES, BuildContext, lookup
    from tapbot.robots.robot import RobotSettings

    config, doc = load_rig_config(path)
    ctx = BuildContext(doc=doc, base_dir=path.parent, seed=config.seed)
    findings: list[Finding] = []
    device = config.devices[0]
    robot_opts = config.robot.options()
    keys = set(RobotSettings.model_fields)
    steps = [
        ("device", lambda: lookup(DEVICE_TYPES, device.type, ("devices", 0), ctx)(
            {k: v for k, v in device.options().items() if k != "name"}, ctx, ("devices", 0))),
        ("camera", lambda: lookup(CAMERA_TYPES, config.camera.type, ("camera",), ctx)(
            config.camera.options(), ctx, ("camera",))),
        ("robot", lambda: (ctx.validate(RobotSettings, {k: v for k, v in robot_opts.items()
                                                         if k in keys}, ("robot",)),
                           lookup(ROBOT_TYPES, config.robot.type, ("robot",), ctx)(
                               {k: v for k, v in robot_opts.items() if k not in keys}, ctx,
                               ("robot",)))),
    ]
    for part, build in steps:
        try:
            build()
        except TapbotError as exc:
            findings.append(Finding(False, part, str(exc)))
    return findings


def probe_robot(rig_path: Path) -> Finding:
    """Open the robot's port and wait for the banner (no homing, no motion)."""
    from tapbot.rig import build_rig

    rig = build_rig(rig_path)
    backend = rig.robot.backend
    try:
        backend.setup()
        firmware = getattr(backend, "firmware", None)
        return Finding(True, "robot", f"controller answered: {' '.join(firmware or ('?',))}")
    except TapbotError as exc:
        return Finding(False, "robot", str(exc))
    finally:
        backend.stop()


def print_inventory(inv: Inventory) -> None:
    table = Table(title="attached hardware")
    for col in ("kind", "device", "details"):
        table.add_column(col)
    for p in inv.serial_ports:
        ids = f"{p.vid:04x}:{p.pid:04x} " if p.vid is not None and p.pid is not None else ""
        table.add_row("serial", p.device, f"{ids}{p.description} {p.guess}".strip())
    for c in inv.cameras:
        table.add_row("camera", c.device, c.name)
    for d in inv.adb_devices:
        table.add_row("android", d.serial, d.state)
    if inv.empty:
        console.print("nothing attached: no serial ports, no cameras (/dev/video*), no adb "
                      "devices" + ("" if inv.adb_server else " (adb server not running)"))
        console.print("to try tapbot without hardware: 'tapbot demo', or the GRBL emulator: "
                      "'python -m tapbot.robots.grbl.emulator'")
    else:
        console.print(table)
    if inv.builtin_ports:
        console.print(f"(built-in serial ports not shown: {', '.join(inv.builtin_ports)})")
    if not inv.empty and not inv.adb_server:
        console.print("adb server not running: start it with 'adb start-server' to list "
                      "phones")


def doctor(
    rig: Annotated[Path | None, typer.Option(help="rig YAML to check against the hardware")
                   ] = None,
    probe: Annotated[bool, typer.Option(help="also talk to the robot controller")] = False,
) -> None:
    """List serial ports, cameras and adb devices; check a rig config against them.

    Exits 1 when a part of the rig is missing.
    """
    inv = take_inventory()
    print_inventory(inv)
    if rig is None:
        return
    config, _ = load_rig_config(rig)
    invalid = validate_parts(rig)
    bad_parts = {f.part for f in invalid}
    findings = invalid + [f for f in check_rig(config, rig.parent, inv)
                          if f.part not in bad_parts]
    if probe and all(f.ok for f in findings if f.part == "robot") and "robot" not in bad_parts:
        findings.append(probe_robot(rig))
    console.print(f"rig {config.name} ({rig}):")
    for f in findings:
        mark = "[green]ok[/]  " if f.ok else "[red]FIX[/] "
        console.print(f"  {mark} {f.part}: {f.message}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)
