"""The help centre (售后指导, /help/): the guide's articles and search, one article, and the
published table of deadlines. Open to everyone, signed in or not."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from guidance import deadlines as deadline_table
from guidance.facts import facts_for
from guidance.models import Article
from guidance.selectors import published_articles, search_articles
from guidance.text import excerpt
from guidance.text import render as render_text

MAX_QUERY = 100


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    articles = search_articles(query) if query else published_articles()
    for article in articles:
        article.excerpt = excerpt(article.body)
    return render(
        request,
        "help/index.html",
        {
            "query": query,
            "articles": articles,
            "kinds": [a for a in articles if a.is_kind],
            "reasons": [a for a in articles if not a.is_kind],
        },
    )


def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Article, slug=slug)
    # Staff preview an unpublished article; everyone else finds nothing there.
    if not found.published and not request.user.is_staff:
        raise Http404
    return render(
        request,
        "help/article.html",
        {"article": found, "body": render_text(found.body), "facts": facts_for(found.topic)},
    )


def topic(request: HttpRequest, topic: str) -> HttpResponse:
    """The article on a kind or reason, by its value: how other pages link to the guide without
    reading the article (its address is staff's to change)."""
    found = get_object_or_404(Article.objects.published(), topic=topic)
    return redirect("help:article", slug=found.slug)


def deadlines(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "help/deadlines.html",
        {"rows": deadline_table.table(), "other_limits": deadline_table.other_limits()},
    )
