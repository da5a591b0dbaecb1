"""An app that closes by itself as it opens (seed 2 of the 3 h bench, 5982.0 s): the app exit
is the one incident; its opening, which came back, is no glitch."""

import pytest

from tapbot.core import Incident

from .conftest import soak_flow


@pytest.mark.parametrize("seed", [1, 4])
def test_an_app_closing_a_frame_after_it_opened_is_an_app_exit_and_no_glitch(seed):
    # the twin's first touch opens Video; where its first frame shows is read off a healthy
    # run (the same timeline up to the fault)
    healthy, _ = soak_flow("video", [], 2.0, seed=seed, run_id="t")
    opened = healthy.truth.responses[0]
    assert opened.what == "open Video"
    close_at = opened.t_visible + 1 / 60  # the app shows for about a frame
    rig, docs = soak_flow("video", [{"kind": "close", "at_s": close_at}], 4.0, seed=seed,
                          run_id="t")
    (fault,) = rig.truth.faults
    found = [(d.incident, d.t_onset) for d in docs if isinstance(d, Incident)]
    # the device log says the app closed while the runner looked for the touch's answer: the
    # change that came back was that answer (the old code also reported a glitch)
    assert [kind for kind, _ in found] == ["app-exit"]
    assert abs(found[0][1] - fault.t_start) <= 1 / 60 + 1e-6
