"""A user's language, remembered for what the platform sends them when they are not looking
(e-mails): the language they last chose or signed in with, else the site's default."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from .models import Preferences

LANGUAGES = frozenset(code for code, _ in settings.LANGUAGES)


def language_of(user: AbstractBaseUser) -> str:
    """The language to write to ``user`` in. Reads ``user.preferences`` (select it with the
    user to spare a query)."""
    try:
        return user.preferences.language
    except Preferences.DoesNotExist:
        return settings.LANGUAGE_CODE


def remember_language(*, user: AbstractBaseUser, language: str) -> None:
    """Keep ``language`` for ``user``; a language the site does not offer is ignored."""
    if language not in LANGUAGES or not user.is_authenticated:
        return
    Preferences.objects.update_or_create(user=user, defaults={"language": language})


def remember_language_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: the language the sign-in page was shown in is the one they read."""
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        remember_language(user=user, language=language)
