import pytest

from guidance.articles import seed_articles
from guidance.models import Article


@pytest.fixture(autouse=True)
def articles(db):
    """The guide's articles, as the data migration seeds them (again, after a test that
    emptied the database)."""
    seed_articles(Article)
    return Article.objects.all()
