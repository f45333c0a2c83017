"""Media pipeline on one thread: a 1080×1350 phone-like JPEG through validation, normalisation, four
sizes, JPEG + WebP (AVIF reported apart), and a blurhash; against the stock Pillow path in the same run.

    python benchmarks/media.py [--quick] [--json OUT] [--runs N]

The reference is what a first version would write: Image.open → ImageOps.exif_transpose → thumbnail()
from the full image for every size → save() with default settings (JPEG q75 baseline, WebP method 4).
Target: ≤ 150 ms for all four sizes as JPEG + WebP (median). No step runs threads: libjpeg-turbo and
Pillow's resize are single-threaded, libwebp runs without its thread option, AVIF gets max_threads=1;
the "CPU ms" row (this thread's CPU time) at or below the wall time shows it. Both paths run interleaved
in every run, so a busy machine slows them alike; the CPU row is the figure other processes hardly move.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageOps, features
from rich.console import Console
from rich.table import Table

from social_core.media import ImageOptions, avif_available, decode_image, process_image
from social_core.media.images import DECODE_AT_LEAST
from social_core.media.normalize import normalize
from social_core.media.placeholder import blurhash_of
from social_core.media.variants import ENCODERS, LONG_SIDES, SIZE_ORDER, THUMBNAIL_SIDE, resize_steps

TARGET_MS = 150.0
SIZE = (1080, 1350)  # upright; stored rotated with EXIF orientation 6, as phones do
FORMATS = ("jpeg", "webp")
Timings = dict[str, list[tuple[float, float]]]  # step → [(wall ms, this thread's CPU ms), ...]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 20")
    parser.add_argument("--runs", type=int, help="timed runs per path (median reported)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the results here")
    return parser.parse_args(argv)


def make_photo(seed: int = 7) -> bytes:
    """Gradients, shapes, blur and sensor-like noise (so encoders do real work), as a q92 camera JPEG
    stored sideways with EXIF orientation 6 and GPS."""
    rng, shapes = np.random.default_rng(seed), random.Random(seed)
    width, height = SIZE[1], SIZE[0]  # stored landscape
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [120 + 80 * np.sin(x / 170) + 40 * np.cos(y / 90), 100 + 90 * np.cos((x + y) / 230)]
    channels.append(140 + 70 * np.sin(y / 260) - 30 * np.cos(x / 60))
    pixels = np.stack(channels, -1) + rng.normal(0, 12, (height, width, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0, side = shapes.randrange(width), shapes.randrange(height), shapes.randrange(20, 300)
        box = (x0, y0, x0 + side, y0 + side * shapes.uniform(0.3, 1.5))
        colour = tuple(shapes.randrange(256) for _ in range(3))
        (draw.ellipse if shapes.random() < 0.5 else draw.rectangle)(box, fill=colour)
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32)
    image = Image.fromarray(np.clip(blurred + rng.normal(0, 6, blurred.shape), 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52, 13, 5)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def timed(timings: Timings, step: str, function: Callable[[], Any]) -> Any:
    start, start_cpu = time.perf_counter(), time.thread_time()
    result = function()
    timings[step].append(((time.perf_counter() - start) * 1000, (time.thread_time() - start_cpu) * 1000))
    return result


def run_ours(data: bytes, options: ImageOptions, timings: Timings, sizes: dict[str, int]) -> None:
    """The steps of process_image, one by one (plus AVIF, kept apart from the total)."""
    decoded = timed(timings, "decode+validate", lambda: decode_image(data, min_size=DECODE_AT_LEAST))
    upright = timed(timings, "orient+strip+sRGB", lambda: normalize(decoded))
    steps, images = resize_steps(upright), {}
    for expected in SIZE_ORDER[::-1]:  # resize_steps goes from the largest size down
        name, images[expected] = timed(timings, f"resize {expected}", lambda: next(steps))
        assert name == expected
    for fmt in (*FORMATS, "avif") if avif_available() else FORMATS:
        for name in SIZE_ORDER:
            encoded = timed(timings, f"{fmt} {name}", lambda: ENCODERS[fmt](images[name], options))  # noqa: B023
            sizes[f"{fmt} {name}"] = len(encoded)
    timed(timings, "blurhash", lambda: blurhash_of(images["small"]))


def run_reference(data: bytes, timings: Timings, sizes: dict[str, int]) -> None:
    """Image.open → exif_transpose → thumbnail() from the full image per size → default save()."""
    image = timed(timings, "decode+validate", lambda: loaded(Image.open(io.BytesIO(data))))
    upright = timed(timings, "orient+strip+sRGB", lambda: ImageOps.exif_transpose(image))
    for name in SIZE_ORDER:
        side = THUMBNAIL_SIDE if name == "thumbnail" else LONG_SIDES[name]
        copy = upright.copy()
        timed(timings, f"resize {name}", lambda: copy.thumbnail((side, side)))  # noqa: B023
        for fmt in FORMATS:
            buffer = io.BytesIO()
            timed(timings, f"{fmt} {name}", lambda: copy.save(buffer, fmt.upper()))  # noqa: B023
            sizes[f"{fmt} {name}"] = buffer.tell()


def loaded(image: Image.Image) -> Image.Image:
    image.load()
    return image


def measure(data: bytes, runs: int) -> dict[str, Any]:
    """Interleave both paths and the end-to-end call in every run, so load on the machine hits all alike."""
    options = ImageOptions(avif_threads=1)
    ours: Timings = defaultdict(list)
    reference: Timings = defaultdict(list)
    end_to_end: Timings = defaultdict(list)
    our_bytes: dict[str, int] = {}
    reference_bytes: dict[str, int] = {}
    for run in range(runs + 1):  # the first run warms caches and is thrown away
        run_ours(data, options, ours, our_bytes)
        run_reference(data, reference, reference_bytes)
        timed(end_to_end, "process_image", lambda: process_image(data, max_bytes=len(data), options=options))
        if run == 0:
            for timings in (ours, reference, end_to_end):
                timings.clear()
    return {
        "ours": medians(ours),
        "reference": medians(reference),
        "process_image": medians(end_to_end)["process_image"],
        "bytes": {"ours": our_bytes, "reference": reference_bytes},
    }


def medians(timings: Timings) -> dict[str, dict[str, float]]:
    return {
        step: {"wall_ms": statistics.median(w for w, _ in values), "cpu_ms": statistics.median(c for _, c in values)}
        for step, values in timings.items()
    }


def summarise(result: dict[str, Any]) -> dict[str, float]:
    """Totals of the step medians, in wall and CPU milliseconds; AVIF apart."""
    ours, reference = result["ours"], result["reference"]
    totals: dict[str, float] = {}
    for clock in ("wall_ms", "cpu_ms"):
        totals[f"ours_{clock}"] = sum(v[clock] for step, v in ours.items() if not step.startswith("avif"))
        totals[f"reference_{clock}"] = sum(v[clock] for v in reference.values())
        for fmt in (*FORMATS, "avif"):
            totals[f"ours_{fmt}_encode_{clock}"] = sum(v[clock] for s, v in ours.items() if s.startswith(fmt + " "))
    totals["speedup"] = totals["reference_wall_ms"] / totals["ours_wall_ms"]
    return totals


def print_report(result: dict[str, Any], totals: dict[str, float], console: Console) -> None:
    ours, reference = result["ours"], result["reference"]
    our_bytes, reference_bytes = result["bytes"]["ours"], result["bytes"]["reference"]
    title = f"media: 1080×1350 JPEG, one thread, median of {result['runs']} runs (wall ms; KB = output size)"
    table = Table(title=title)
    for column in ("step", "ours", "stock", "×", "KB ours", "KB stock"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for step, value in ours.items():
        if not step.startswith("avif"):
            stock = reference.get(step, {}).get("wall_ms")
            ratio = f"{stock / value['wall_ms']:.1f}" if stock else ""
            table.add_row(
                step,
                f"{value['wall_ms']:.1f}",
                f"{stock:.1f}" if stock else "—",
                ratio,
                _kb(our_bytes.get(step)),
                _kb(reference_bytes.get(step)),
            )
    table.add_section()
    our_total = sum(n for step, n in our_bytes.items() if not step.startswith("avif"))
    table.add_row(
        "total JPEG + WebP",
        f"{totals['ours_wall_ms']:.1f}",
        f"{totals['reference_wall_ms']:.1f}",
        f"{totals['speedup']:.1f}",
        _kb(our_total),
        _kb(sum(reference_bytes.values())),
    )
    table.add_row("  same, CPU ms", f"{totals['ours_cpu_ms']:.1f}", f"{totals['reference_cpu_ms']:.1f}", "", "", "")
    for fmt in FORMATS:
        table.add_row(f"  {fmt} encodes", f"{totals[f'ours_{fmt}_encode_wall_ms']:.1f}", "", "", "", "")
    table.add_row("process_image()", f"{result['process_image']['wall_ms']:.1f}", "", "", "", "")
    add_avif_rows(table, ours, our_bytes, totals)
    console.print(table)
    verdict = "meets" if result["meets_target"] else "MISSES"
    console.print(f"{verdict} the {TARGET_MS:.0f} ms target (total JPEG + WebP, wall)")


def add_avif_rows(table: Table, ours: dict[str, Any], our_bytes: dict[str, int], totals: dict[str, float]) -> None:
    if not totals["ours_avif_encode_wall_ms"]:
        return
    table.add_section()
    for step in (s for s in ours if s.startswith("avif")):
        table.add_row(f"{step} (apart)", f"{ours[step]['wall_ms']:.1f}", "", "", _kb(our_bytes[step]), "")
    table.add_row("avif, all sizes", f"{totals['ours_avif_encode_wall_ms']:.1f}", "", "", "", "")


def _kb(size: int | None) -> str:
    return f"{size / 1000:.1f}" if size else ""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    runs = args.runs or (5 if args.quick else 20)
    data = make_photo()
    result = measure(data, runs)
    totals = summarise(result)
    result |= {"runs": runs, "image": {"size": SIZE, "bytes": len(data), "orientation": 6}, "totals": totals}
    result |= {"target_ms": TARGET_MS, "meets_target": totals["ours_wall_ms"] <= TARGET_MS}
    result["versions"] = {name: features.version(name) for name in ("pil", "libjpeg_turbo", "webp", "avif")}
    print_report(result, totals, Console(width=100))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
