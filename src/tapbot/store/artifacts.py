"""The artifact folder of a run: frames, clips and screen views saved as evidence."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tapbot.core.errors import StoreError


class Artifacts:
    """Writes evidence images under ``root`` and returns paths relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def save_image(self, name: str, image: np.ndarray, folder: str = "frames") -> str:
        """Save ``image`` as ``folder/name.png``; returns the path relative to the run."""
        rel = Path(folder) / f"{name}.png"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), image):
            raise StoreError(f"{path}: could not write the image")
        return str(rel)
