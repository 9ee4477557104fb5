"""Evidence photos for the demo, drawn with Pillow: phone-camera-like JPEGs of a parcel on a
table with the damage circled in red and a label saying what it shows.

They go through :func:`aftersales.evidence.prepare_photo` like an upload, so they are stored
and thumbnailed (and stripped of metadata) exactly as a buyer's or a seller's photos are.
"""

import io
import random
from datetime import datetime
from functools import cache
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from aftersales.evidence import PreparedFile, prepare_photo
from aftersales.models import Reason

# (Chinese label, fallback when no CJK font is installed)
LABELS = {
    Reason.QUALITY_PROBLEM: ("质量问题", "DEFECT"),
    Reason.NOT_AS_DESCRIBED: ("与描述不符", "NOT AS PICTURED"),
    Reason.WRONG_ITEM: ("发错货", "WRONG ITEM"),
    Reason.DAMAGED_IN_TRANSIT: ("破损", "DAMAGED"),
    Reason.MISSING_PARTS: ("缺少配件", "MISSING PARTS"),
    Reason.NOT_RECEIVED: ("物流截图", "TRACKING"),
    Reason.CHANGED_MIND: ("商品完好", "UNUSED"),
    Reason.WRONG_SIZE: ("尺码标签", "SIZE TAG"),
    "qc": ("出库质检", "QC PASSED"),
    "qc_fail": ("质检不合格", "QC FAILED"),
    "packing": ("打包照片", "PACKED OK"),
}
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@cache
def _fonts() -> tuple[ImageFont.ImageFont, ImageFont.ImageFont, bool]:
    """(label font, small font, whether the label font has Chinese glyphs)."""
    for path in CJK_FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, 44), ImageFont.truetype(path, 22), True
            except OSError:
                continue
    return ImageFont.load_default(size=44), ImageFont.load_default(size=22), False


class Camera:
    """Takes every photo of one load from the load's random generator, so two loads draw the
    same pictures; sellers' photos are numbered across the load (质检照片_001.jpg …)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def photos(
        self, label: str, when: datetime, *, count: int = 1, seller: bool = False
    ) -> list[PreparedFile]:
        return [self.photo(label, when, seller=seller) for _ in range(count)]

    def photo(self, label: str, when: datetime, *, seller: bool) -> PreparedFile:
        """A parcel on a table, a crack circled in red, a label; dated ``when``."""
        rng = self.rng
        self.count += 1
        width, height = 800, 600
        background = tuple(rng.randint(175, 235) for _ in range(3))
        image = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(image)
        draw.rectangle(
            [0, int(height * 0.74), width, height], fill=tuple(c - 45 for c in background)
        )
        x0, y0 = rng.randint(110, 220), rng.randint(110, 170)
        x1, y1 = width - rng.randint(110, 220), int(height * 0.82)
        cardboard = (rng.randint(165, 205), rng.randint(120, 150), rng.randint(70, 100))
        draw.rectangle([x0, y0, x1, y1], fill=cardboard, outline=(70, 50, 30), width=6)
        tape_y = y0 + (y1 - y0) // 3
        draw.rectangle([x0, tape_y - 12, x1, tape_y + 12], fill=(205, 185, 140))
        points = [(rng.randint(x0 + 60, x1 - 60), y0 + 8)]
        for _ in range(5):
            x, y = points[-1]
            points.append((x + rng.randint(-45, 45), min(y + rng.randint(25, 60), y1 - 8)))
        draw.line(points, fill=(45, 30, 20), width=5)
        cx, cy = points[2]
        radius = rng.randint(45, 75)
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius], outline=(220, 30, 30), width=6
        )
        font, small, chinese = _fonts()
        chinese_label, english_label = LABELS[label]
        draw.text(
            (28, 22), chinese_label if chinese else english_label, fill=(200, 20, 20), font=font
        )
        stamp = timezone.localtime(when)
        draw.text((28, height - 44), f"{stamp:%Y-%m-%d %H:%M}", fill=(255, 255, 255), font=small)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88)
        name = f"质检照片_{self.count:03d}.jpg" if seller else f"IMG_{stamp:%Y%m%d_%H%M%S}.jpg"
        return prepare_photo(SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg"))
