"""Check an uploaded MP4/MOV with the ffmpeg binary that imageio-ffmpeg ships (nothing is downloaded):
container, duration limit, and a poster frame as JPEG bytes for the image pipeline."""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

from social_core.media.errors import MediaRejected, TooLarge
from social_core.media.sniff import video_content_type

POSTER_AT_S = 0.5
TIMEOUT_S = 30.0
NOT_A_VIDEO = "this file is not a video we accept: upload an MP4 or MOV video"
UNREADABLE = "the video could not be read: the file is corrupt or truncated"
_DURATION = re.compile(rb"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_STREAM = re.compile(rb"Stream #\d+:\d+.*?: Video: ")
# Input options: force the mov/mp4 demuxer (no probing into playlists or other formats that could
# reference files or URLs) and allow local file access only.
_INPUT = ("-hide_banner", "-nostdin", "-protocol_whitelist", "file", "-f", "mov")


@dataclass(frozen=True)
class VideoInfo:
    duration_s: float
    content_type: str  # video/mp4 or video/quicktime
    poster: bytes = field(repr=False)  # a JPEG of the frame at 0.5 s (or the first), display-rotated


@functools.cache
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def inspect_video(data: bytes, *, max_seconds: float, max_bytes: int | None = None) -> VideoInfo:
    """Validate an uploaded video (60 s for posts, 15 s for stories: `max_seconds`) and grab its poster."""
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(len(data), max_bytes, "the video")
    if data[4:8] != b"ftyp":
        raise MediaRejected(NOT_A_VIDEO)
    with tempfile.TemporaryDirectory(prefix="pixelrank-video-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        duration = probe_duration(path)
        if duration > max_seconds:
            raise MediaRejected(f"the video is {duration:.1f} s long; the limit is {max_seconds:g} s")
        poster = extract_poster(path, min(POSTER_AT_S, duration / 2))
    return VideoInfo(duration_s=duration, content_type=video_content_type(data), poster=poster)


def probe_duration(path: Path) -> float:
    """Duration in seconds, from `ffmpeg -i` (no ffprobe is shipped); MediaRejected without a video stream."""
    stderr = _run([ffmpeg_exe(), *_INPUT, "-i", str(path)]).stderr
    if b"Input #0, mov,mp4" not in stderr or not _VIDEO_STREAM.search(stderr):
        raise MediaRejected(NOT_A_VIDEO)
    match = _DURATION.search(stderr)
    if match is None:
        raise MediaRejected(UNREADABLE)
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def extract_poster(path: Path, at_s: float) -> bytes:
    """One frame as JPEG bytes: at `at_s`, or the first frame when seeking there yields none."""
    for seek in dict.fromkeys((at_s, 0.0)):
        command = [ffmpeg_exe(), "-v", "error", *_INPUT, "-ss", f"{seek:.3f}", "-i", str(path)]
        command += ["-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn"]
        command += ["-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "2", "pipe:1"]
        poster = _run(command).stdout
        if poster.startswith(b"\xff\xd8"):
            return poster
    raise MediaRejected(UNREADABLE)


def _run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise MediaRejected(UNREADABLE) from error
