"""Photo intake: check, shrink, orient and strip an uploaded photo.

Pure: bytes in, bytes out. No Flask, no database, no file system.

What it guarantees for every accepted upload:

* the type is decided by content only, among JPEG, PNG, WebP and HEIF/HEIC;
* decompression bombs are refused before any pixel is decoded;
* truncated or corrupt files are refused (``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set);
* the EXIF orientation is applied to the pixels;
* the stored JPEG and its thumbnail carry no metadata at all: no EXIF (so no GPS position, no
  camera serial, no timestamp), no XMP, no comment, no ICC profile;
* the same input bytes always give the same output bytes.
"""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from PIL import Image, UnidentifiedImageError

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
JPEG_QUALITY = 82
BACKGROUND = (255, 255, 255)  # transparent areas are composited on white

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the transposition that makes the pixels upright (as ImageOps.exif_transpose).
_TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Major brands of HEIF still images (a video's "ftyp" box has other brands: not an image).
_HEIF_BRANDS = frozenset(
    (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")
)
# Errors Pillow (and pillow-heif) raise on damaged data while reading headers or pixels.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    RuntimeError,
    struct.error,
    zlib.error,
)


class PhotoRejected(ValueError):
    """The upload is not a photo we accept. ``reason`` is a stable code for API clients:

    ``empty``, ``not_an_image``, ``truncated`` (corrupt or cut short), ``too_many_pixels``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes  # JPEG, long side <= max_side, upright, no metadata
    thumbnail: bytes  # JPEG, long side <= thumb_side, upright, no metadata
    width: int  # of `image`
    height: int


# The long side a photo is stored at (the phone downscales to it before sending: page config).
PHOTO_MAX_SIDE = 1600


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def process_photo(
    data: bytes,
    *,
    max_side: int = PHOTO_MAX_SIDE,
    thumb_side: int = 320,
    max_pixels: int = 100_000_000,
) -> ProcessedPhoto:
    """Turn uploaded bytes into a stripped, upright JPEG and a thumbnail, or raise PhotoRejected.

    Pillow's own ``Image.MAX_IMAGE_PIXELS`` (about 89.5 MP by default) also applies: its warning
    is turned into a refusal here, so the effective limit is the smaller of the two.
    """
    if not data:
        raise PhotoRejected("empty", "The file is empty.")
    with warnings.catch_warnings():
        # Pillow warns (UserWarning) about broken EXIF and carries on: we drop EXIF anyway, so
        # such a photo is accepted whatever the process's warning filters say.
        warnings.simplefilter("ignore", UserWarning)
        # Pillow only warns above MAX_IMAGE_PIXELS: make it a refusal, for this block only.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open(data, max_pixels) as im:
            picture, orientation = _decode(im, max_side)
    picture = _upright(picture, orientation)
    thumb = _shrink(picture, thumb_side)
    return ProcessedPhoto(
        image=_encode_jpeg(picture, progressive=True),
        thumbnail=_encode_jpeg(thumb, progressive=False),
        width=picture.width,
        height=picture.height,
    )


def _too_many_pixels() -> PhotoRejected:
    return PhotoRejected("too_many_pixels", "The image has too many pixels.")


def _damaged() -> PhotoRejected:
    return PhotoRejected("truncated", "The image file is damaged or incomplete.")


def _looks_like_accepted_format(data: bytes) -> bool:
    """Magic numbers of the accepted formats: Pillow failed on one of these = damaged file."""
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        im = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _too_many_pixels() from exc
    except UnidentifiedImageError as exc:
        if _looks_like_accepted_format(data):
            raise _damaged() from exc
        raise PhotoRejected(
            "not_an_image", "The file is not a JPEG, PNG, WebP or HEIC photo."
        ) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged() from exc
    # Header only so far: refuse before a single pixel is decoded.
    if im.width * im.height > max_pixels:
        im.close()
        raise _too_many_pixels()
    return im


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 to 8) of a loaded image; 1 when absent or unreadable.

    Read after load(): a PNG may keep its eXIf chunk after the pixel data.

    pillow-heif applies the HEIF rotation itself and resets this tag, so HEIC is not turned twice.
    """
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # broken metadata must not refuse good pixels
        return 1
    return value if value in _TRANSPOSITIONS else 1


def _decode(im: Image.Image, max_side: int) -> tuple[Image.Image, int]:
    """The first frame, RGB, long side at most ``max_side``, not yet turned; its orientation."""
    if im.format == "JPEG":
        # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding: much faster for big photos.
        im.draft("RGB", _fit(im.size, max_side))
    try:
        im.load()
        orientation = _orientation(im)
        picture = _shrink(_to_rgb(im), max_side)  # always a new image, independent of `im`
    except _DECODE_ERRORS as exc:
        raise _damaged() from exc
    return picture, orientation


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(im: Image.Image, max_side: int) -> Image.Image:
    """A new image, long side at most ``max_side`` (Lanczos, as Image.thumbnail)."""
    return im.resize(_fit(im.size, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode.startswith("I;16") or im.mode == "I":
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white).
        return im.point(lambda v: v / 256, "L" if im.mode == "I" else None).convert("RGB")
    return im if im.mode == "RGB" else im.convert("RGB")


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSITIONS.get(orientation)
    return im.transpose(method) if method is not None else im


def _encode_jpeg(im: Image.Image, *, progressive: bool) -> bytes:
    """Progressive is 3-5 % smaller on real photos; below ~10 KB optimised baseline wins."""
    im.info = {}  # the JPEG writer copies a "comment" found here: keep nothing
    buffer = BytesIO()
    im.save(
        buffer,
        format="JPEG",
        quality=JPEG_QUALITY,
        optimize=True,
        progressive=progressive,
        subsampling="4:2:0",
    )
    return buffer.getvalue()
