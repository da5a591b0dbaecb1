"""Frames: read-only, and a frame whose whole image a camera makes only when asked reads its
part without making it."""

import pickle

import numpy as np
import pytest

from tapbot.core.frames import Frame

IMAGE = np.arange(48 * 64 * 3, dtype=np.uint32).reshape(48, 64, 3).astype(np.uint8)


def lazy(made: list) -> Frame:
    def make():
        made.append(1)
        return IMAGE.copy()

    return Frame(None, 0.5, 7, make=make, part=(4, 10, IMAGE[4:40, 10:60].copy()),
                 shape=IMAGE.shape)


def test_a_frame_is_read_only():
    frame = Frame(IMAGE, 0.5, 7)
    with pytest.raises(AttributeError, match="read-only"):
        frame.t = 1.0
    assert frame.size_px == (64, 48) and frame.shape == (48, 64, 3)
    assert frame.pixels_key is frame.image


def test_the_part_serves_what_lies_in_it_and_the_rest_makes_the_whole():
    made: list = []
    frame = lazy(made)
    assert frame.size_px == (64, 48) and frame.pixels_key is frame.part[2]
    assert np.array_equal(frame.region(slice(4, 40), slice(12, 60)), IMAGE[4:40, 12:60])
    rows, cols = np.array([4, 39, 20]), np.array([10, 59, 33])
    assert np.array_equal(frame.at(rows, cols), IMAGE[rows, cols])
    assert not made  # read from the part
    assert np.array_equal(frame.region(slice(0, 48), slice(0, 64)), IMAGE)
    rows, cols = np.array([0, 47]), np.array([0, 63])
    assert np.array_equal(frame.at(rows, cols), IMAGE[rows, cols])
    assert np.array_equal(frame.image, IMAGE) and made == [1]  # made once, then kept


def test_points_of_a_gray_frame_and_a_pickled_lazy_frame():
    gray = IMAGE[..., 1].copy()
    rows, cols = np.array([0, 47, 5]), np.array([63, 0, 5])
    assert np.array_equal(Frame(gray, 0.0, 0).at(rows, cols), gray[rows, cols])
    copy = pickle.loads(pickle.dumps(lazy([])))
    assert np.array_equal(copy.image, IMAGE) and (copy.t, copy.index) == (0.5, 7)


def test_a_frame_needs_its_image_or_how_to_make_it():
    with pytest.raises(ValueError, match="needs its image"):
        Frame(None, 0.0, 0)


def test_a_cameras_luma_plane_and_colour_made_on_demand():
    """A frame may carry the camera's luma plane of a part (read where it holds the region
    asked for, else None: convert the colour), and its colour part may be made only when
    asked for: points the camera reads alone do not make it (the same points twice are read
    once), other points and regions do, once."""
    made: list = []
    read: list = []
    luma = IMAGE[4:40, 10:60, 1].copy()

    def part():
        made.append(1)
        return 4, 10, IMAGE[4:40, 10:60].copy()

    def at(rows, cols):
        if rows is not grid[0]:
            return None  # points the camera does not read alone
        read.append(1)
        return IMAGE[rows, cols]

    grid = (np.array([4, 39, 20]), np.array([10, 59, 33]))
    frame = Frame(None, 0.5, 7, make=lambda: IMAGE.copy(), part=part, shape=IMAGE.shape,
                  luma=(4, 10, luma), at=at)
    assert frame.pixels_key is luma and not frame.part_made
    assert np.array_equal(frame.luma_region(slice(5, 40), slice(10, 20)), luma[1:, :10])
    assert frame.luma_region(slice(0, 40), slice(10, 20)) is None  # outside the plane
    first = frame.at(*grid)
    assert np.array_equal(first, IMAGE[grid]) and not first.flags.writeable
    assert frame.at(*grid) is first and read == [1] and not made
    other = (grid[0].copy(), grid[1])
    assert np.array_equal(frame.at(*other), IMAGE[other]) and made == [1] and frame.part_made
    assert np.array_equal(frame.region(slice(4, 40), slice(10, 60)), IMAGE[4:40, 10:60])
    assert np.array_equal(frame.at(*grid), IMAGE[grid]) and read == [1] and made == [1]
