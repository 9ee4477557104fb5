"""A small trend chart drawn on the server as SVG: no script, no CDN.

Bars are the requests filed each week, read on the left axis; the line is the average stars
each week, read on the right axis (0–5). Both axes carry their values, and a grid line runs
across at each one.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .selectors import WeekPoint

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 30, 12, 22  # room for the axis values
STAR_TICKS = (0, 1, 2, 3, 4, 5)


def count_ticks(most: int) -> list[int]:
    """Whole numbers from 0 to at least ``most``, at most five of them, evenly spaced."""
    step = 1
    while most / step > 4:
        step = next(s for s in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if s > step)
    top = -(-most // step) * step or step
    return list(range(0, top + 1, step))


def trend_svg(points: list[WeekPoint]) -> SafeString:
    """Bars: requests filed per week (left scale). Line: average stars per week (right)."""
    if not any(p.requests or p.stars is not None for p in points):
        return format_html("<p class='muted'>{}</p>", _("No after-sales activity yet."))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / len(points)
    counts = count_ticks(max(p.requests for p in points))
    top = counts[-1]

    def count_y(n: float) -> str:
        return f"{TOP + plot_height * (1 - n / top):.1f}"

    def stars_y(stars: float) -> str:
        return f"{TOP + plot_height * (1 - stars / 5):.1f}"

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis count">{}</text>',
        ((LEFT, WIDTH - RIGHT, count_y(n), count_y(n), LEFT - 6, count_y(n), n) for n in counts),
    )
    star_axis = format_html_join(
        "",
        '<text x="{}" y="{}" class="axis stars">{}★</text>',
        ((WIDTH - RIGHT + 6, stars_y(s), s) for s in STAR_TICKS),
    )
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>',
        (
            (
                f"{LEFT + i * step + step * 0.15:.1f}",
                count_y(p.requests),
                f"{step * 0.7:.1f}",
                f"{plot_height * p.requests / top:.1f}",
                p.week.strftime("%m-%d"),
                p.requests,
            )
            for i, p in enumerate(points)
        ),
    )
    line = " ".join(
        f"{LEFT + i * step + step / 2:.1f},{stars_y(p.stars)}"
        for i, p in enumerate(points)
        if p.stars is not None
    )
    weeks = format_html_join(
        "",
        '<text x="{}" y="{}" class="label">{}</text>',
        (
            (f"{LEFT + i * step + step / 2:.1f}", HEIGHT - 6, p.week.strftime("%m-%d"))
            for i, p in enumerate(points)
        ),
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" class="trend" role="img" aria-label="{}">{}{}{}{}{}</svg>'
        '<p class="legend muted"><span class="key bar"></span>{} '
        '<span class="key line"></span>{}</p>',
        WIDTH,
        HEIGHT,
        _("After-sales trend by week"),
        grid,
        bars,
        format_html('<polyline points="{}" class="line"/>', line) if line else "",
        star_axis,
        weeks,
        _("requests per week (left scale)"),
        _("average stars (right scale, 0–5)"),
    )
