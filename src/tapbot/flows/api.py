"""Flows from Python: the YAML commands as functions returning the same typed steps.

    from tapbot.flows.api import flow, launch_app, tap_on, expect_response, press_key

    def open_messages():
        return flow("open messages",
                    launch_app("Messages"),
                    tap_on("Alice"),
                    expect_response("300ms"),
                    press_key("back"), app="Messages")

A plan can name such a function: ``- python: mypkg.flows:open_messages``.
"""

from __future__ import annotations

import importlib
from typing import Any

from tapbot.core.errors import FlowError
from tapbot.flows import steps as S
from tapbot.flows.yamlflow import _point_from_text, parse_duration_s


def target(text: str | None = None, *, point: str | None = None, image: str | None = None,
           threshold: float = 0.8) -> S.Target:
    """A selector: visible ``text``, a ``point`` ("50%, 62%" or "540, 1488") or an ``image``."""
    given = [x for x in (text, point, image) if x is not None]
    if len(given) != 1:
        raise FlowError("give exactly one of text, point or image")
    if point is not None:
        return _point_from_text(point)
    if image is not None:
        return S.Image(image=image, threshold=threshold)
    return S.Text(text=text or "")


def _sel(text, point, image) -> S.Target:
    return target(text, point=point, image=image)


def _s(value: str | float | None, unit: str = "s") -> float | None:
    return None if value is None else parse_duration_s(value, unit)


def tap_on(text: str | None = None, *, point: str | None = None, image: str | None = None,
           **options: Any) -> S.Tap:
    return S.Tap(at=_sel(text, point, image), **options)


def double_tap_on(text: str | None = None, *, point: str | None = None,
                  image: str | None = None, **options: Any) -> S.DoubleTap:
    return S.DoubleTap(at=_sel(text, point, image), **options)


def long_press_on(text: str | None = None, *, point: str | None = None,
                  image: str | None = None, **options: Any) -> S.LongPress:
    return S.LongPress(at=_sel(text, point, image), **options)


def swipe(direction: str | None = None, *, start: str | None = None, end: str | None = None,
          duration: str | float = 0.3, **options: Any) -> S.Swipe:
    if direction is not None:
        a, b = S.direction_points(direction.lower())
    elif start is not None and end is not None:
        a, b = _point_from_text(start), _point_from_text(end)
    else:
        raise FlowError("swipe: give direction, or start and end")
    return S.Swipe(start=a, end=b, duration_s=_s(duration), expect="none", **options)


def scroll(direction: str = "down", **options: Any) -> S.Scroll:
    return S.Scroll(direction=direction.lower(), expect="none", **options)


def scroll_until_visible(text: str | None = None, *, image: str | None = None,
                         direction: str = "down", max_scrolls: int = 10
                         ) -> S.ScrollUntilVisible:
    return S.ScrollUntilVisible(target=_sel(text, None, image), direction=direction.lower(),
                                max_scrolls=max_scrolls)


def press_key(key: str, **options: Any) -> S.PressKey:
    return S.PressKey(key=key, **options)


def launch_app(app: str) -> S.LaunchApp:
    return S.LaunchApp(app=app)


def input_text(text: str) -> S.InputText:
    return S.InputText(text=text)


def erase_text(characters: int = 50) -> S.EraseText:
    return S.EraseText(characters=characters)


def assert_visible(text: str | None = None, *, image: str | None = None,
                   timeout: str | float = "3s") -> S.AssertVisible:
    return S.AssertVisible(target=_sel(text, None, image), timeout_s=_s(timeout))


def assert_not_visible(text: str | None = None, *, image: str | None = None,
                       timeout: str | float = "3s") -> S.AssertNotVisible:
    return S.AssertNotVisible(target=_sel(text, None, image), timeout_s=_s(timeout))


def wait_for_animation_to_end(timeout: str | float = "15s") -> S.WaitForAnimationToEnd:
    return S.WaitForAnimationToEnd(timeout_s=_s(timeout))


def extended_wait_until(visible: str | None = None, *, not_visible: str | None = None,
                        timeout: str | float = "10s") -> S.ExtendedWaitUntil:
    return S.ExtendedWaitUntil(
        visible=S.Text(text=visible) if visible else None,
        not_visible=S.Text(text=not_visible) if not_visible else None, timeout_s=_s(timeout))


def take_screenshot(name: str) -> S.TakeScreenshot:
    return S.TakeScreenshot(name=name)


def repeat(times: int, *steps: Any) -> S.Repeat:
    return S.Repeat(times=times, steps=list(steps))


def retry(max_retries: int, *steps: Any) -> S.Retry:
    return S.Retry(max_retries=max_retries, steps=list(steps))


def run_flow(sub: S.Flow) -> S.SubFlow:
    return S.SubFlow(flow=sub.name, steps=sub.steps)


def expect_response(within: str | float) -> S.ExpectResponse:
    return S.ExpectResponse(within_s=_s(within, "ms"))


def measure(name: str, until: str | S.Text | S.Image = "settled",
            timeout: str | float = "10s") -> S.Measure:
    return S.Measure(name=name, until=until, timeout_s=_s(timeout))


def pinch(scale: float = 2.0, *, center: str = "50%, 50%") -> S.Pinch:
    return S.Pinch(scale=scale, center=_point_from_text(center), expect="none")


def wait(seconds: str | float) -> S.Wait:
    return S.Wait(seconds=_s(seconds))


def watch_animation(seconds: str | float) -> S.WatchAnimation:
    return S.WatchAnimation(seconds=_s(seconds))


def flow(name: str, *steps: Any, app: str | None = None,
         thresholds: dict[str, float] | None = None) -> S.Flow:
    """A flow from steps (the same models a YAML flow compiles to); ``thresholds`` by
    Thresholds field name (``{"response_budget_s": 0.3}``) apply to all its steps."""
    return S.Flow(name=name, steps=list(steps), app=app, source="python",
                  thresholds=thresholds or {})


def load_python_flow(ref: str) -> S.Flow:
    """Call ``module:function`` and return the flow it builds (raises FlowError)."""
    module_name, _, func_name = ref.partition(":")
    if not module_name or not func_name:
        raise FlowError(f"python flow '{ref}': expected 'module:function'")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise FlowError(f"python flow '{ref}' cannot be loaded: {exc}") from exc
    result = func()
    if not isinstance(result, S.Flow):
        raise FlowError(f"python flow '{ref}' returned {type(result).__name__}, not a Flow")
    return result
