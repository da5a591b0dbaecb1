"""The app-exit check: the launcher seen in the background scan is an exit only if it is still
there ``glitch_max_s`` later (a frame or two that look like it are not the app leaving)."""

import math

import numpy as np
import pytest

from tapbot.core import Dispatcher
from tapbot.flows import compile_flow_text
from tapbot.rig import build_rig
from tapbot.runner import Runner
from tapbot.runner.interrupts import AppExitSeen


def test_a_launcher_look_alike_for_a_frame_is_no_exit_and_one_that_stays_is():
    rig = build_rig(None, seed=1)
    phone, clock = rig.camera.world.phone, rig.clock
    runner = Runner(rig, Dispatcher(), run_id="exit")
    runner.run_flow(compile_flow_text('---\n- tapOn: {point: "12.5%, 20%"}\n'
                                      '- tapOn: {point: "50%, 62%"}\n'))
    assert runner._in_app  # the Counter is open
    # a plain gray screen stands in for the launcher the runner learnt
    gray = np.full((*rig.device.screen_px[::-1], 3), 128, np.uint8)
    phone.show_image(gray)
    clock.sleep(0.5)
    runner._launcher_ref = runner.observer.view_at(clock.now()).image
    phone.clear_image()
    clock.sleep(0.5)
    runner._t_background = clock.now()
    grid = math.ceil(clock.now() / 0.5) * 0.5 + 0.5  # where the background scan looks
    for t in (grid, grid + 0.5):  # two display frames of it, each where the scan looks
        phone.show_image(gray, t - 0.02)
        phone.clear_image(t + 0.015)
    clock.sleep(1.5)
    runner._scan_background()  # no exit
    phone.show_image(gray)  # now it stays
    clock.sleep(1.0)
    with pytest.raises(AppExitSeen):
        runner._scan_background()
