"""The Simplified Chinese catalogue (``locale/zh_Hans``) ships complete and compiled.

* every entry of ``django.po`` is translated, none is fuzzy, and each translation keeps the
  placeholders of its source text;
* the committed ``django.mo`` says what ``django.po`` says (CI machines may lack gettext, so
  the compiled file is committed and must not go stale);
* when gettext is installed, every string marked in the source is in the catalogue (someone
  added a string without running ``make messages``);
* pages render in Chinese, with none of the catalogue's English left on them.

Refresh the catalogue after adding strings::

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' \
        --ignore 'tests/*'
    # translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po, then
    .venv/bin/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'
"""

import gettext as stdlib_gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from aftersales.models import Kind, State
from tests.aftersales.factories import request_in
from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parent.parent
LC_MESSAGES = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
LANGUAGE = "zh-hans"


# --- a small PO reader (no extra dependency) --------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 if singular) → text
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def label(self) -> str:
        where = ", ".join(self.references) or f"django.po:{self.line}"
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"{context}{self.msgid!r} ({where})"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """All entries, the header (msgid "") first. Obsolete (``#~``) entries are flagged."""
    entries: list[Entry] = []
    entry: Entry | None = None
    key: tuple[str, int] | None = None

    def start(number: int) -> Entry:
        nonlocal entry
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            entry, key = None, None
            continue
        if line.startswith("#~"):
            start(number).obsolete = True
            continue
        if line.startswith("#,"):
            start(number).flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#:"):
            start(number).references += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        current = start(number)
        if line.startswith('"'):
            assert key is not None, f"django.po:{number}: continuation without a keyword"
            name, index = key
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, getattr(current, name) + _unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            key = ("msgstr", int(match.group(1)))
            current.msgstr[key[1]] = _unquote(value)
        elif keyword == "msgstr":
            key = ("msgstr", 0)
            current.msgstr[0] = _unquote(value)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            key = (keyword, 0)
            setattr(current, keyword, _unquote(value))
        else:
            raise AssertionError(f"django.po:{number}: unexpected line {raw!r}")
    return entries


def catalogue() -> list[Entry]:
    """The translatable entries: no header, no obsolete ones."""
    return [e for e in parse_po(PO) if e.msgid and not e.obsolete]


def header() -> dict[str, str]:
    first = parse_po(PO)[0]
    assert first.msgid == "", "django.po must start with its header"
    lines = [line for line in first.msgstr[0].split("\n") if line]
    return dict(line.split(": ", 1) for line in lines)


# --- placeholders -------------------------------------------------------------------------------

# printf-style as Python formats it: %(name)s, %s, %d, %.2f …; "%%" is a literal percent sign.
PRINTF = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?(?P<type>[a-zA-Z%])")
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
FORMAT_FIELD = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")


def placeholders(text: str) -> Counter:
    found: Counter = Counter()
    for match in PRINTF.finditer(text):
        if match.group("type") == "%":
            continue
        name = match.group("name")
        found[f"%({name}){match.group('type')}" if name is not None else "%" + match["type"]] += 1
    found.update(f"{{{{ {name} }}}}" for name in TEMPLATE_VARIABLE.findall(text))
    found.update(f"{{{name}}}" for name in FORMAT_FIELD.findall(text))
    return found


def expected_placeholders(entry: Entry) -> set[str]:
    """What every translation of the entry must contain. Chinese has one plural form, used for
    every count, so it needs the placeholders of the singular and of the plural source."""
    names = set(placeholders(entry.msgid))
    if entry.msgid_plural is not None:
        names |= set(placeholders(entry.msgid_plural))
    return names


# --- the catalogue ------------------------------------------------------------------------------


def test_the_header_declares_simplified_chinese():
    fields = header()
    assert fields.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert "fuzzy" not in parse_po(PO)[0].flags, "remove the #, fuzzy flag from the header"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = catalogue()
    assert entries, f"{PO} has no entries: run makemessages"
    untranslated = [
        e.label for e in entries if not e.msgstr or any(not s.strip() for s in e.msgstr.values())
    ]
    fuzzy = [e.label for e in entries if "fuzzy" in e.flags]
    assert not (untranslated or fuzzy), (
        "untranslated in django.po:\n"
        + "\n".join(untranslated)
        + "\nfuzzy (check the guess, then remove the flag):\n"
        + "\n".join(fuzzy)
    )


def test_plural_entries_have_exactly_the_one_chinese_form():
    wrong = [
        f"{e.label}: msgstr{sorted(e.msgstr)}"
        for e in catalogue()
        if e.msgid_plural is not None and sorted(e.msgstr) != [0]
    ]
    assert not wrong, "Chinese has one plural form, msgstr[0] only:\n" + "\n".join(wrong)


def test_translations_keep_the_placeholders():
    wrong = []
    for entry in catalogue():
        expected = expected_placeholders(entry)
        for index, text in entry.msgstr.items():
            if not text:
                continue  # reported by the completeness test
            found = placeholders(text)
            unnamed_expected = placeholders(entry.msgid_plural or entry.msgid)
            if set(found) != expected or any(
                found[p] != unnamed_expected[p] for p in found if not p.startswith("%(")
            ):
                wrong.append(
                    f"{entry.label}\n    msgstr[{index}] {text!r}\n"
                    f"    has {sorted(found)}, needs {sorted(expected)}"
                )
    assert not wrong, "placeholders differ from the source text:\n" + "\n".join(wrong)


def test_translations_are_not_left_in_english():
    """A copy of the source text, or English words left in a translation, means the entry was
    not really translated. Brand and format names ("SKU", "MP4", "EMS") are single words."""
    allowed = {"SKU"}  # the same in Chinese
    english = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
    wrong = [
        f"{e.label} → {text!r}"
        for e in catalogue()
        for text in e.msgstr.values()
        if text
        and e.msgid not in allowed
        and (text == e.msgid or english.search(PRINTF.sub(" ", text)))
    ]
    assert not wrong, "translations still in English:\n" + "\n".join(wrong)


# --- the compiled catalogue ---------------------------------------------------------------------


def _mo_key(entry: Entry, index: int = 0):
    msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
    return (msgid, index) if entry.msgid_plural is not None else msgid


def test_the_compiled_catalogue_is_committed_and_matches_the_po():
    assert MO.exists(), f"{MO} is missing: run compilemessages -l zh_Hans"
    with MO.open("rb") as handle:
        compiled = stdlib_gettext.GNUTranslations(handle)._catalog
    stale = []
    for entry in catalogue():
        if "fuzzy" in entry.flags:
            continue
        for index, text in entry.msgstr.items():
            if text and compiled.get(_mo_key(entry, index)) != text:
                stale.append(f"{entry.label}: .mo has {compiled.get(_mo_key(entry, index))!r}")
    assert not stale, (
        "django.mo is older than django.po; run compilemessages -l zh_Hans:\n" + "\n".join(stale)
    )


def test_django_serves_the_translations():
    entries = catalogue()
    by_msgid = {e.msgid: e.msgstr.get(0) for e in entries if e.msgctxt is None}
    with translation.override(LANGUAGE):
        assert State.SUBMITTED.label == by_msgid["Waiting for the seller"] == "等待卖家处理"
        assert Kind.REFUND_ONLY.label == by_msgid["Refund only"] == "仅退款"
        assert translation.gettext("Sign in") == by_msgid["Sign in"] == "登录"
        wrong = []
        for entry in entries:
            if not entry.msgstr.get(0):
                continue
            if entry.msgid_plural is not None and entry.msgctxt is not None:
                got = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2)
            elif entry.msgid_plural is not None:
                got = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
            elif entry.msgctxt is not None:
                got = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                got = translation.gettext(entry.msgid)
            if got != entry.msgstr[0]:
                wrong.append(
                    f"{entry.label}: Django gives {got!r}, django.po has {entry.msgstr[0]!r}"
                )
    assert not wrong, "django.mo is stale; run compilemessages -l zh_Hans:\n" + "\n".join(wrong)


# --- the catalogue covers the source ------------------------------------------------------------

GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
NOT_SOURCE = (".git", ".venv", "var", "tests", "locale", "node_modules", "test-results")
NOT_SOURCE += ("__pycache__", ".*cache")


def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """Extract the messages afresh (from a copy of the source, so the tree is left alone).

    Needs GNU gettext: skipped locally without it, a failure in CI (REQUIRE_SERVICES=1),
    where .ci/run installs it."""
    if not all(shutil.which(tool) for tool in GETTEXT_TOOLS):
        message = "this test needs GNU gettext (apt-get install gettext)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["VAR_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans"]
        + ["--ignore", ".venv/*", "--ignore", "var/*", "--ignore", "tests/*"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    fresh = parse_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    known = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalogue()}
    missing = [
        e.label for e in fresh if e.msgid and (e.msgctxt, e.msgid, e.msgid_plural) not in known
    ]
    assert not missing, (
        "marked for translation but not in locale/zh_Hans/LC_MESSAGES/django.po (run "
        "makemessages, translate, compilemessages):\n" + "\n".join(missing)
    )


# --- pages in Chinese ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware activates the request's language and leaves it active in the thread."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"(?s)<[^>]+>", " ", html)))


def leftover_english(text: str) -> list[str]:
    """Catalogue sources (of two words or more) that appear untranslated on the page."""
    sources = set()
    for entry in catalogue():
        for source in (entry.msgid, entry.msgid_plural):
            if source and len(source.split()) >= 2:
                # the literal text around the placeholders
                sources.update(
                    part.strip(" .:") for part in PRINTF.split(source)[::3] if part.strip()
                )
    return sorted(s for s in sources if len(s.split()) >= 2 and s in text)


def get_in_chinese(client, url: str):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=LANGUAGE)
    assert response.status_code == 200, url
    assert f'<html lang="{LANGUAGE}">' in response.content.decode()
    return response


@pytest.mark.django_db
def test_the_landing_page_is_in_chinese(client):
    text = visible_text(get_in_chinese(client, reverse("home")))
    for chinese in ("售后服务", "买家中心", "卖家中心", "平台管理", "登录"):
        assert chinese in text
    for english in (
        "After-sales service",
        "Buyer portal",
        "Seller center",
        "Platform administration",
        "Sign in",
        "Returns, refunds, exchanges and repairs",
    ):
        assert english not in text
    assert leftover_english(text) == []


def test_the_language_cookie_also_selects_chinese(client, db):
    client.cookies["django_language"] = LANGUAGE
    response = client.get(reverse("home"))
    assert "售后服务" in visible_text(response)


@pytest.mark.parametrize(
    ("state", "kind", "expected"),
    [
        (State.NEGOTIATING, Kind.RETURN_REFUND, ["等待买家确认方案", "接受方案", "协商历史"]),
        (State.AWAITING_RETURN, Kind.RETURN_REFUND, ["等待买家退货", "快递单号", "我已寄出"]),
        (State.DISPUTED, Kind.RETURN_REFUND, ["平台介入中", "买家", "卖家"]),
        (State.REPAIR_SHIPPED, Kind.REPAIR, ["维修商品已寄回", "确认收货", "卖家检测维修"]),
    ],
)
def test_buyer_pages_are_in_chinese(client, buyer, item, state, kind, expected):
    request = request_in(state, item, kind=kind)
    client.force_login(buyer)
    pages = {
        "my orders": get_in_chinese(client, reverse("home")),
        "my requests": get_in_chinese(client, reverse("buyer:request_list")),
        "request": get_in_chinese(client, reverse("buyer:request_detail", args=[request.pk])),
    }
    texts = {name: visible_text(response) for name, response in pages.items()}
    assert "我的订单" in texts["my orders"]
    assert "我的售后" in texts["my requests"]
    for chinese in expected:
        assert chinese in texts["request"]
    leftovers = {name: found for name, text in texts.items() if (found := leftover_english(text))}
    assert not leftovers, f"English left on the pages: {leftovers}"


def test_the_apply_pages_are_in_chinese(client, buyer, item):
    client.force_login(buyer)
    apply = reverse("buyer:apply", args=[item.pk])
    kinds = visible_text(get_in_chinese(client, apply))
    assert "请选择服务类型" in kinds
    assert "退货退款" in kinds
    form = visible_text(get_in_chinese(client, f"{apply}?kind={Kind.RETURN_REFUND}"))
    for chinese in ("申请原因", "退款金额", "问题描述", "售后指引", "提交申请"):
        assert chinese in form
    assert leftover_english(kinds) == []
    assert leftover_english(form) == []
