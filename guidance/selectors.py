"""Reading the articles: the published ones, in topic order, and the search (/help/?q=)."""

from django.db.models import Q

from .models import TOPIC_ORDER, Article, reads_chinese


def _in_order(articles) -> list[Article]:
    return sorted(articles, key=lambda a: TOPIC_ORDER.index(a.topic))


def published_articles() -> list[Article]:
    return _in_order(Article.objects.published())


def search_articles(query: str) -> list[Article]:
    """Published articles whose title or text contains every word of ``query``, ignoring case,
    in the reader's language (or the other, for an article not written in theirs: the one the
    reader would be shown). A substring match works for Chinese, which has no spaces between
    words, and the same on PostgreSQL and SQLite; a dozen articles need no index."""
    mine, other = ("zh_hans", "en") if reads_chinese() else ("en", "zh_hans")
    articles = Article.objects.published()
    for word in query.split()[:10]:
        articles = articles.filter(
            Q(**{f"title_{mine}__icontains": word})
            | Q(**{f"body_{mine}__icontains": word})
            | (Q(**{f"body_{mine}": ""}) & Q(**{f"body_{other}__icontains": word}))
        )
    return _in_order(articles)
