"""Media made in the test, never read from files: photos with metadata, crafted PNG headers, ICC profiles."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

from PIL import ExifTags, Image

from social_core.media.video import ffmpeg_exe

MAKER = "PixelrankTestCam"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description exif:GPSLatitude="52,13N"/></x:xmpmeta>'


def photo(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """Gradients plus noise (so encoders do real work), with a red top-left quadrant as a landmark."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (red, green, blue))
    image.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    return image.convert(mode)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = MAKER
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 13.0, 5.5),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (21.0, 0.0, 30.0),
        }
    )
    return exif


def gps_jpeg(size: tuple[int, int], orientation: int = 6) -> bytes:
    """A JPEG stored at `size` whose EXIF says how to rotate it, carrying GPS, XMP and an sRGB profile."""
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(photo(size), "JPEG", quality=90, exif=exif_with_gps(orientation), xmp=XMP, icc_profile=srgb)


def png_header_only(width: int, height: int, bit_depth: int = 1) -> bytes:
    """A valid grayscale PNG of any size whose pixels are all zero: tiny on disk, huge when decoded."""
    row = b"\x00" + bytes((width * bit_depth + 7) // 8)
    idat = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def swapped_rgb_profile() -> bytes:
    """An ICC v2 RGB profile whose red and blue primaries are sRGB's blue and red (linear curves):
    converting it to sRGB must turn pure red into blue. Pillow can only create sRGB/LAB/XYZ itself."""
    colorants = {
        b"rXYZ": (0.1431, 0.0606, 0.7141),
        b"gXYZ": (0.3851, 0.7169, 0.0971),
        b"bXYZ": (0.4361, 0.2225, 0.0139),
    }
    tags = {b"desc": _desc("Swapped primaries test RGB"), b"wtpt": _xyz((0.9642, 1.0, 0.8249))}
    tags |= {sig: _xyz(value) for sig, value in colorants.items()}
    tags |= {sig: b"curv" + bytes(4) + struct.pack(">I", 0) for sig in (b"rTRC", b"gTRC", b"bTRC")}
    tags[b"cprt"] = b"text" + bytes(4) + b"public domain\x00"
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags.items():
        data += bytes(-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = struct.pack(
        ">I4sI4s4s4s12s4s4sI4s4sQI",
        size,
        b"lcms",
        0x02100000,
        b"mntr",
        b"RGB ",
        b"XYZ ",
        bytes(12),
        b"acsp",
        b"APPL",
        0,
        b"none",
        b"none",
        0,
        0,
    )
    header += _s15((0.9642, 1.0, 0.8249)) + b"lcms" + bytes(16 + 28)
    return header + struct.pack(">I", len(tags)) + table + body


def _s15(values: tuple[float, ...]) -> bytes:
    return b"".join(struct.pack(">i", round(value * 65536)) for value in values)


def _xyz(value: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + _s15(value)


def _desc(text: str) -> bytes:
    ascii_text = text.encode() + b"\x00"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)


def jpeg_segments(data: bytes) -> list[bytes]:
    """The marker segments before the image data (APPn, COM, DQT…), each with its marker bytes."""
    segments, position = [], 2
    while data[position] == 0xFF and data[position + 1] != 0xDA:
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        segments.append(data[position : position + 2 + length])
        position += 2 + length
    return segments


def riff_chunks(data: bytes) -> list[bytes]:
    """The chunk ids of a WebP file."""
    chunks, position = [], 12
    while position + 8 <= len(data):
        kind, length = data[position : position + 4], struct.unpack("<I", data[position + 4 : position + 8])[0]
        chunks.append(kind)
        position += 8 + length + (length & 1)
    return chunks


def make_video(folder: Path, seconds: float, container: str = "mp4", size: str = "64x48") -> bytes:
    """A tiny test-pattern video made by the bundled ffmpeg."""
    path = folder / f"clip-{seconds}.{container}"
    source = f"testsrc=size={size}:rate=10:duration={seconds}"
    command = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast"]
    subprocess.run([*command, "-pix_fmt", "yuv420p", "-y", str(path)], check=True, timeout=60)
    return path.read_bytes()
