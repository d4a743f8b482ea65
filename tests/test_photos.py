"""Unit tests of walkapp.domain.photos (pure: no Flask, no database)."""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageFile, ImageOps, ImageStat

from walkapp.domain.photos import PhotoRejected, ProcessedPhoto, process_photo, sha256_hex

DATA = Path(__file__).parent / "data"
NIGHT_12MP = "night-street-12mp.jpg"
DAY = "day-path.jpg"
HEIC = "iphone-bench.heic"
PNG = "lamp.png"
SAMPLES = (NIGHT_12MP, DAY, HEIC, PNG)


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def open_sample(name: str) -> Image.Image:
    return Image.open(BytesIO(sample(name)))  # from bytes: no file handle left open


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def reopen(jpeg: bytes) -> Image.Image:
    im = Image.open(BytesIO(jpeg))
    assert im.format == "JPEG"
    return im


def assert_no_metadata(jpeg: bytes) -> None:
    im = reopen(jpeg)
    exif = im.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "comment", "xmp", "XML:com.adobe.xmp", "icc_profile", "photoshop"):
        assert key not in im.info
    assert im.applist == [("APP0", im.applist[0][1])]  # the JFIF header, nothing else
    assert b"Exif" not in jpeg
    assert b"http://ns.adobe.com/xap" not in jpeg


def rejection(data: bytes, **options: int) -> str:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, **options)
    assert caught.value.message
    assert str(caught.value) == caught.value.message
    return caught.value.reason


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def bomb_png(width: int = 12_000, height: int = 12_000) -> bytes:
    """A real 1-bit PNG of width x height black pixels, a few kilobytes on disk."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def night() -> ProcessedPhoto:
    return process_photo(sample(NIGHT_12MP))


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_all_metadata_is_removed(name: str) -> None:
    result = process_photo(sample(name))
    assert_no_metadata(result.image)
    assert_no_metadata(result.thumbnail)


@pytest.mark.parametrize("name", [NIGHT_12MP, DAY, HEIC])
def test_samples_do_carry_gps_so_the_test_means_something(name: str) -> None:
    gps = open_sample(name).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.GPS.GPSLatitude in gps


def test_comment_xmp_and_icc_are_not_copied() -> None:
    source = encode(
        Image.new("RGB", (40, 30), "teal"),
        "JPEG",
        comment=b"taken at 12 rue des Lilas",
        xmp=b"<x:xmpmeta>secret place</x:xmpmeta>",
        icc_profile=b"\0" * 200,
    )
    assert "comment" in Image.open(BytesIO(source)).info
    result = process_photo(source)
    assert_no_metadata(result.image)
    assert b"Lilas" not in result.image
    assert b"secret" not in result.image


def test_broken_exif_does_not_refuse_the_photo() -> None:
    # One IFD entry (Make, ASCII, 100 bytes) pointing far beyond the end of the EXIF block:
    # Pillow warns "Tag data larger than file"; the project's pytest turns warnings into errors.
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + b"\x01\x0f\x00\x02"
    tiff += b"\x00\x00\x00\x64\x00\x00\x10\x00" + b"\x00\x00\x00\x00"
    source = encode(Image.new("RGB", (40, 30), "navy"), "JPEG", exif=b"Exif\x00\x00" + tiff)
    result = process_photo(source)
    assert (result.width, result.height) == (40, 30)
    assert_no_metadata(result.image)


# --- orientation and size ---------------------------------------------------------------------


def test_12mp_photo_is_turned_to_portrait(night: ProcessedPhoto) -> None:
    assert open_sample(NIGHT_12MP).size == (4000, 3000)  # stored landscape, Orientation=6
    assert (night.width, night.height) == (1200, 1600)
    assert reopen(night.image).size == (1200, 1600)
    thumb_width, thumb_height = reopen(night.thumbnail).size
    assert thumb_width < thumb_height


def test_12mp_photo_matches_exif_transpose_of_the_full_image(night: ProcessedPhoto) -> None:
    reference = ImageOps.exif_transpose(open_sample(NIGHT_12MP))
    reference = reference.resize((120, 160), Image.Resampling.BOX)
    ours = reopen(night.image).convert("RGB").resize((120, 160), Image.Resampling.BOX)
    mean_difference = ImageStat.Stat(ImageChops.difference(ours, reference)).mean
    assert max(mean_difference) < 4


QUADRANTS = ((255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 255, 0))


def quadrant_colours(im: Image.Image) -> list[tuple[int, ...]]:
    w, h = im.size
    points = (
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    )
    return [im.convert("RGB").getpixel(point) for point in points]


def same_colours(a: list[tuple[int, ...]], b: list[tuple[int, ...]]) -> bool:
    return all(
        abs(x - y) < 40 for p, q in zip(a, b, strict=True) for x, y in zip(p, q, strict=True)
    )


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int) -> None:
    im = Image.new("RGB", (64, 32))
    for index, colour in enumerate(QUADRANTS):
        x, y = (index % 2) * 32, (index // 2) * 16
        im.paste(colour, (x, y, x + 32, y + 16))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    source = encode(im, "JPEG", exif=exif, quality=95)
    expected = ImageOps.exif_transpose(Image.open(BytesIO(source)))

    result = process_photo(source)

    ours = reopen(result.image)
    assert ours.size == expected.size == (result.width, result.height)
    assert same_colours(quadrant_colours(ours), quadrant_colours(expected))


def test_sizes_are_bounded(night: ProcessedPhoto) -> None:
    assert max(reopen(night.image).size) <= 1600
    assert max(reopen(night.thumbnail).size) <= 320
    assert len(night.image) < 400 * 1024
    assert len(night.thumbnail) < len(night.image)


def test_small_image_is_not_enlarged() -> None:
    result = process_photo(encode(Image.new("RGB", (300, 200), "olive"), "PNG"))
    assert (result.width, result.height) == (300, 200)
    assert reopen(result.thumbnail).size == (300, 200)


def test_custom_sides() -> None:
    result = process_photo(sample(DAY), max_side=800, thumb_side=100)
    assert (result.width, result.height) == (800, 600)
    assert reopen(result.thumbnail).size == (100, 75)


# --- accepted formats -------------------------------------------------------------------------


def test_heic_is_accepted_and_converted_to_jpeg() -> None:
    assert open_sample(HEIC).format == "HEIF"
    result = process_photo(sample(HEIC))
    assert result.image.startswith(b"\xff\xd8\xff")
    assert reopen(result.image).size == (1600, 1200)
    assert reopen(result.image).mode == "RGB"


def test_png_is_accepted() -> None:
    result = process_photo(sample(PNG))
    assert (result.width, result.height) == (800, 600)
    assert reopen(result.image).mode == "RGB"


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_composited_on_white(mode: str) -> None:
    if mode == "P":
        im = Image.new("P", (40, 30), 0)
        im.putpalette([255, 0, 0] * 256)
        source = encode(im, "PNG", transparency=0)
    else:
        source = encode(Image.new(mode, (40, 30), (0, 0, 0, 0)[: len(mode)]), "PNG")
    pixel = reopen(process_photo(source).image).getpixel((20, 15))
    assert all(channel > 245 for channel in pixel)


def test_16_bit_greyscale_png_is_not_clipped_to_white() -> None:
    source = encode(Image.new("I;16", (40, 30), 32768), "PNG")
    pixel = reopen(process_photo(source).image).getpixel((20, 15))
    assert all(110 < channel < 145 for channel in pixel)


def test_animated_webp_keeps_the_first_frame() -> None:
    red, blue = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    source = encode(red, "WEBP", save_all=True, append_images=[blue], duration=100, lossless=True)
    assert Image.open(BytesIO(source)).n_frames == 2
    r, g, b = reopen(process_photo(source).image).getpixel((20, 15))
    assert r > 230 and g < 25 and b < 25


# --- refusals ---------------------------------------------------------------------------------


def test_photo_rejected_is_a_value_error_with_a_stable_reason() -> None:
    error = PhotoRejected("truncated", "The image file is damaged or incomplete.")
    assert isinstance(error, ValueError)
    assert (error.reason, error.message) == (
        "truncated",
        "The image file is damaged or incomplete.",
    )


def test_empty_bytes_are_refused() -> None:
    assert rejection(b"") == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"hello",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<rect width="10" height="10"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",  # a video, not a HEIC
        encode(Image.new("RGB", (10, 10), "red"), "GIF"),  # an image, but not accepted
        encode(Image.new("RGB", (10, 10), "red"), "BMP"),
    ],
    ids=["text", "svg", "svg-script", "pdf", "mp4", "gif", "bmp"],
)
def test_non_photos_are_refused(data: bytes) -> None:
    assert rejection(data) == "not_an_image"


@pytest.mark.parametrize("name", [DAY, NIGHT_12MP, HEIC, PNG])
def test_truncated_file_is_refused(name: str) -> None:
    data = sample(name)
    assert rejection(data[: len(data) // 2]) == "truncated"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_bomb_is_refused_before_decoding() -> None:
    data = bomb_png()
    assert len(data) < 100_000  # 144 MP in a few kilobytes
    assert rejection(data) == "too_many_pixels"


def test_bomb_is_refused_even_when_warnings_are_not_errors() -> None:
    # Production does not run with filterwarnings=error: the refusal must not depend on it.
    # max_pixels above the bomb: only Pillow's limit (MAX_IMAGE_PIXELS, ~89.5 MP) stops it.
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        assert rejection(bomb_png(), max_pixels=200_000_000) == "too_many_pixels"


def test_own_pixel_limit_applies() -> None:
    assert rejection(sample(DAY), max_pixels=1_000_000) == "too_many_pixels"  # 1.92 MP


def test_48_megapixel_photo_is_accepted() -> None:
    source = encode(Image.new("L", (8000, 6000), 90), "JPEG", quality=50)
    result = process_photo(source)
    assert (result.width, result.height) == (1600, 1200)
    assert_no_metadata(result.image)


def test_warning_filters_are_left_as_they_were() -> None:
    before = list(warnings.filters)
    process_photo(sample(DAY))
    with pytest.raises(PhotoRejected):
        process_photo(bomb_png())
    assert warnings.filters == before


# Fewer examples than conftest's profile, and more time each: a damaged 12 MP HEIC decodes slowly.
@settings(
    max_examples=25, deadline=timedelta(seconds=20), suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from([DAY, HEIC, PNG]), cut=st.floats(0.0, 1.0), flips=st.data())
def test_damaged_input_is_refused_or_processed_never_crashes(
    name: str, cut: float, flips: st.DataObject
) -> None:
    data = bytearray(sample(name))
    data = data[: max(1, int(len(data) * cut))]
    for _ in range(flips.draw(st.integers(0, 4))):
        position = flips.draw(st.integers(0, len(data) - 1))
        data[position] = flips.draw(st.integers(0, 255))
    try:
        result = process_photo(bytes(data), max_side=400, thumb_side=100)
    except PhotoRejected as error:
        assert error.reason in {"not_an_image", "truncated", "too_many_pixels"}
    else:
        assert_no_metadata(result.image)


# --- determinism and hashing ------------------------------------------------------------------


@pytest.mark.parametrize("name", [DAY, HEIC, PNG])
def test_same_input_gives_the_same_bytes(name: str) -> None:
    assert process_photo(sample(name)) == process_photo(sample(name))


def test_12mp_output_is_deterministic(night: ProcessedPhoto) -> None:
    assert process_photo(sample(NIGHT_12MP)) == night


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(sample(DAY)) == hashlib.sha256(sample(DAY)).hexdigest()
