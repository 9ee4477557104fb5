"""``./manage.py run_deadlines [--now ISO-8601]``: one deadline sweep in the foreground."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from aftersales.sweep import sweep


class Command(BaseCommand):
    help = (
        "Apply every automatic after-sales action that is due, and send the reminders that "
        "are due. With --now, act as if it were that moment (new deadlines count from it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="ISO-8601 time, e.g. 2026-12-01T09:00+08:00 (no offset: Beijing time).",
        )

    def handle(self, *args, now: str | None = None, **options):
        moment = timezone.now() if now is None else self._parse(now)
        result = sweep(now=moment)
        self.stdout.write(f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}: {result}")
        if result.failed:
            self.stderr.write(f"failed requests: {', '.join(map(str, result.failed))}")

    @staticmethod
    def _parse(value: str) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--now must be an ISO-8601 time, not {value!r}") from exc
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
