"""An article's text as a page shows it: the platform's numbers filled in, then a tiny markup.

Staff type plain text in the admin. Nothing they type becomes HTML: every line is escaped, and
only three shapes are recognised (a blank line between paragraphs, ``## `` a heading, ``- `` a
list item). Placeholders in braces are the platform's windows (``{no_reason_days}``) and the
deadlines the sweep enforces, by their name in ``settings.AFTERSALES_DEADLINES``
(``{buyer_ship_return}`` reads "7 days"), so changing a setting changes every article.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import npgettext

PLACEHOLDER = re.compile(r"\{(\w+)\}")
WINDOW_PLACEHOLDERS = {
    "no_reason_days": "no_reason_return_days",
    "seller_fault_days": "seller_fault_return_days",
    "warranty_days": "warranty_days",
}


def duration(limit: timedelta) -> str:
    """A deadline's length as a person says it: whole days from two days up in days ("5 days",
    "5天"), anything else in hours ("24 hours", "36 hours")."""
    if limit >= timedelta(days=2) and limit % timedelta(days=1) == timedelta(0):
        days = limit.days
        return npgettext("time left", "%(num)d day", "%(num)d days", days) % {"num": days}
    hours = max(1, round(limit / timedelta(hours=1)))
    return npgettext("time left", "%(num)d hour", "%(num)d hours", hours) % {"num": hours}


def values() -> dict[str, str]:
    """What each placeholder reads, in the active language, from the settings as they are."""
    windows = settings.AFTERSALES_WINDOWS
    found = {name: str(windows[key]) for name, key in WINDOW_PLACEHOLDERS.items()}
    found.update({name: duration(limit) for name, limit in settings.AFTERSALES_DEADLINES.items()})
    return found


def fill(text: str) -> str:
    """Placeholders replaced; an unknown one is left as typed, so a typo shows on the page."""
    known = values()
    return PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), text)


def render(text: str) -> SafeString:
    """The article's body as HTML: escaped text in paragraphs, headings and lists only."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def close() -> None:
        if paragraph:
            html.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in fill(text).splitlines():
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("## "):
            close()
            html.append(f"<h2>{escape(line[3:].strip())}</h2>")
        elif line.startswith("- "):
            if paragraph:
                close()
            items.append(escape(line[2:].strip()))
        else:
            if items:
                close()
            paragraph.append(escape(line))
    close()
    return mark_safe("\n".join(html))  # every piece of text above went through escape()


def excerpt(text: str, length: int = 140) -> str:
    """The start of an article for the list: the first paragraph that is not a heading."""
    for line in fill(text).splitlines():
        line = line.strip().removeprefix("- ")
        if line and not line.startswith("## "):
            return line if len(line) <= length else line[: length - 1].rstrip() + "…"
    return ""
