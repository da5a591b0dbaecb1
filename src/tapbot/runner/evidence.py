"""Incidents and their evidence: the incident document, and the onset frame, a short clip
around the onset and the screen views before and after, saved as artifacts."""

from __future__ import annotations

import logging

import numpy as np

from tapbot.core.documents import FrameRef, Incident
from tapbot.core.errors import TapbotError
from tapbot.runner.observer import View

logger = logging.getLogger(__name__)

CLIP_BEFORE_S = 1.0  # evidence clip: this long before an incident's onset ...
CLIP_AFTER_S = 1.0  # ... to this long after it
CLIP_INTERVAL_S = 0.1


class EvidenceMixin:
    """Incident documents with evidence (mixed into :class:`~tapbot.runner.Runner`)."""

    def _incident(self, kind: str, onset: float, end: float | None, message: str,
                  evidence_view: View | None = None, *, flow: str | None = None,
                  step: str | None = None) -> str:
        """Emit an incident with its evidence; ``flow`` and ``step`` (the current ones by
        default) name where it was seen."""
        flow = self._flow if flow is None else flow
        step = self._step if step is None else step
        self.incident_kinds[kind] += 1
        evidence: list[str] = []
        if self.artifacts is not None:
            try:
                evidence = self._evidence(kind, onset, end, evidence_view)
            except TapbotError:
                logger.exception("could not save evidence for a %s incident", kind)
        self._emit(Incident(run_id=self.run_id, t=self.clock.now(), incident=kind,
                            t_onset=onset, t_end=end, flow=flow, step=step,
                            message=message, evidence=evidence))
        logger.info("%s at %.2f s in %s/%s: %s", kind, onset, flow, step, message)
        return f"{kind}: {message}"

    def _evidence(self, kind: str, onset: float, end: float | None,
                  evidence_view: View | None) -> list[str]:
        """The onset frame, a short clip around the onset, and the screen views before and
        after, saved as artifacts; each announced by a frame-ref document."""
        assert self.artifacts is not None
        now = self.clock.now()
        n = sum(self.incident_kinds.values())
        name = f"incident-{n:04d}-{kind}"
        saved: list[str] = []

        def save(image: np.ndarray, rel_name: str, folder: str, purpose: str, t: float) -> None:
            rel = self.artifacts.save_image(rel_name, image, folder=folder)
            saved.append(rel)
            self._emit(FrameRef(run_id=self.run_id, t=self.clock.now(), path=rel,
                                purpose=purpose, t_capture=t))

        view = evidence_view or self.observer.view_at(min(onset + 1e-6, now))
        save(view.frame.image, name, "frames", f"{kind} onset", view.t)
        clip = self.observer.views(max(0.0, onset - CLIP_BEFORE_S),
                                   min(now, onset + CLIP_AFTER_S), CLIP_INTERVAL_S)
        for i, v in enumerate(clip):
            save(v.frame.image, f"{i:03d}", f"clips/{name}", f"{kind} clip", v.t)
        before = self.observer.view_at(max(0.0, onset - CLIP_BEFORE_S))
        save(before.image, f"{name}-before", "views", f"{kind} before", before.t)
        after = self.observer.view_at(min(now, end) if end is not None else now)
        save(after.image, f"{name}-after", "views", f"{kind} after", after.t)
        return saved
