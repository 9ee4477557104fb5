"""The help centre (/help/): search in both languages, the fallback language, safe text,
the settings' numbers in the articles, and staff editing in the admin."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from aftersales.models import Kind, Reason
from guidance.models import Article
from guidance.text import render
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_in(language: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def titles(response) -> list[str]:
    return re.findall(
        r'<li class="article-card"><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )


def test_every_kind_and_reason_has_a_published_article_in_both_languages(articles):
    assert set(articles.values_list("topic", flat=True)) == {*Kind.values, *Reason.values}
    for article in articles:
        assert article.published
        assert (
            article.title_en and article.title_zh_hans and article.body_en and article.body_zh_hans
        )


def test_the_index_lists_every_article_and_the_ways_to_more_help():
    response = client_in("en").get("/help/")

    assert response.status_code == 200
    assert len(titles(response)) == len(Kind) + len(Reason)
    html = response.content.decode()
    assert 'href="/help/contact/new/"' in html and "Contact customer service" in html
    # a call back is asked about one request, from its page: the index says where
    assert "Ask for a call back" in html and "“Talk to the platform”" in html
    assert 'href="/help/deadlines/"' in html


def test_search_in_english_finds_the_articles_that_mention_the_word_ignoring_case():
    response = client_in("en").get("/help/", {"q": "TRACKING page"})

    found = titles(response)
    assert "Not received" in found
    assert "Exchange: the same item again, or another size or colour" not in found
    assert "matches “TRACKING page”" in text(response) or "match “TRACKING page”" in text(response)


def test_search_in_chinese_reads_the_chinese_text():
    response = client_in("zh-hans").get("/help/", {"q": "快递柜"})

    assert titles(response) == ["未收到货"]


def test_search_reads_the_readers_language_only():
    # "tracking" is English: a Chinese reader's articles do not contain it
    assert titles(client_in("zh-hans").get("/help/", {"q": "tracking"})) == []
    assert titles(client_in("en").get("/help/", {"q": "快递柜"})) == []


def test_a_search_that_finds_nothing_says_so():
    response = client_in("en").get("/help/", {"q": "xylophone"})

    assert titles(response) == []
    assert "No article matches" in text(response)


def test_an_article_not_written_in_the_readers_language_falls_back_to_the_other(articles):
    article = articles.get(topic=Reason.MISSING_PARTS)
    article.title_en = article.body_en = ""
    article.save()

    response = client_in("en").get(f"/help/guide/{article.slug}/")

    assert "少件、缺配件" in text(response)
    assert "not written in your language yet" in text(response)
    assert 'lang="zh-hans"' in response.content.decode()
    # and the English search finds it by the text the reader is shown
    assert titles(client_in("en").get("/help/", {"q": "螺丝包"})) == ["少件、缺配件"]


def test_an_article_shows_the_windows_from_the_settings(settings, articles):
    settings.AFTERSALES_WINDOWS = {**settings.AFTERSALES_WINDOWS, "no_reason_return_days": 10}

    page = text(client_in("en").get("/help/guide/changed-my-mind/"))

    assert "within 10 days of delivery" in page
    assert "within 7 days" not in page


def test_an_article_in_chinese_shows_the_numbers_in_chinese():
    page = text(client_in("zh-hans").get("/help/guide/return-and-refund/"))

    assert "签收后7天内" in page
    assert "请在7天内寄出" in page  # {buyer_ship_return}


def test_typed_markup_is_shown_as_text_never_run():
    html = render(
        '## <b>Title</b>\nHello <script>alert("x")</script>\n- <img src=x onerror=alert(1)>'
    )

    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert html.startswith("<h2>&lt;b&gt;Title")
    assert "<ul><li>&lt;img" in html


def test_an_unknown_placeholder_is_left_as_typed():
    with translation.override("en"):
        assert "{no_such_thing}" in render("See {no_such_thing} and {buyer_ship_return}.")
        assert "7 days" in render("{buyer_ship_return}")


def test_an_unpublished_article_is_hidden_but_staff_may_preview_it(articles, arbitrator):
    article = articles.get(topic=Kind.REPAIR)
    article.published = False
    article.save()

    assert client_in("en").get(f"/help/guide/{article.slug}/").status_code == 404
    assert article.title_en not in titles(client_in("en").get("/help/"))
    staff = client_in("en")
    staff.force_login(arbitrator)
    assert "Not published" in text(staff.get(f"/help/guide/{article.slug}/"))


def test_a_kind_or_reason_leads_to_its_article():
    response = client_in("en").get("/help/guide/topic/wrong_item/")

    assert response.status_code == 302
    assert response["Location"] == "/help/guide/wrong-item/"
    assert client_in("en").get("/help/guide/topic/nonsense/").status_code == 404


def test_the_apply_form_links_each_reasons_guidance_to_its_article(client, item, buyer):
    client.force_login(buyer)

    html = client.get(f"/items/{item.pk}/apply/?kind=return_refund").content.decode()

    assert 'href="/help/guide/topic/quality_problem/"' in html
    assert 'href="/help/guide/topic/changed_mind/"' in html


# --- editing in the admin ---------------------------------------------------------------------


def support_agent():
    user = UserFactory(username="support-agent", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


def edit_form(article: Article, **changes) -> dict:
    fields = {
        "topic": article.topic,
        "slug": article.slug,
        "published": "on" if article.published else "",
        "title_zh_hans": article.title_zh_hans,
        "title_en": article.title_en,
        "body_zh_hans": article.body_zh_hans,
        "body_en": article.body_en,
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v != ""}


def test_support_staff_edit_an_article_in_the_admin_and_readers_see_it(articles):
    article = articles.get(topic=Reason.WRONG_ITEM)
    staff = Client()
    staff.force_login(support_agent())
    url = f"/admin/guidance/article/{article.pk}/change/"

    assert staff.get(url).status_code == 200
    response = staff.post(
        url, edit_form(article, body_en="Photograph the label.\n\n- Keep it unused.")
    )

    assert response.status_code == 302
    page = client_in("en").get("/help/guide/wrong-item/").content.decode()
    assert "<p>Photograph the label.</p>" in page and "<li>Keep it unused.</li>" in page


def test_support_staff_may_not_delete_an_article(articles):
    staff = Client()
    staff.force_login(support_agent())
    article = articles.first()

    assert staff.get(f"/admin/guidance/article/{article.pk}/delete/").status_code == 403


def test_an_arbitrator_reads_articles_but_may_not_change_them(articles, arbitrator):
    staff = Client()
    staff.force_login(arbitrator)
    article = articles.get(topic=Reason.WRONG_ITEM)
    url = f"/admin/guidance/article/{article.pk}/change/"

    assert staff.get(url).status_code == 200
    staff.post(url, edit_form(article, body_en="Changed."))

    article.refresh_from_db()
    assert article.body_en != "Changed."


def test_a_buyer_cannot_edit_articles(articles, buyer):
    client = Client()
    client.force_login(buyer)
    article = articles.get(topic=Reason.WRONG_ITEM)
    url = f"/admin/guidance/article/{article.pk}/change/"

    response = client.post(url, edit_form(article, body_en="Changed."))

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    article.refresh_from_db()
    assert article.body_en != "Changed."


def test_an_article_needs_a_title_in_one_language_at_least(articles):
    staff = Client()
    staff.force_login(support_agent())
    article = articles.get(topic=Reason.WRONG_ITEM)

    response = staff.post(
        f"/admin/guidance/article/{article.pk}/change/",
        edit_form(article, title_en="", title_zh_hans=""),
    )

    assert response.status_code == 200  # the form again, with the error
    article.refresh_from_db()
    assert article.title_en


# --- the deadline table ------------------------------------------------------------------------


def test_the_deadline_table_is_public_and_lists_every_automatic_step():
    page = text(client_in("en").get("/help/deadlines/"))

    assert "approved automatically" in page
    assert "refunded automatically" in page
    assert "36 hours" in page and "24 hours" in page


def test_changing_a_deadline_setting_changes_the_table(settings):
    settings.AFTERSALES_DEADLINES = {
        **settings.AFTERSALES_DEADLINES,
        "buyer_ship_return": timedelta(days=9),
    }

    html = client_in("en").get("/help/deadlines/").content.decode()

    row = re.search(
        r'<tr data-action="close_for_timeout" data-state="awaiting_return">(.*?)</tr>', html, re.S
    )
    assert row and "9 days" in row.group(1)


def test_every_due_action_the_table_lists_is_one_the_sweep_takes_and_none_is_missing():
    from aftersales.sweep import SYSTEM_ACTIONS, SYSTEM_STEPS
    from guidance.deadlines import table

    listed = {row.action for row in table()}

    assert listed <= set(SYSTEM_STEPS) and listed <= set(SYSTEM_ACTIONS)
    assert listed == set(SYSTEM_STEPS)


def test_the_table_says_a_case_only_where_it_changes_the_deadline():
    from guidance.deadlines import table

    rows = {(row.state, row.case.label, row.kinds): row for row in table()}
    not_shipped = [r for r in rows.values() if r.case.shipped is False]

    assert len(not_shipped) == 1
    assert not_shipped[0].kinds == (Kind.REFUND_ONLY,)
    assert not_shipped[0].limit == timedelta(hours=24)
    # a refund-only request never waits for a parcel
    assert all(
        Kind.REFUND_ONLY not in r.kinds for r in rows.values() if r.state == "return_shipped"
    )


def test_a_paid_repair_changes_only_the_quote_and_its_answer():
    """The fee's quote lapses while the buyer answers it; a rejected paid repair or one
    waiting for its parcel closes like any other request (``if_nobody_acts``)."""
    from guidance.deadlines import table

    with translation.override("en"):
        paid = [row for row in table() if row.case.paid_repair]

    assert [row.state for row in paid] == ["submitted", "negotiating"]
    assert "fee" in paid[1].if_passes
