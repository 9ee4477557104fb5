"""售后指导: the help centre's articles, one per request kind and one per reason.

Each article keeps its text in both shipped languages side by side (two columns each), so one
admin form edits a topic in Chinese and English at once and the search reads one row. A reader
gets their language, or the other one where it is left empty. Numbers that come from the rules
(windows, deadlines) are not typed in: the body names them as placeholders (``{no_reason_days}``)
filled in when the page is shown (:mod:`guidance.text`).
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from aftersales.models import Kind, Reason

# One article per kind and per reason; the values of the two lists do not overlap.
TOPICS = [*Kind.choices, *Reason.choices]
TOPIC_ORDER = [value for value, _label in TOPICS]


def reads_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        return self.filter(published=True)


class Article(models.Model):
    slug = models.SlugField(_("address"), max_length=50, unique=True)
    topic = models.CharField(_("topic"), max_length=30, choices=TOPICS, unique=True)
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=120, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    body_zh_hans = models.TextField(
        _("text (Chinese)"),
        blank=True,
        help_text=_(
            "Plain text. A blank line starts a paragraph, a line starting with “## ” is a "
            "heading and one starting with “- ” a list item. Placeholders in braces are filled "
            "in from the platform's settings: the windows {no_reason_days}, {seller_fault_days} "
            "and {warranty_days}, and every deadline by its setting's name, such as "
            "{buyer_ship_return}."
        ),
    )
    body_en = models.TextField(_("text (English)"), blank=True)
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("guidance article")
        verbose_name_plural = _("guidance articles")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=(~models.Q(title_zh_hans="") | ~models.Q(title_en="")),
                name="article_has_a_title",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("help:article", args=[self.slug])

    @property
    def is_kind(self) -> bool:
        return self.topic in Kind.values

    @property
    def title(self) -> str:
        """In the reader's language, or the other where that one is empty."""
        first, other = self._pair("title")
        return first or other

    @property
    def body(self) -> str:
        first, other = self._pair("body")
        return first or other

    @property
    def shown_language(self) -> str:
        """The language the reader actually gets: theirs, or the fallback's."""
        zh = reads_chinese()
        theirs = self.body_zh_hans if zh else self.body_en
        return ("zh-hans" if zh else "en") if theirs else ("en" if zh else "zh-hans")

    def _pair(self, field: str) -> tuple[str, str]:
        zh, en = getattr(self, f"{field}_zh_hans"), getattr(self, f"{field}_en")
        return (zh, en) if reads_chinese() else (en, zh)
