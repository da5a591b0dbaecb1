"""Finding things on the screen for selectors: OCR for text, template matching for images, on
the full-resolution screen view; polling until a target is (not) visible."""

from __future__ import annotations

import importlib
import importlib.util
import logging

import cv2
import numpy as np

from tapbot.core.errors import FlowError
from tapbot.core.geometry import PointPx
from tapbot.flows import steps as S
from tapbot.runner.interrupts import StepFailed
from tapbot.vision import ScreenRectifier

logger = logging.getLogger(__name__)


class LocateMixin:
    """Selectors resolved on the current screen (mixed into :class:`~tapbot.runner.Runner`)."""

    def _ocr_importable(self) -> bool:
        return self._reader is not None or importlib.util.find_spec("tapbot.vision.ocr") \
            is not None

    def _ocr(self):
        if not self._reader_tried:
            self._reader_tried = True
            try:
                module = importlib.import_module("tapbot.vision.ocr")
                self._reader = module.TextReader()
            except Exception as exc:  # OCR unavailable: text selectors fail with a message
                logger.warning("OCR unavailable: %s", exc)
        if self._reader is None:
            raise FlowError("text selectors need OCR (tapbot.vision.ocr), which is not "
                            "available")
        return self._reader

    def _template(self, target: S.Image) -> np.ndarray:
        key = str(target.image)
        img = self._templates.get(key)
        if img is None:
            img = cv2.imread(key, cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise FlowError(f"image {target.image} cannot be read as a picture")
            self._templates[key] = img
        return img

    def _full_view(self) -> np.ndarray:
        """The current screen at full device resolution (gray), for OCR and templates."""
        if self._full_rectifier is None:
            self._full_rectifier = ScreenRectifier.for_calibration(
                self.rig.calibration, self.rig.device.screen_px, 1.0)
        frame = self.observer.view_at(self.clock.now()).frame
        return self._full_rectifier.view(frame.image)

    def _region_px(self, region: S.Region | None) -> tuple[int, int, int, int] | None:
        if region is None:
            return None
        a, b = region.resolve(self.rig.device.screen_px)
        return int(a.x), int(a.y), int(b.x - a.x), int(b.y - a.y)

    def _locate(self, target) -> PointPx | None:
        """Where ``target`` is on the current screen (screen px), or None."""
        if isinstance(target, S.Point):
            return target.resolve(self.rig.device.screen_px)
        view = self._full_view()
        if isinstance(target, S.Text):
            box = self._ocr().find(view, target.text, region=self._region_px(target.region),
                                   min_score=target.min_score)
            return None if box is None else PointPx(*box.center)
        template_mod = importlib.import_module("tapbot.vision.template")
        match = template_mod.match_template(view, self._template(target),
                                            threshold=target.threshold,
                                            region=self._region_px(target.region))
        if not match.found:
            return None
        x, y, w, h = match.box
        return PointPx(x + w / 2.0, y + h / 2.0)

    def _find_or_fail(self, target) -> PointPx:
        p = self._locate(target)
        if p is None:
            raise StepFailed("assertion", f"{target.describe()} is not on the screen")
        return p

    def _wait_visible(self, target, visible: bool, timeout_s: float,
                      interval_s: float = 0.5) -> float | None:
        """Poll (OCR/template on demand) until ``target`` is (not) visible; the time it was
        first seen so, or None after ``timeout_s``."""
        t_end = self.clock.now() + timeout_s
        while True:
            if (self._locate(target) is not None) == visible:
                return self.clock.now()
            if self.clock.now() >= t_end:
                return None
            self.clock.sleep(min(interval_s, max(1e-3, t_end - self.clock.now())))
            self._scan_background()
