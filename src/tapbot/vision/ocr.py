"""Text on the screen view: OCR with rapidocr + onnxruntime, on demand and on regions.

The detection, recognition and classifier models ship inside the ``rapidocr``
wheel; they are loaded lazily, once per process, and nothing is downloaded at run time.
OCR costs hundreds of milliseconds: run it when a flow asks, on a region where possible,
never on every frame.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from tapbot.core.errors import VisionError

logger = logging.getLogger(__name__)

__all__ = ["TextBox", "TextReader", "normalise_text"]

_ENGINES: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class TextBox:
    """One recognised line: its text, the recogniser's score (0..1) and its box
    ``(x, y, w, h)`` in the px of the image given to :meth:`TextReader.read`."""

    text: str
    score: float
    box: tuple[int, int, int, int]

    @property
    def center(self) -> tuple[float, float]:
        """Box centre ``(x, y)`` in image px."""
        x, y, w, h = self.box
        return x + w / 2.0, y + h / 2.0


def normalise_text(text: str) -> str:
    """Case- and spacing-insensitive form: casefolded, all whitespace removed."""
    return re.sub(r"\s+", "", text).casefold()


def _check_region(image: np.ndarray, region: tuple[int, int, int, int] | None
                  ) -> tuple[int, int, int, int]:
    h, w = image.shape[:2]
    if region is None:
        return 0, 0, w, h
    if len(region) != 4:
        raise VisionError(f"region must be (x, y, w, h), got {region!r}",
                          hint="pass a box in the image's px")
    x, y, rw, rh = (round(float(v)) for v in region)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + rw), min(h, y + rh)
    if rw <= 0 or rh <= 0 or x1 - x0 < 4 or y1 - y0 < 4:
        raise VisionError(f"region {region!r} lies outside the {w} x {h} image or is empty",
                          hint="pass (x, y, w, h) inside the view")
    return x0, y0, x1 - x0, y1 - y0


class TextReader:
    """Reads text lines from gray or BGR images.

    ``det_limit_side_len`` caps the longer side the text detector works at (the view is
    shrunk above it); ``threads`` is onnxruntime's intra-op thread count (1 = one core).
    The engine is created on the first :meth:`read` and shared by readers with equal options.
    """

    def __init__(self, *, det_limit_side_len: int = 960, threads: int = 1,
                 min_score: float = 0.5) -> None:
        if det_limit_side_len < 32:
            raise VisionError(f"det_limit_side_len must be >= 32, got {det_limit_side_len}",
                              hint="use e.g. 960")
        if threads < 1:
            raise VisionError(f"threads must be >= 1, got {threads}", hint="use 1 or 2")
        self.det_limit_side_len = int(det_limit_side_len)
        self.threads = int(threads)
        self.min_score = float(min_score)

    def _engine(self) -> Any:
        key = (self.det_limit_side_len, self.threads, self.min_score)
        with _LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:  # pragma: no cover - a dependency of tapbot
                    raise VisionError("OCR needs the rapidocr package",
                                      hint="pip install 'rapidocr>=3.4' onnxruntime") from exc
                engine = RapidOCR(params={
                    "Global.use_cls": False,
                    "Global.text_score": self.min_score,
                    "Global.log_level": "warning",
                    "Det.limit_type": "max",
                    "Det.limit_side_len": self.det_limit_side_len,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                })
                _ENGINES[key] = engine
                logger.info("OCR engine loaded (models from the rapidocr wheel)")
        return engine

    def read(self, image: np.ndarray, region: tuple[int, int, int, int] | None = None
             ) -> list[TextBox]:
        """Every text line in ``image`` (or in ``region`` = ``(x, y, w, h)`` of it), top to
        bottom; boxes are in full-image px."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (
                2, 3):
            raise VisionError(
                f"OCR needs a uint8 gray or BGR image, got {getattr(image, 'shape', None)} "
                f"{getattr(image, 'dtype', type(image).__name__)}",
                hint="pass a screen view (ScreenRectifier.view) or a screenshot")
        x0, y0, w, h = _check_region(image, region)
        crop = np.ascontiguousarray(image[y0:y0 + h, x0:x0 + w])
        if crop.ndim == 2:
            crop = np.repeat(crop[:, :, None], 3, axis=2)
        out = self._engine()(crop)
        found = [] if out.boxes is None else zip(out.boxes, out.txts, out.scores, strict=True)
        boxes = []
        for quad, text, score in found:
            pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
            bx0, by0 = np.floor(pts.min(axis=0))
            bx1, by1 = np.ceil(pts.max(axis=0))
            boxes.append(TextBox(text=str(text), score=float(score),
                                 box=(int(bx0) + x0, int(by0) + y0, int(bx1 - bx0),
                                      int(by1 - by0))))
        boxes.sort(key=lambda b: (b.box[1], b.box[0]))
        return boxes

    def find(self, image: np.ndarray, text: str, region: tuple[int, int, int, int] | None = None,
             *, min_score: float = 0.5) -> TextBox | None:
        """The line that best matches ``text``, ignoring case and spacing.

        An exact (normalised) match wins over a line that merely contains ``text``; among
        equals the higher score wins. ``None`` if no line with ``score >= min_score`` matches.
        """
        want = normalise_text(text)
        if not want:
            raise VisionError("find() needs non-empty text", hint="pass the label to look for")
        exact: list[TextBox] = []
        partial: list[TextBox] = []
        for box in self.read(image, region):
            if box.score < min_score:
                continue
            got = normalise_text(box.text)
            if got == want:
                exact.append(box)
            elif want in got:
                partial.append(box)
        for group in (exact, partial):
            if group:
                return max(group, key=lambda b: b.score)
        return None
