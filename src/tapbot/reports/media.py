"""Incident images for the report: before/onset/after views and a clip written with PyAV.

Only incidents carry images (plus the frames a run saved around them), so a 24-hour report
stays small: views are re-encoded as JPEG at most ``MAX_WIDTH_PX`` wide, clips as H.264 MP4.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from pathlib import Path

import av
import cv2
import numpy as np

from tapbot.reports.model import IncidentEntry, IncidentMedia
from tapbot.reports.record import RunRecord

logger = logging.getLogger(__name__)

MAX_WIDTH_PX = 640
CLIP_MAX_WIDTH_PX = 480
CONTEXT_S = 5.0  # frame-refs this close to an incident belong to it
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
CLIP_SUFFIXES = {".mp4", ".webm", ".gif"}


ROLES = ("before", "onset", "clip", "after")


def _role(purpose: str | None) -> str:
    """A frame-ref's role from its purpose ('freeze clip' -> 'clip'); 'context' if unknown."""
    last = (purpose or "").rsplit(" ", 1)[-1]
    return last if last in ROLES else "context"


def incident_frames(record: RunRecord, entry: IncidentEntry,
                    claimed: set[str]) -> list[tuple[float | None, str, str]]:
    """The frames an incident references, as (run time or None, path relative to the run
    folder, role), sorted by time: its evidence images (role from the frame-ref's purpose:
    before, onset, clip, after) and the frame-refs saved around it that no other incident
    claims as evidence (role 'context')."""
    t0 = record.t0
    refs = {f.path: f for f in record.frame_refs}
    frames: dict[str, tuple[float | None, str]] = {}
    for path in entry.evidence:
        if Path(path).suffix.lower() in IMAGE_SUFFIXES:
            ref = refs.get(path)
            frames[path] = (None if ref is None else ref.t_capture - t0,
                            _role(ref.purpose if ref else None))
    end = entry.t_end if entry.t_end is not None else entry.t_onset
    for f in record.frame_refs:
        t = f.t_capture - t0
        if (f.path not in claimed and entry.t_onset - CONTEXT_S <= t <= end + CONTEXT_S
                and Path(f.path).suffix.lower() in IMAGE_SUFFIXES):
            frames.setdefault(f.path, (t, "context"))
    ordered = sorted(frames.items(), key=lambda kv: (kv[1][0] is None, kv[1][0] or 0.0))
    return [(t, path, role) for path, (t, role) in ordered]


def write_incident_media(record: RunRecord, entry: IncidentEntry, out: Path,
                         claimed: set[str]) -> IncidentMedia:
    """Write the views and clip of one incident under ``out/media``; marks what is missing.

    Frame-refs named by role (the runner's 'before', 'onset', 'clip', 'after') are used as
    such; a run that saved only images around the onset gets views picked by capture time.
    """
    media_dir = out / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    stem = f"incident-{entry.number:04d}"
    media = IncidentMedia()
    if record.folder is None:
        media.note = "no artifact folder for this run"
        return media
    frames: list[tuple[float | None, str, np.ndarray]] = []
    for t, rel, role in incident_frames(record, entry, claimed):
        src = record.folder / rel
        image = cv2.imread(str(src), cv2.IMREAD_COLOR) if src.is_file() else None
        if image is None:
            continue  # listed in missing_evidence (or an unreadable context frame)
        frames.append((t, role, _shrink(image)))
    for rel in entry.evidence:
        src = record.folder / rel
        if Path(rel).suffix.lower() in CLIP_SUFFIXES and src.is_file() and media.clip is None:
            dst = media_dir / f"{stem}-clip{src.suffix.lower()}"
            shutil.copyfile(src, dst)
            media.clip = f"media/{dst.name}"
    media.frames = len(frames)
    if not frames:
        media.note = ("no evidence image recorded" if not entry.evidence
                      else "evidence files missing: " + ", ".join(entry.missing_evidence))
        return media
    by_role = {role: image for _, role, image in frames if role in ("before", "onset", "after")}
    timed = [(t, image) for t, role, image in frames if role in ("onset", "context")]
    if "onset" not in by_role:
        fallback = timed or [(t, image) for t, _, image in frames]
        by_role["onset"] = next((im for t, im in fallback
                                 if t is None or t >= entry.t_onset - 1e-6), fallback[0][1])
    if "before" not in by_role:
        earlier = [im for t, im in timed if t is not None and t < entry.t_onset - 1e-6]
        if earlier:
            by_role["before"] = earlier[-1]
    if "after" not in by_role and entry.t_end is not None:
        later = [im for t, im in timed if t is not None and t >= entry.t_end - 1e-6]
        if later:
            by_role["after"] = later[0]
    for role in ("before", "onset", "after"):
        if role in by_role:
            setattr(media, role, _write_jpeg(media_dir / f"{stem}-{role}.jpg", by_role[role]))
    clip = [(t, im) for t, role, im in frames if role == "clip"] or timed
    if len(clip) >= 2 and media.clip is None:
        try:
            write_clip(media_dir / f"{stem}-clip.mp4", clip)
            media.clip = f"media/{stem}-clip.mp4"
        except (av.FFmpegError, ValueError) as exc:
            logger.warning("could not write the clip of incident %d: %s", entry.number, exc)
            media.note = f"clip not written ({exc})"
    missing = [r for r in ("before", "after", "clip") if getattr(media, r) is None]
    if missing and not media.note:
        media.note = (f"not recorded: {', '.join(missing)} (the run saved {len(frames)} "
                      f"frame{'s' if len(frames) != 1 else ''} for this incident)")
    return media


def _shrink(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w > MAX_WIDTH_PX:
        image = cv2.resize(image, (MAX_WIDTH_PX, round(h * MAX_WIDTH_PX / w)),
                           interpolation=cv2.INTER_AREA)
    return image


def _write_jpeg(path: Path, image: np.ndarray) -> str:
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return f"media/{path.name}"


def write_clip(path: Path, frames: list[tuple[float | None, np.ndarray]], fps: int = 10,
               hold_last_s: float = 1.0) -> None:
    """An H.264 MP4 of ``frames`` (BGR images) at ``fps``, each frame shown until the next
    one's capture time (1 s when a time is unknown), the last held for ``hold_last_s``."""
    h, w = frames[0][1].shape[:2]
    if w > CLIP_MAX_WIDTH_PX:
        w, h = CLIP_MAX_WIDTH_PX, round(h * CLIP_MAX_WIDTH_PX / w)
    w2, h2 = w - w % 2, h - h % 2
    counts = []
    for (t, _), (t_next, _) in itertools.pairwise(frames):
        gap = (t_next - t) if (t is not None and t_next is not None) else 1.0
        counts.append(max(1, min(round(gap * fps), 10 * fps)))
    counts.append(max(1, round(hold_last_s * fps)))
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = w2, h2
        stream.pix_fmt = "yuv420p"
        # one thread per clip: the report writes several clips at once
        stream.options = {"crf": "26", "preset": "ultrafast", "threads": "1"}
        pts = 0
        for n, (_, image) in zip(counts, frames, strict=True):
            img = (cv2.resize(image, (w2, h2), interpolation=cv2.INTER_LINEAR)
                   if image.shape[:2] != (h2, w2) else image)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
            for _ in range(n):
                frame.pts = pts
                pts += 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
