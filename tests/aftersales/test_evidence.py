"""Evidence uploads are judged by content, stripped of metadata and refused when unsafe."""

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageFile

from aftersales.evidence import PHOTO, VIDEO, prepare_evidence, prepare_photo, prepare_video

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 200
MOV = b"\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00qt  " + b"\x00" * 200
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _english():
    """The assertions read the English messages, whatever TEST_LANGUAGE_CODE says."""
    with translation.override("en"):
        yield


def image_bytes(fmt="JPEG", size=(64, 48), mode="RGB", color="red", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def upload(name, data, content_type="application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo_upload(name="photo.jpg", **image_options) -> SimpleUploadedFile:
    return upload(name, image_bytes(**image_options), "image/jpeg")


def png_bomb(width, height) -> bytes:
    """A valid one-colour 1-bit PNG of width x height pixels: tiny on disk, huge decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    idat = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000))
    idat += compressor.compress(row * (height % 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def refusal(prepare, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        prepare(*args, **kwargs)
    return caught.value


def codes(error: ValidationError) -> list[str]:
    return [item.code for item in error.error_list]


def opened(content) -> Image.Image:
    content.seek(0)
    image = Image.open(io.BytesIO(content.read()))
    image.load()
    return image


# --- photos: metadata, orientation, colour, size ------------------------------------------


def test_photo_loses_exif_gps_and_comment_and_gets_a_thumbnail():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 6.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 10.0)
    data = image_bytes(size=(800, 600), exif=exif, comment=b"<?php system($_GET['c']); ?>")
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload really carries GPS
    assert "comment" in source.info

    prepared = prepare_photo(upload("holiday.jpg", data, "image/jpeg"))

    assert prepared.media_type == PHOTO
    assert prepared.content_type == "image/jpeg"
    assert prepared.content.name.endswith(".jpg")
    stored = opened(prepared.content)
    assert stored.format == "JPEG"
    assert stored.size == (800, 600)
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert "comment" not in stored.info
    assert "icc_profile" not in stored.info
    prepared.content.seek(0)
    raw = prepared.content.read()
    assert b"SpyCam" not in raw
    assert b"<?php" not in raw
    assert prepared.size == len(raw)

    thumbnail = opened(prepared.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (320, 240)
    assert not thumbnail.getexif()


def test_exif_orientation_is_applied():
    sideways = Image.new("RGB", (200, 100), "red")
    sideways.paste("blue", (100, 0, 200, 100))  # left half red, right half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown rotated 90° clockwise
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", exif=exif)

    stored = opened(prepare_photo(upload("phone.jpg", buffer.getvalue())).content)

    assert stored.size == (100, 200)
    top, bottom = stored.getpixel((50, 20)), stored.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert not stored.getexif()


def transparent_png(mode: str) -> bytes:
    image = Image.new("RGBA", (40, 40), (255, 0, 0, 255))
    image.paste((255, 0, 0, 0), (0, 0, 20, 40))  # left half transparent red
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def transparent_gif() -> bytes:
    image = Image.new("P", (40, 40), 1)
    image.putpalette([255, 0, 0, 0, 0, 255])  # 0 red, 1 blue
    image.paste(0, (0, 0, 20, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="GIF", transparency=0)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("rgba.png", transparent_png("RGBA")),
        ("la.png", transparent_png("LA")),
        ("palette.gif", transparent_gif()),
    ],
)
def test_transparency_is_composited_on_white(name, data):
    assert Image.open(io.BytesIO(data)).has_transparency_data

    stored = opened(prepare_photo(upload(name, data)).content)

    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert all(channel > 240 for channel in stored.getpixel((5, 20)))  # transparent → white
    assert stored.getpixel((35, 20)) != stored.getpixel((5, 20))  # the opaque half is kept


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_photo_formats_are_accepted_and_reencoded_as_jpeg(fmt):
    prepared = prepare_photo(upload(f"photo.{fmt.lower()}", image_bytes(fmt, color="blue")))

    stored = opened(prepared.content)
    assert stored.format == "JPEG"
    assert stored.size == (64, 48)
    red, green, blue = stored.getpixel((30, 20))
    assert blue > 200 and red < 60 and green < 60


def test_only_the_first_frame_of_an_animated_gif_is_kept():
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("red", "blue", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])

    stored = opened(prepare_photo(upload("anim.gif", buffer.getvalue())).content)

    red, _, blue = stored.getpixel((15, 15))
    assert red > 200 and blue < 60


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_refused(fmt):
    error = refusal(prepare_photo, upload(f"scan.{fmt.lower()}", image_bytes(fmt)))

    assert error.code == "invalid_photo"
    assert f"scan.{fmt.lower()}" in error.messages[0]


def test_large_photo_is_downscaled_to_fit_max_edge():
    prepared = prepare_photo(photo_upload(size=(5000, 1000)))

    assert opened(prepared.content).size == (2048, 410)
    assert opened(prepared.thumbnail).size == (320, 64)


def test_small_photo_is_not_enlarged():
    prepared = prepare_photo(photo_upload(size=(300, 200)))

    assert opened(prepared.content).size == (300, 200)
    assert opened(prepared.thumbnail).size == (300, 200)


def test_max_edge_comes_from_settings(settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "PHOTO_MAX_EDGE": 500, "THUMBNAIL_EDGE": 100}

    prepared = prepare_photo(photo_upload(size=(1000, 800)))

    assert opened(prepared.content).size == (500, 400)
    assert opened(prepared.thumbnail).size == (100, 80)


# --- photos: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"<?php system($_GET['cmd']); ?>",
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        b"GIF89a<?php system($_GET['cmd']); ?>",
        b"\xff\xd8\xff\xe0 not really a jpeg",
    ],
    ids=["php", "html", "gif-header-php", "jpeg-magic-only"],
)
def test_file_named_like_a_jpeg_is_judged_by_content(data):
    error = refusal(prepare_photo, upload("photo.jpg", data, "image/jpeg"))

    assert error.code == "invalid_photo"
    assert "“photo.jpg”" in error.messages[0]


def test_truncated_jpeg_is_refused():
    noise = Image.effect_noise((300, 300), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG")
    data = buffer.getvalue()

    error = refusal(prepare_photo, upload("cut.jpg", data[: len(data) // 2]))

    assert error.code == "invalid_photo"
    assert "cut.jpg" in error.messages[0]


@pytest.mark.parametrize(
    ("width", "height", "max_pixels"),
    [
        (8000, 6000, 40_000_000),  # above MAX_PHOTO_PIXELS
        # With our own limit out of the way, Pillow's guards still refuse:
        (10000, 10000, 10**12),  # its DecompressionBombWarning (above ~89M pixels)
        (20000, 20000, 10**12),  # its DecompressionBombError (above ~179M pixels)
    ],
)
def test_decompression_bomb_is_refused_without_decoding_pixels(
    settings, monkeypatch, width, height, max_pixels
):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_PIXELS": max_pixels}
    data = png_bomb(width, height)
    assert len(data) < 100_000

    def decode(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)

    error = refusal(prepare_photo, upload("bomb.png", data, "image/png"))

    assert error.code == "too_many_pixels"
    assert "bomb.png" in error.messages[0]


def test_pixel_limit_comes_from_settings(settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_PIXELS": 100 * 100}
    prepare_photo(photo_upload(size=(100, 100)))

    error = refusal(prepare_photo, photo_upload("wide.jpg", size=(101, 100)))

    assert error.code == "too_many_pixels"
    assert "wide.jpg" in error.messages[0]


class UnreadableFile(File):
    def read(self, *args):
        raise AssertionError("the file was read before its size was checked")


def test_oversized_photo_is_refused_before_reading(settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_BYTES": 1024}

    error = refusal(prepare_photo, UnreadableFile(io.BytesIO(b"x" * 1025), name="big.jpg"))

    assert error.code == "too_large"
    assert "big.jpg" in error.messages[0]
    assert "1.0" in error.messages[0]  # the limit, 1.0 KB


def test_photo_at_the_size_limit_is_accepted(settings):
    data = image_bytes()
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_BYTES": len(data)}

    assert prepare_photo(upload("exact.jpg", data)).media_type == PHOTO


# --- videos ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "extension"),
    [
        ("clip.mp4", MP4, "video/mp4", "mp4"),
        ("clip.mov", MOV, "video/quicktime", "mov"),
        ("clip.webm", WEBM, "video/webm", "webm"),
        ("clip.bin", MP4, "video/mp4", "mp4"),  # the name does not matter
    ],
)
def test_video_signatures_are_accepted_and_kept_byte_for_byte(name, data, content_type, extension):
    prepared = prepare_video(upload(name, data, "application/octet-stream"))

    assert prepared.media_type == VIDEO
    assert prepared.content_type == content_type
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", prepared.content.name)
    assert prepared.thumbnail is None
    assert prepared.original_name == name
    assert prepared.content.read() == data
    assert prepared.size == len(data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("clip.mp4", bytes(range(256)) * 8),
        ("clip.mp4", image_bytes()),
        ("iphone.mov", HEIC),  # an ISO media file, but a still image
    ],
    ids=["noise", "jpeg", "heic"],
)
def test_non_videos_are_refused_as_videos(name, data):
    error = refusal(prepare_video, upload(name, data, "video/mp4"))

    assert error.code == "invalid_video"
    assert f"“{name}”" in error.messages[0]


def test_oversized_video_is_refused(settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_VIDEO_BYTES": 100}

    error = refusal(prepare_video, upload("long.mp4", MP4))

    assert error.code == "too_large"
    assert "long.mp4" in error.messages[0]


# --- empty files --------------------------------------------------------------------------


@pytest.mark.parametrize("prepare", [prepare_photo, prepare_video])
def test_empty_file_is_refused(prepare):
    error = refusal(prepare, upload("nothing.jpg", b""))

    assert error.code == "empty"
    assert "nothing.jpg" in error.messages[0]


def test_empty_file_is_refused_among_evidence():
    error = refusal(prepare_evidence, [upload("nothing.mp4", b"")])

    assert codes(error) == ["empty"]
    assert "nothing.mp4" in error.messages[0]


# --- prepare_evidence -----------------------------------------------------------------------


def test_evidence_is_sorted_into_photos_and_videos_in_order():
    uploads = [
        photo_upload("a.jpg"),
        upload("b.mp4", MP4),
        upload("c.png", image_bytes("PNG")),
    ]

    prepared = prepare_evidence(uploads)

    assert [item.media_type for item in prepared] == [PHOTO, VIDEO, PHOTO]
    assert [item.original_name for item in prepared] == ["a.jpg", "b.mp4", "c.png"]
    assert [item.content_type for item in prepared] == ["image/jpeg", "video/mp4", "image/jpeg"]


def test_video_named_like_a_photo_is_still_a_video():
    [prepared] = prepare_evidence([upload("photo.jpg", WEBM, "image/jpeg")])

    assert prepared.media_type == VIDEO
    assert prepared.content_type == "video/webm"


def test_nine_photos_are_accepted_ten_are_refused():
    data = image_bytes()

    assert len(prepare_evidence([upload(f"{i}.jpg", data) for i in range(9)])) == 9
    error = refusal(prepare_evidence, [upload(f"{i}.jpg", data) for i in range(10)])

    assert codes(error) == ["too_many_photos"]
    assert error.messages == ["You can attach at most 9 photos."]


def test_two_videos_are_refused():
    error = refusal(prepare_evidence, [upload("a.mp4", MP4), upload("b.webm", WEBM)])

    assert codes(error) == ["too_many_videos"]
    assert error.messages == ["You can attach at most 1 video."]


def test_count_limits_are_checked_before_any_file_is_decoded():
    uploads = [upload("a.mp4", MP4), upload("b.mp4", MP4), upload("bad.jpg", b"not an image")]

    assert codes(refusal(prepare_evidence, uploads)) == ["too_many_videos"]


def test_message_attachment_limits_override_settings():
    assert len(prepare_evidence([photo_upload()], max_photos=1, max_videos=0)) == 1

    too_many = refusal(
        prepare_evidence, [photo_upload("a.jpg"), photo_upload("b.jpg")], max_photos=1, max_videos=0
    )
    assert codes(too_many) == ["too_many_photos"]
    assert too_many.messages == ["You can attach at most 1 photo."]

    video = refusal(prepare_evidence, [upload("clip.mp4", MP4)], max_photos=1, max_videos=0)
    assert codes(video) == ["too_many_videos"]
    assert video.messages == ["You cannot attach videos here."]


def test_every_bad_file_is_reported_at_once(settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_VIDEO_BYTES": 100}
    uploads = [
        photo_upload("good.jpg"),
        upload("notes.jpg", b"just some text", "image/jpeg"),
        upload("empty.png", b""),
        upload("long.mp4", MP4),
        upload("bomb.png", png_bomb(10000, 10000)),
    ]

    error = refusal(prepare_evidence, uploads)

    assert codes(error) == ["invalid_photo", "empty", "too_large", "too_many_pixels"]
    for name, message in zip(
        ["notes.jpg", "empty.png", "long.mp4", "bomb.png"], error.messages, strict=True
    ):
        assert f"“{name}”" in message


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.jpg", "C:\\Users\\buyer\\passwd.jpg", "/tmp/passwd.jpg"]
)
def test_storage_names_never_use_the_uploaded_name(name):
    prepared = prepare_photo(File(io.BytesIO(image_bytes()), name=name))

    assert prepared.original_name == "passwd.jpg"
    match = re.fullmatch(r"([0-9a-f]{32})\.jpg", prepared.content.name)
    assert match
    assert prepared.thumbnail.name == f"{match[1]}_thumb.jpg"


def test_each_upload_gets_its_own_storage_name():
    first, second = prepare_evidence([photo_upload("same.jpg"), photo_upload("same.jpg")])

    assert first.content.name != second.content.name


def test_uploaded_path_is_stripped_from_video_names():
    prepared = prepare_video(File(io.BytesIO(MP4), name="../../uploads/evil.mp4"))

    assert prepared.original_name == "evil.mp4"
    assert "evil" not in prepared.content.name


def test_original_name_is_cut_to_200_characters():
    prepared = prepare_photo(upload("a" * 250 + ".jpg", image_bytes()))

    assert prepared.original_name == "a" * 200
