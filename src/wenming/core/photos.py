"""The photo pipeline: every uploaded photo (problem before/after photos, inspection evidence,
citizen reports) passes through :func:`process_photo` before anything is stored (DESIGN.md §3
Files, §11).

* The file is judged by its content, never by its name or the browser's content type: Pillow
  must recognise it as JPEG or PNG, and it must decode completely.
* Size and pixel count are capped before decoding, so a small file that expands to gigabytes
  (a decompression bomb) is refused without being decoded.
* The output is a fresh JPEG (re-encoded, so nothing the uploader put in the file survives):
  turned upright by its EXIF orientation, converted to sRGB, alpha flattened onto white, the
  longest side capped, and no metadata at all (no EXIF, no ICC profile, no comments, no XMP).
  What the product keeps — when and where the photo was taken — is extracted first and returned
  as values for the database.

The module does no I/O besides Pillow's decoding; storing is :mod:`wenming.core.services_photos`.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .errors import ServiceError

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MAX_SIDE = 2560
THUMB_SIDE = 320
JPEG_QUALITY = 85
THUMB_QUALITY = 80
# Image.thumbnail first reduces by the integer factor that leaves the image at least this many
# times the thumbnail's size (box filter), then resamples the rest with LANCZOS
THUMB_REDUCING_GAP = 1.0
ACCEPTED_FORMATS = ("JPEG", "PNG")
# Pillow names a JPEG carrying a multi-picture index (many phone cameras) "MPO"; its first
# frame is an ordinary baseline JPEG.
_PILLOW_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}

# EXIF times are the camera's local clock with no zone; the platform serves Chinese cities.
CAMERA_TZ = ZoneInfo("Asia/Shanghai")

MSG_EMPTY = "照片为空，请重新选择"
MSG_FORMAT = "只能上传 JPEG 或 PNG 照片"
MSG_CORRUPT = "照片已损坏或不完整，无法读取"
# decoding errors Pillow raises for broken files (SyntaxError and struct.error among them)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
                  ZeroDivisionError, Image.DecompressionBombError)

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAG_DATETIME_ORIGINAL = 36867
_TAG_DATETIME_DIGITIZED = 36868
_TAG_OFFSET_TIME_ORIGINAL = 36881
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_MICRODEGREE = Decimal("0.000001")


class PhotoError(ServiceError):
    """The upload is not an acceptable photo; ``message`` is shown to the user as is."""

    def __init__(self, message: str, *, filename: str = ""):
        super().__init__(message, field="photo")
        self.filename = filename


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes  # JPEG, upright, sRGB, no metadata, longest side <= MAX_SIDE
    thumb: bytes  # JPEG, longest side <= THUMB_SIDE
    width: int  # of ``image``
    height: int
    taken_at: datetime | None  # aware, Asia/Shanghai
    latitude: Decimal | None  # decimal degrees (WGS-84 as the camera wrote it), 6 places
    longitude: Decimal | None
    sha256: str  # hex digest of the uploaded (original) bytes
    source_format: str  # "JPEG" or "PNG"


def max_bytes() -> int:
    return int(getattr(settings, "WENMING_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "WENMING_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}"


def too_large_message() -> str:
    return f"照片超过{_megabytes(max_bytes())}MB"


def too_many_pixels_message() -> str:
    return f"照片像素过大（超过{max_pixels() / 10_000:.0f}万像素），请缩小后再上传"


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file (Django ``UploadedFile``), refusing an oversize file
    from its declared size before reading it into memory."""
    filename = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise PhotoError(too_large_message(), filename=filename)
    data = upload.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise PhotoError(too_large_message(), filename=filename)
    return data


def process_photo(data: bytes, *, filename: str = "") -> ProcessedPhoto:
    """Validate ``data`` by content and return the cleaned photo; raise :class:`PhotoError`
    (a Chinese message) for anything that is not a complete JPEG or PNG within the limits.
    ``filename`` only labels the error; it plays no part in the decision."""
    if not data:
        raise PhotoError(MSG_EMPTY, filename=filename)
    if len(data) > max_bytes():
        raise PhotoError(too_large_message(), filename=filename)

    source_format = _check(data, filename)
    try:
        image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
        if source_format == "JPEG":
            # decode at a reduced scale when the photo is much larger than what we keep
            image.draft("RGB", _fit(image.size, MAX_SIDE))
        image.load()
    except _DECODE_ERRORS as exc:
        raise PhotoError(MSG_CORRUPT, filename=filename) from exc

    taken_at, latitude, longitude = _metadata(image)
    icc_profile = image.info.get("icc_profile")
    image = _upright(image)
    try:
        image = _to_srgb(image, icc_profile)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        image.info = {}  # nothing of the upload travels into the output
        full, (width, height) = _jpeg(image, JPEG_QUALITY), image.size
        # the thumbnail from the image just encoded, in place (no copy): a box reduction by the
        # whole factor first, LANCZOS only for the rest — a full LANCZOS from 960 px cost ten times
        # as much and looks the same at 320 px (PSNR 48 dB between the two)
        image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=THUMB_REDUCING_GAP)
        image.info = {}
        thumb = _jpeg(image, THUMB_QUALITY)
    except _DECODE_ERRORS as exc:
        raise PhotoError(MSG_CORRUPT, filename=filename) from exc

    return ProcessedPhoto(
        image=full, thumb=thumb, width=width, height=height, taken_at=taken_at,
        latitude=latitude, longitude=longitude, sha256=hashlib.sha256(data).hexdigest(),
        source_format=source_format,
    )


def _check(data: bytes, filename: str) -> str:
    """Identify the format from the content, cap the pixel count from the header, verify."""
    try:
        with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as probe:
            pillow_format = probe.format
            width, height = probe.size
            if pillow_format not in _PILLOW_FORMATS:
                raise PhotoError(MSG_FORMAT, filename=filename)
            if width * height > max_pixels():
                raise PhotoError(too_many_pixels_message(), filename=filename)
            if width < 1 or height < 1:
                raise PhotoError(MSG_CORRUPT, filename=filename)
            probe.verify()
    except UnidentifiedImageError as exc:
        raise PhotoError(MSG_FORMAT, filename=filename) from exc
    except Image.DecompressionBombError as exc:
        raise PhotoError(too_many_pixels_message(), filename=filename) from exc
    except PhotoError:
        raise
    except _DECODE_ERRORS as exc:
        raise PhotoError(MSG_CORRUPT, filename=filename) from exc
    return _PILLOW_FORMATS[pillow_format]


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 — a malformed orientation tag leaves the photo as it is
        return image


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB in sRGB: alpha flattened onto white, 16-bit greys scaled, colour profile applied
    (the output carries no profile, so its pixels must already be sRGB)."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        mode = "L"
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    elif mode in ("1", "L") and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
        mode = "RGB"
    if icc_profile and mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                                  outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unusable profile: fall back to a plain conversion
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    """Baseline JPEG with optimised Huffman tables: ``optimize`` makes the file about 14 % smaller
    for about one more millisecond at 960 px; ``progressive`` (2.5 times the encoding time) made
    them no smaller, so it is not used."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


# --- metadata we keep: when and where --------------------------------------------------------------

def _metadata(image: Image.Image) -> tuple[datetime | None, Decimal | None, Decimal | None]:
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 — unreadable EXIF is no reason to refuse the photo
        return None, None, None
    taken_at = latitude = longitude = None
    try:
        exif_ifd = exif.get_ifd(_EXIF_IFD)
        raw = exif_ifd.get(_TAG_DATETIME_ORIGINAL) or exif_ifd.get(_TAG_DATETIME_DIGITIZED)
        taken_at = _exif_datetime(raw, exif_ifd.get(_TAG_OFFSET_TIME_ORIGINAL))
    except Exception:  # noqa: BLE001
        taken_at = None
    try:
        latitude, longitude = _gps(exif.get_ifd(_GPS_IFD))
    except Exception:  # noqa: BLE001
        latitude = longitude = None
    return taken_at, latitude, longitude


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value or "").strip().strip("\x00").strip()


def _exif_datetime(raw, offset_raw) -> datetime | None:
    text = _text(raw)
    if not text:
        return None
    try:
        naive = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if naive.year < 1990:
        return None  # unset camera clocks write 0000:00:00 or 1970
    offset = _text(offset_raw)
    if len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
        try:
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            zone = dt_timezone(delta if offset[0] == "+" else -delta)
            return naive.replace(tzinfo=zone).astimezone(CAMERA_TZ)
        except ValueError:
            pass
    return naive.replace(tzinfo=CAMERA_TZ)


def _degrees(value, ref, negative_ref: str, limit: int) -> Decimal | None:
    if not value or len(value) != 3:
        return None
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result) or not 0 <= result <= limit:
        return None
    if _text(ref).upper() == negative_ref:
        result = -result
    return Decimal(repr(result)).quantize(_MICRODEGREE, rounding=ROUND_HALF_UP)


def _gps(gps_ifd) -> tuple[Decimal | None, Decimal | None]:
    if not gps_ifd:
        return None, None
    latitude = _degrees(gps_ifd.get(_GPS_LAT), gps_ifd.get(_GPS_LAT_REF), "S", 90)
    longitude = _degrees(gps_ifd.get(_GPS_LON), gps_ifd.get(_GPS_LON_REF), "W", 180)
    if latitude is None or longitude is None:
        return None, None
    if latitude == 0 and longitude == 0:
        return None, None  # "no fix" written as 0,0
    return latitude, longitude
