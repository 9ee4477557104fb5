"""A small trend chart drawn on the server as SVG: no script, no CDN."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .selectors import WeekPoint

WIDTH, HEIGHT, PAD = 600, 180, 24


def trend_svg(points: list[WeekPoint]) -> SafeString:
    """Bars: requests filed per week. Line: average stars per week (0–5, right scale)."""
    if not any(p.requests or p.stars is not None for p in points):
        return format_html("<p class='muted'>{}</p>", _("No after-sales activity yet."))
    step = (WIDTH - 2 * PAD) / len(points)
    most = max(p.requests for p in points) or 1
    usable = HEIGHT - 2 * PAD
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>',
        (
            (
                f"{PAD + i * step + step * 0.15:.1f}",
                f"{HEIGHT - PAD - usable * p.requests / most:.1f}",
                f"{step * 0.7:.1f}",
                f"{usable * p.requests / most:.1f}",
                p.week.strftime("%m-%d"),
                p.requests,
            )
            for i, p in enumerate(points)
        ),
    )
    line = " ".join(
        f"{PAD + i * step + step / 2:.1f},{HEIGHT - PAD - usable * p.stars / 5:.1f}"
        for i, p in enumerate(points)
        if p.stars is not None
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" class="label">{}</text>',
        (
            (f"{PAD + i * step + step / 2:.1f}", HEIGHT - 6, p.week.strftime("%m-%d"))
            for i, p in enumerate(points)
        ),
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" class="trend" role="img" aria-label="{}">{}{}{}</svg>'
        '<p class="legend muted"><span class="key bar"></span>{} '
        '<span class="key line"></span>{}</p>',
        WIDTH,
        HEIGHT,
        _("After-sales trend by week"),
        bars,
        format_html('<polyline points="{}" class="line"/>', line) if line else "",
        labels,
        _("requests per week"),
        _("average stars (0–5)"),
    )
