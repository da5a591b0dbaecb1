"""The twin's apps and system UI: layout (fractions of the screen) and drawing.

``layout`` says where everything is (flows and tests rely on it); ``draw`` renders a
:class:`DisplayKey` at any size. The phone's behaviour lives in :mod:`tapbot.sim.phone`.
"""

from tapbot.sim.apps.draw import BOOT, LOCK, OFF, DisplayKey, render_screen
from tapbot.sim.apps.layout import *  # noqa: F403  (the layout names are this package's API)
from tapbot.sim.apps.layout import APP_NAMES, LAUNCHER_APPS, VIDEO_RECT

__all__ = ["APP_NAMES", "BOOT", "LAUNCHER_APPS", "LOCK", "OFF", "VIDEO_RECT", "DisplayKey",
           "render_screen"]
