"""The photo pipeline: validation by content, cleaning, storing and serving (DESIGN.md §3, §11)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from PIL import Image, ImageCms

from wenming.core.models import AuditEvent, Photo
from wenming.core.photos import MSG_CORRUPT, MSG_EMPTY, MSG_FORMAT, PhotoError, process_photo, read_upload
from wenming.core.services_photos import photo_create, photos_publish

SHANGHAI = ZoneInfo("Asia/Shanghai")
RED, BLUE = (255, 0, 0), (0, 0, 255)


# --- test images, built in memory --------------------------------------------------------------------

def camera_jpeg(size=(400, 200), *, orientation=6, taken="2026:03:15 09:30:00", offset=None,
                gps=((30.0, 15.0, 36.0), "N", (120.0, 9.0, 0.0), "E"), **save_options) -> bytes:
    """A phone-like JPEG: left half red, right half blue, with EXIF time, GPS and orientation."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if offset:
        exif.get_ifd(0x8769)[36881] = offset
    if gps:
        lat, lat_ref, lon, lon_ref = gps
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1], gps_ifd[2], gps_ifd[3], gps_ifd[4] = lat_ref, lat, lon_ref, lon
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95, **save_options)
    return out.getvalue()


def png_bytes(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def alpha_png(size=(300, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))  # transparent black
    image.paste((0, 128, 0, 255), (0, 0, size[0] // 2, size[1]))  # left half opaque green
    return png_bytes(image)


def noisy_jpeg(size=(1200, 900)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png_header(width=30_000, height=30_000) -> bytes:
    """A few hundred bytes claiming 900 megapixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close_to(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# --- process_photo: what comes out --------------------------------------------------------------------

def test_camera_jpeg_is_turned_upright_and_keeps_time_and_place_only():
    data = camera_jpeg()
    photo = process_photo(data, filename="IMG_0001.JPG")

    # Orientation 6: stored 400×200, shown 200×400 with the stored left edge (red) on top
    assert (photo.width, photo.height) == (200, 400)
    output = reopen(photo.image)
    assert output.format == "JPEG" and output.mode == "RGB"
    assert output.size == (200, 400)
    assert close_to(output.getpixel((100, 50)), RED)
    assert close_to(output.getpixel((100, 350)), BLUE)

    assert photo.taken_at == datetime(2026, 3, 15, 9, 30, tzinfo=SHANGHAI)
    assert photo.taken_at.utcoffset().total_seconds() == 8 * 3600
    assert photo.latitude == Decimal("30.260000")
    assert photo.longitude == Decimal("120.150000")
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.source_format == "JPEG"

    # nothing of the upload's metadata survives: no EXIF (orientation, GPS, make), no profile
    for produced in (photo.image, photo.thumb):
        cleaned = reopen(produced)
        assert len(cleaned.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp"} & set(cleaned.info)
        assert b"Exif" not in produced and b"TestPhone" not in produced and b"Camera 1.0" not in produced


def test_thumbnail_longest_side_is_320():
    photo = process_photo(camera_jpeg(size=(1600, 1000), orientation=None))
    thumb = reopen(photo.thumb)
    assert thumb.format == "JPEG"
    assert thumb.size == (320, 200)
    assert (photo.width, photo.height) == (1600, 1000)


def test_thumbnail_is_as_good_as_a_full_lanczos_resize():
    """The thumbnail is reduced by a whole factor first (cheaper than a LANCZOS resize from the
    full image) and loses next to nothing against that resize beyond what the JPEG encoding
    loses anyway; both files are plain baseline JPEGs."""
    import math

    from PIL import ImageChops, ImageFilter, ImageStat

    def psnr(a, b) -> float:
        mse = sum(ImageStat.Stat(ImageChops.difference(a, b).point(lambda v: v * v)).mean) / 3
        return 10 * math.log10(255 ** 2 / mse) if mse else 99.0

    out = io.BytesIO()  # a textured, photo-like picture
    Image.effect_noise((960, 720), 80).convert("RGB").filter(ImageFilter.GaussianBlur(1.5)).save(out, "JPEG", quality=95)
    photo = process_photo(out.getvalue())
    thumb = reopen(photo.thumb)
    assert thumb.size == (320, 240)
    fair = reopen(photo.image).resize((320, 240), Image.Resampling.LANCZOS)
    encoded = io.BytesIO()
    fair.save(encoded, "JPEG", quality=80)
    assert psnr(fair, thumb) > psnr(fair, reopen(encoded.getvalue())) - 1
    for data in (photo.image, photo.thumb):
        assert not reopen(data).info.get("progressive")


def test_large_photo_capped_at_2560():
    photo = process_photo(camera_jpeg(size=(5000, 2500), orientation=None))
    assert (photo.width, photo.height) == (2560, 1280)
    assert reopen(photo.image).size == (2560, 1280)
    assert reopen(photo.thumb).size == (320, 160)


def test_southern_western_coordinates_and_time_offset():
    data = camera_jpeg(offset="+00:00", taken="2026:01:02 03:04:05",
                       gps=((33.0, 52.0, 4.8), "S", (151.0, 12.0, 36.0), "W"))
    photo = process_photo(data)
    assert photo.latitude == Decimal("-33.868000")
    assert photo.longitude == Decimal("-151.210000")
    # 03:04:05 UTC is 11:04:05 in Shanghai
    assert photo.taken_at == datetime(2026, 1, 2, 11, 4, 5, tzinfo=SHANGHAI)
    assert str(photo.taken_at.tzinfo) == "Asia/Shanghai"


@pytest.mark.parametrize("taken, gps", [
    (None, None),
    ("0000:00:00 00:00:00", ((0.0, 0.0, 0.0), "N", (0.0, 0.0, 0.0), "E")),  # unset clock, no fix
    ("not a date", ((95.0, 0.0, 0.0), "N", (120.0, 0.0, 0.0), "E")),  # nonsense values
])
def test_missing_or_nonsense_metadata_gives_none(taken, gps):
    photo = process_photo(camera_jpeg(taken=taken, gps=gps, orientation=None))
    assert photo.taken_at is None
    assert photo.latitude is None and photo.longitude is None


def test_png_alpha_is_flattened_onto_white():
    photo = process_photo(alpha_png(), filename="screenshot.png")
    assert photo.source_format == "PNG"
    assert (photo.width, photo.height) == (300, 120)
    output = reopen(photo.image)
    assert output.format == "JPEG" and output.mode == "RGB"
    assert close_to(output.getpixel((75, 60)), (0, 128, 0))
    assert close_to(output.getpixel((225, 60)), (255, 255, 255))  # was transparent black
    assert photo.taken_at is None and photo.latitude is None


def test_palette_png_with_transparency_and_16_bit_grey():
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 200, 10, 10] + [0] * 762)
    palette.paste(1, (0, 0, 32, 64))
    output = reopen(process_photo(png_bytes(palette, transparency=0)).image)
    assert close_to(output.getpixel((10, 10)), (200, 10, 10))
    assert close_to(output.getpixel((50, 10)), (255, 255, 255))

    grey = Image.new("I;16", (32, 32), 0x8000)  # mid grey, not clipped to white
    output = reopen(process_photo(png_bytes(grey)).image)
    assert close_to(output.getpixel((5, 5)), (128, 128, 128))


def test_colour_profile_is_applied_not_kept():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = camera_jpeg(orientation=None, icc_profile=srgb)
    assert "icc_profile" in Image.open(io.BytesIO(data)).info
    output = reopen(process_photo(data).image)
    assert "icc_profile" not in output.info
    assert close_to(output.getpixel((50, 50)), RED)


def test_cmyk_jpeg_becomes_rgb():
    out = io.BytesIO()
    Image.new("CMYK", (60, 40), (0, 255, 255, 0)).save(out, "JPEG")
    output = reopen(process_photo(out.getvalue()).image)
    assert output.mode == "RGB" and close_to(output.getpixel((30, 20)), RED, tolerance=20)


def test_content_decides_not_the_name():
    # a genuine JPEG that arrives named .png is a JPEG
    assert process_photo(camera_jpeg(), filename="photo.png").source_format == "JPEG"
    # a multi-picture JPEG (MPO, common on phones) is a JPEG
    first, second = Image.new("RGB", (80, 60), RED), Image.new("RGB", (80, 60), BLUE)
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    photo = process_photo(out.getvalue(), filename="DSC_0001.JPG")
    assert photo.source_format == "JPEG" and (photo.width, photo.height) == (80, 60)


def test_payload_appended_to_a_jpeg_does_not_survive():
    payload = b"<html><script>alert(document.cookie)</script></html>"
    photo = process_photo(camera_jpeg() + payload, filename="x.jpg")
    assert payload not in photo.image and b"<script" not in photo.thumb


# --- process_photo: what is refused -------------------------------------------------------------------

def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), RED).save(out, "GIF")
    return out.getvalue()


def bmp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), RED).save(out, "BMP")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


def corrupt_png() -> bytes:
    data = bytearray(png_bytes(Image.effect_noise((200, 200), 50)))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: the chunk's CRC no longer matches
    return bytes(data)


REFUSED = {
    "gif": (gif_bytes, "anim.gif", MSG_FORMAT),
    "gif named jpg": (gif_bytes, "photo.jpg", MSG_FORMAT),
    "bmp": (bmp_bytes, "photo.bmp", MSG_FORMAT),
    "svg": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                    b'<script>alert(1)</script></svg>', "photo.svg", MSG_FORMAT),
    "pdf": (lambda: b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
            "scan.pdf", MSG_FORMAT),
    "html named jpg": (lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
                       "photo.jpg", MSG_FORMAT),
    "text named png": (lambda: b"just some text", "photo.png", MSG_FORMAT),
    "truncated jpeg": (truncated_jpeg, "photo.jpg", MSG_CORRUPT),
    "corrupt png": (corrupt_png, "photo.png", MSG_CORRUPT),
    "jpeg header only": (lambda: camera_jpeg()[:200], "photo.jpg", MSG_CORRUPT),
    "empty": (lambda: b"", "photo.jpg", MSG_EMPTY),
}


@pytest.mark.parametrize("make, filename, message", REFUSED.values(), ids=REFUSED.keys())
def test_refused_by_content(make, filename, message):
    with pytest.raises(PhotoError) as caught:
        process_photo(make(), filename=filename)
    assert caught.value.message == message
    assert caught.value.filename == filename
    assert caught.value.field == "photo"


def test_messages_are_chinese():
    assert MSG_FORMAT == "只能上传 JPEG 或 PNG 照片"
    assert MSG_CORRUPT == "照片已损坏或不完整，无法读取"


def test_oversize_refused(settings):
    data = noisy_jpeg()
    settings.WENMING_PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(PhotoError, match="^照片超过"):
        process_photo(data)
    settings.WENMING_PHOTO_MAX_BYTES = 15 * 1024 * 1024
    with pytest.raises(PhotoError) as caught:
        process_photo(b"\xff\xd8" + b"\0" * (15 * 1024 * 1024))
    assert caught.value.message == "照片超过15MB"


def test_default_size_limit_is_15_mb(settings):
    del settings.WENMING_PHOTO_MAX_BYTES  # the product's settings need not define it
    with pytest.raises(PhotoError, match="^照片超过15MB$"):
        process_photo(b"\0" * (15 * 1024 * 1024 + 1))


def test_read_upload_refuses_before_reading(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.WENMING_PHOTO_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.jpg", b"\0" * 1001, content_type="image/jpeg")
    with pytest.raises(PhotoError, match="^照片超过"):
        read_upload(upload)
    assert upload.tell() == 0
    small = SimpleUploadedFile("ok.jpg", b"abc", content_type="image/jpeg")
    assert read_upload(small) == b"abc"


def test_decompression_bombs_refused():
    # 48 megapixels of one colour compress to a few kilobytes
    big = png_bytes(Image.new("1", (8000, 6000), 1))
    assert len(big) < 1024 * 1024
    with pytest.raises(PhotoError, match="像素过大"):
        process_photo(big)
    # a header claiming 900 megapixels (beyond Pillow's own bomb limit)
    with pytest.raises(PhotoError, match="像素过大"):
        process_photo(bomb_png_header())


def test_pixel_limit_is_a_setting(settings):
    settings.WENMING_PHOTO_MAX_PIXELS = 100 * 100
    with pytest.raises(PhotoError, match="像素过大"):
        process_photo(png_bytes(Image.new("RGB", (101, 100))))
    assert process_photo(png_bytes(Image.new("RGB", (100, 100)))).width == 100


# --- storing --------------------------------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.mark.django_db
@pytest.mark.parametrize("make, filename, message", REFUSED.values(), ids=REFUSED.keys())
def test_refusal_stores_nothing(media, make, filename, message):
    with pytest.raises(PhotoError, match=message):
        photo_create(actor=None, data=make(), filename=filename)
    assert stored_files(media) == []
    assert Photo.objects.count() == 0


def test_photo_create_stores_clean_files_under_random_names(media, personas, org):
    handler = personas["handler_street_a1"]
    data = camera_jpeg()
    photo = photo_create(actor=handler, data=data, filename="我家门口 IMG_0001.JPG", unit=org["street_a1"])

    photo.refresh_from_db()
    assert photo.uploaded_by == handler and photo.unit == org["street_a1"]
    assert (photo.width, photo.height) == (200, 400)
    assert photo.taken_at == datetime(2026, 3, 15, 9, 30, tzinfo=SHANGHAI)
    assert (photo.latitude, photo.longitude) == (Decimal("30.260000"), Decimal("120.150000"))
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.is_public is False
    assert Photo.objects.filter(sha256=photo.sha256).get() == photo

    files = stored_files(media)
    assert len(files) == 2
    for name in (photo.image.name, photo.thumbnail.name):
        assert name.startswith("photos/") and name.endswith(".jpg")
        assert "IMG_0001" not in name and "我家" not in name
        assert (media / name).is_file()
    assert photo.image.name != photo.thumbnail.name
    assert len(reopen((media / photo.image.name).read_bytes()).getexif()) == 0
    assert reopen((media / photo.thumbnail.name).read_bytes()).size == (160, 320)

    again = photo_create(actor=handler, data=data, filename="我家门口 IMG_0001.JPG", unit=org["street_a1"])
    assert again.image.name != photo.image.name  # same name from the user, different files


def test_photo_create_stores_an_already_processed_photo_without_processing_it_again(media, personas, monkeypatch):
    data = camera_jpeg()
    processed = process_photo(data, filename="IMG_0001.JPG")

    def not_again(*args, **kwargs):
        raise AssertionError("processed a second time")

    monkeypatch.setattr("wenming.core.services_photos.process_photo", not_again)
    photo = photo_create(actor=personas["handler_street_a1"], processed=processed)
    photo.refresh_from_db()
    assert (photo.width, photo.height, photo.sha256) == (200, 400, hashlib.sha256(data).hexdigest())
    assert photo.taken_at == datetime(2026, 3, 15, 9, 30, tzinfo=SHANGHAI)
    assert (media / photo.image.name).read_bytes() == processed.image
    assert (media / photo.thumbnail.name).read_bytes() == processed.thumb


def test_failed_save_removes_its_files(media, personas, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photo, "save", broken_save)
    with pytest.raises(RuntimeError):
        photo_create(actor=personas["handler_street_a1"], data=camera_jpeg())
    assert stored_files(media) == []


@pytest.mark.django_db(transaction=True)
def test_photos_stored_in_a_transaction_that_rolls_back_leave_no_files(media, personas):
    from django.db import transaction

    from wenming.core.services_photos import files_removed_on_failure

    with pytest.raises(RuntimeError), files_removed_on_failure() as stored, transaction.atomic():
        stored.append(photo_create(actor=personas["handler_street_a1"], data=camera_jpeg()))
        stored.append(photo_create(actor=personas["handler_street_a1"], data=alpha_png()))
        assert len(stored_files(media)) == 4
        raise RuntimeError("a later write failed")
    assert stored_files(media) == [] and Photo.objects.count() == 0
    with files_removed_on_failure() as stored, transaction.atomic():
        stored.append(photo_create(actor=personas["handler_street_a1"], data=camera_jpeg()))
    assert len(stored_files(media)) == 2 and Photo.objects.count() == 1


def test_anonymous_actor_allowed(media, db):
    from django.contrib.auth.models import AnonymousUser

    photo = photo_create(actor=AnonymousUser(), data=alpha_png())
    assert photo.uploaded_by is None and photo.unit is None


def test_photos_publish(media, personas):
    first = photo_create(actor=personas["handler_street_a1"], data=camera_jpeg())
    second = photo_create(actor=personas["handler_street_a1"], data=alpha_png())
    photos_publish(photos=[first])
    assert first.is_public
    assert Photo.objects.get(pk=first.pk).is_public
    assert not Photo.objects.get(pk=second.pk).is_public
    photos_publish(photos=Photo.objects.filter(pk=second.pk))
    assert Photo.objects.filter(is_public=True).count() == 2
    photos_publish(photos=[])


# --- serving --------------------------------------------------------------------------------------------

@pytest.fixture
def street_photo(media, personas, org):
    """A private photo of street A1, uploaded by its handler."""
    return photo_create(actor=personas["handler_street_a1"], data=camera_jpeg(), unit=org["street_a1"])


def fetch(client, photo, variant="full"):
    name = "photo" if variant == "full" else "photo_thumb"
    response = client.get(reverse(name, args=[photo.pk]))
    # consuming the stream closes the file (the test client closes the response at its end;
    # calling response.close() here would fire request_finished and drop the DB connection)
    body = b"".join(response.streaming_content) if response.status_code == 200 else response.content
    return response, body


def assert_safe_jpeg(response, photo):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_urls():
    assert reverse("photo", args=[7]) == "/photos/7/"
    assert reverse("photo_thumb", args=[7]) == "/photos/7/thumb/"


def test_anonymous_gets_404_for_private_photo(street_photo, client):
    response, _ = fetch(client, street_photo)
    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")
    response, _ = fetch(client, street_photo, "thumb")
    assert response.status_code == 404


def test_uploader_sees_photo_and_thumbnail(street_photo, login, media):
    client = login("handler_street_a1")
    response, body = fetch(client, street_photo)
    assert_safe_jpeg(response, street_photo)
    assert response["Cache-Control"] == "private, max-age=3600"
    assert body == (media / street_photo.image.name).read_bytes()

    response, body = fetch(client, street_photo, "thumb")
    assert_safe_jpeg(response, street_photo)
    assert body == (media / street_photo.thumbnail.name).read_bytes()
    assert reopen(body).size == (160, 320)


@pytest.mark.parametrize("username", ["office_city", "office_district_a"])
def test_offices_above_the_unit_see_it(street_photo, login, username):
    response, _ = fetch(login(username), street_photo)
    assert_safe_jpeg(response, street_photo)


def test_unit_scope_without_being_uploader(media, personas, org, login):
    photo = photo_create(actor=personas["office_city"], data=camera_jpeg(), unit=org["street_a1"])
    response, _ = fetch(login("handler_street_a1"), photo)  # his own unit
    assert response.status_code == 200
    patron_photo = photo_create(actor=personas["office_city"], data=camera_jpeg(), unit=org["street_b1"])
    response, _ = fetch(login("leader"), patron_photo)  # 包保 street B1
    assert response.status_code == 200


@pytest.mark.parametrize("username", ["handler_street_a2", "citizen", "outsider", "grid_worker"])
def test_outside_the_scope_gets_404_and_is_audited(street_photo, login, username):
    response, _ = fetch(login(username), street_photo)
    assert response.status_code == 404
    event = AuditEvent.objects.filter(action="access.refused").first()
    assert event is not None and event.actor_username == username
    assert event.target.startswith(f"core.photo:{street_photo.pk}")


def test_photo_without_unit_only_for_uploader(media, personas, login):
    photo = photo_create(actor=personas["citizen"], data=alpha_png())
    assert fetch(login("citizen"), photo)[0].status_code == 200
    assert fetch(login("office_city"), photo)[0].status_code == 404


def test_public_photo_for_anyone(street_photo, client, login):
    photos_publish(photos=[street_photo])
    response, body = fetch(client, street_photo)
    assert_safe_jpeg(response, street_photo)
    assert response["Cache-Control"] == "public, max-age=3600"
    assert reopen(body).format == "JPEG"
    assert fetch(client, street_photo, "thumb")[0].status_code == 200
    assert fetch(login("handler_street_a2"), street_photo)[0].status_code == 200


def test_missing_photo_and_methods(street_photo, client, login):
    assert client.get(reverse("photo", args=[street_photo.pk + 1000])).status_code == 404
    assert login("office_city").get(reverse("photo", args=[street_photo.pk + 1000])).status_code == 404
    office = login("office_city")
    assert office.post(reverse("photo", args=[street_photo.pk])).status_code == 405
    head = office.head(reverse("photo", args=[street_photo.pk]))
    assert head.status_code == 200 and head["Content-Type"] == "image/jpeg"
    b"".join(head.streaming_content)


def test_missing_file_is_404_not_500(street_photo, login, media):
    (media / street_photo.image.name).unlink()
    assert fetch(login("office_city"), street_photo)[0].status_code == 404
