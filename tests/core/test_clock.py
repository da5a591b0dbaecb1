from tapbot.core import Clock, MonotonicClock, VirtualClock


def test_virtual_clock_jumps_instead_of_waiting():
    clock = VirtualClock()
    clock.sleep(3600.0)
    assert clock.now() == 3600.0
    clock.sleep(-5)  # non-positive sleeps do nothing
    assert clock.now() == 3600.0


def test_virtual_clock_never_goes_back():
    clock = VirtualClock(10.0)
    clock.advance_to(5.0)
    assert clock.now() == 10.0
    clock.advance_to(12.5)
    assert clock.now() == 12.5


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(VirtualClock(), Clock)
    assert isinstance(MonotonicClock(), Clock)


def test_monotonic_clock_advances():
    clock = MonotonicClock()
    a = clock.now()
    clock.sleep(0.01)
    assert clock.now() - a >= 0.009
