"""Evidence uploads (photos and videos): checked and prepared before they are stored.

SPEC: evidence one side uploads is shown to the other side (buyer to seller, seller to buyer,
both to the platform), so it must be safe to show:

* Only real images are stored. A file is judged by its content, never by its name or the
  content type the browser claims. Every photo is decoded and re-encoded as a fresh JPEG, so
  nothing the upload carried besides its pixels (scripts, HTML, polyglot payloads) is kept.
* EXIF, GPS position, comments, ICC and XMP data are stripped by that re-encoding.
* Decompression bombs (small files that claim an enormous number of pixels) are refused
  before their pixels are decoded.

Videos are not re-encoded: they are accepted only with an MP4, QuickTime or WebM signature,
kept byte for byte and stored under the content type that signature implies.

These are pure functions over Django files (``UploadedFile`` from ``request.FILES``, or any
file object wrapped in ``django.core.files.File``): nothing here touches the database, and
storage names are fresh UUIDs, never the uploaded names.
"""

import io
import warnings
from dataclasses import dataclass
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps

PHOTO = "photo"
VIDEO = "video"

# Pillow decides the format from the content; only these decoders are tried.
_PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_JPEG_QUALITY = 85
_ORIGINAL_NAME_MAX_LENGTH = 200
_SNIFF_BYTES = 64
# The EBML header every WebM (and Matroska) file starts with.
_WEBM_SIGNATURE = b"\x1a\x45\xdf\xa3"
# ISO media files ("ftyp" box) with these brands are still images (HEIF/HEIC, AVIF), not videos.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
)


@dataclass(frozen=True)
class PreparedFile:
    media_type: str  # PHOTO or VIDEO
    content: ContentFile  # what gets stored: a re-encoded JPEG, or the video's own bytes
    thumbnail: ContentFile | None  # JPEG thumbnail for photos, None for videos
    original_name: str  # the uploaded name without any path, for display only
    content_type: str
    size: int  # bytes of ``content``


def prepare_photo(upload: File) -> PreparedFile:
    """Decode ``upload`` as a photo and re-encode it, upright and without metadata, as JPEG.

    Raises ``ValidationError`` if it is empty, too large, too many pixels, or not a JPEG, PNG,
    WebP or GIF image that decodes completely (only a GIF's first frame is kept).
    """
    name = _original_name(upload)
    _check_size(upload, name, settings.EVIDENCE["MAX_PHOTO_BYTES"])
    max_edge = settings.EVIDENCE["PHOTO_MAX_EDGE"]
    thumbnail_edge = settings.EVIDENCE["THUMBNAIL_EDGE"]
    photo = _decode_photo(upload, name)
    photo.thumbnail((max_edge, max_edge))  # shrinks only, keeping the aspect ratio
    thumbnail = photo.copy()
    thumbnail.thumbnail((thumbnail_edge, thumbnail_edge))
    stem = uuid4().hex
    content = _encode_jpeg(photo, f"{stem}.jpg")
    return PreparedFile(
        media_type=PHOTO,
        content=content,
        thumbnail=_encode_jpeg(thumbnail, f"{stem}_thumb.jpg"),
        original_name=name,
        content_type="image/jpeg",
        size=content.size,
    )


def prepare_video(upload: File) -> PreparedFile:
    """Accept ``upload`` as an MP4, QuickTime or WebM video, keeping its bytes unchanged.

    Raises ``ValidationError`` if it is empty, too large, or has none of those signatures.
    """
    name = _original_name(upload)
    _check_size(upload, name, settings.EVIDENCE["MAX_VIDEO_BYTES"])
    kind = _sniff_video(_head(upload))
    if kind is None:
        raise ValidationError(
            _("“%(name)s” is not a video we accept. Upload an MP4, MOV or WebM file."),
            code="invalid_video",
            params={"name": name},
        )
    extension, content_type = kind
    content = ContentFile(b"".join(upload.chunks()), name=f"{uuid4().hex}.{extension}")
    return PreparedFile(
        media_type=VIDEO,
        content=content,
        thumbnail=None,
        original_name=name,
        content_type=content_type,
        size=content.size,
    )


def prepare_each(
    uploads: list[File], *, max_photos: int | None = None, max_videos: int | None = None
) -> tuple[list[PreparedFile], list[ValidationError]]:
    """Prepare every upload as a photo or a video, in the given order, keeping the good ones.

    Files with a video signature are videos; everything else must be a photo. Too many photos
    or videos (limits from ``settings.EVIDENCE`` unless given) refuse the whole batch before
    any file is decoded. Otherwise each bad file gets its own error and the good ones are
    returned, so a form can keep them while it asks for the others again.
    """
    if max_photos is None:
        max_photos = settings.EVIDENCE["MAX_PHOTOS"]
    if max_videos is None:
        max_videos = settings.EVIDENCE["MAX_VIDEOS"]
    kinds = [VIDEO if _sniff_video(_head(upload)) else PHOTO for upload in uploads]

    count_errors = []
    if kinds.count(PHOTO) > max_photos:
        count_errors.append(_too_many_photos(max_photos))
    if kinds.count(VIDEO) > max_videos:
        count_errors.append(_too_many_videos(max_videos))
    if count_errors:
        return [], count_errors

    prepared, errors = [], []
    for upload, kind in zip(uploads, kinds, strict=True):
        prepare = prepare_video if kind == VIDEO else prepare_photo
        try:
            prepared.append(prepare(upload))
        except ValidationError as error:
            errors.extend(error.error_list)
    return prepared, errors


def prepare_evidence(
    uploads: list[File], *, max_photos: int | None = None, max_videos: int | None = None
) -> list[PreparedFile]:
    """Like :func:`prepare_each`, but all or nothing: any problem raises one
    ``ValidationError`` listing every file's problem."""
    prepared, errors = prepare_each(uploads, max_photos=max_photos, max_videos=max_videos)
    if errors:
        raise ValidationError(errors)
    return prepared


def _original_name(upload: File) -> str:
    # Browsers may send a full path, Windows ones with backslashes.
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:_ORIGINAL_NAME_MAX_LENGTH]


def _check_size(upload: File, name: str, limit: int) -> None:
    if not upload.size:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s."),
            code="too_large",
            params={"name": name, "limit": filesizeformat(limit)},
        )


def _head(upload: File) -> bytes:
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    return head


def _sniff_video(head: bytes) -> tuple[str, str] | None:
    """The (extension, content type) the signature in ``head`` implies, or None."""
    if head.startswith(_WEBM_SIGNATURE):
        return "webm", "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return None
        if brand == b"qt  ":
            return "mov", "video/quicktime"
        return "mp4", "video/mp4"
    return None


def _decode_photo(upload: File, name: str) -> Image.Image:
    """The upload's first frame, fully decoded, upright, flattened to RGB without metadata."""
    upload.seek(0)
    try:
        # Pillow warns about images above its own pixel limit and refuses those above twice
        # that limit: both are decompression bombs.
        with (
            warnings.catch_warnings(action="error", category=Image.DecompressionBombWarning),
            Image.open(upload, formats=_PHOTO_FORMATS) as image,
        ):
            width, height = image.size  # read from the header: no pixels decoded yet
            if width * height > settings.EVIDENCE["MAX_PHOTO_PIXELS"]:
                raise _too_many_pixels(name)
            image.load()
            return _flatten(ImageOps.exif_transpose(image))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise _too_many_pixels(name) from error
    # UnidentifiedImageError (not an image, or not one of our formats) is an OSError, as is
    # a truncated file; corrupt data raises any of these.
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("“%(name)s” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."),
            code="invalid_photo",
            params={"name": name},
        ) from error


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is too large in pixels to process."),
        code="too_many_pixels",
        params={"name": name},
    )


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB copy with transparency composited onto white (JPEG has no alpha)."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(rgba, mask=rgba)
    else:
        flat = image.convert("RGB")
    # Keep only the pixels: the JPEG encoder would otherwise reuse e.g. an uploaded comment.
    flat.info.clear()
    return flat


def _encode_jpeg(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    # No exif=, icc_profile=, xmp= or comment=: the file carries no metadata at all.
    image.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return ContentFile(buffer.getvalue(), name=name)


def _too_many_photos(limit: int) -> ValidationError:
    if limit:
        message = ngettext(
            "You can attach at most %(count)s photo.",
            "You can attach at most %(count)s photos.",
            limit,
        )
    else:
        message = _("You cannot attach photos here.")
    return ValidationError(message, code="too_many_photos", params={"count": limit})


def _too_many_videos(limit: int) -> ValidationError:
    if limit:
        message = ngettext(
            "You can attach at most %(count)s video.",
            "You can attach at most %(count)s videos.",
            limit,
        )
    else:
        message = _("You cannot attach videos here.")
    return ValidationError(message, code="too_many_videos", params={"count": limit})
