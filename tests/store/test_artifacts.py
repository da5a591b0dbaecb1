"""The artifact folder: evidence images written in the background, on disk after a flush."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from tapbot.core.errors import StoreError
from tapbot.store import artifacts as artifacts_module
from tapbot.store.artifacts import Artifacts


def _image(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    return rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)


def test_every_saved_image_is_on_disk_and_exact_after_a_flush(tmp_path, monkeypatch):
    monkeypatch.setattr(artifacts_module, "MAX_PENDING", 3)  # saving waits for the oldest
    store = Artifacts(tmp_path)
    rels = [store.save_image(f"{i:03d}", _image(i), folder="clips/x") for i in range(10)]
    store.flush()
    assert rels == [f"clips/x/{i:03d}.png" for i in range(10)]
    for i, rel in enumerate(rels):
        assert np.array_equal(cv2.imread(str(tmp_path / rel)), _image(i))
    assert store.failed == []
    store.close()


def test_an_image_that_cannot_be_written_is_logged_and_listed_not_raised(tmp_path, caplog):
    store = Artifacts(tmp_path)
    with caplog.at_level(logging.ERROR, logger="tapbot.store.artifacts"):
        store.save_image("bad", np.zeros((0, 0, 3), np.uint8))
        good = store.save_image("good", _image(1))
        store.close()
    assert store.failed == [str(tmp_path / "frames" / "bad.png")]
    assert "could not write" in caplog.text
    assert (tmp_path / good).is_file()  # a failure does not stop the writes after it


def test_a_folder_that_cannot_be_made_is_a_store_error_naming_it(tmp_path):
    (tmp_path / "frames").write_text("a file where the folder should be")
    store = Artifacts(tmp_path)
    with pytest.raises(StoreError, match="frames"):
        store.save_image("x", _image(0))
