"""``./manage.py import_orders FILE``: orders from the marketplace's order system.

    ./manage.py import_orders orders.jsonl             # JSON lines: one order per line
    ./manage.py import_orders orders.csv               # CSV: one item per line
    ./manage.py import_orders - --format jsonl < feed  # from standard input
    ./manage.py import_orders orders.csv --check       # check everything, write nothing

The format and the rules are in :mod:`orders.importing`. It prints a line for every refused
order (file line, order number, why) and a count of each outcome, and exits with 1 when any
order was refused (the others are written).
"""

import sys
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from orders.importing import UnreadableFile, import_orders, read_orders

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}


class Command(BaseCommand):
    help = "Import orders from the order system (JSON lines or CSV), idempotent by order number."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the file, or - for standard input")
        parser.add_argument(
            "--format", choices=["jsonl", "csv"], help="default: from the file's extension"
        )
        parser.add_argument(
            "--check", action="store_true", help="check every order and write nothing"
        )

    def handle(self, *args, file: str, format: str | None, check: bool, **options):
        file_format = format or FORMATS.get(Path(file).suffix.lower())
        if file_format is None:
            raise CommandError(_("Say the file's format: --format=jsonl or --format=csv."))
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        try:
            outcomes = import_orders(read_orders(text, file_format), check_only=check)
        except UnreadableFile as error:
            raise CommandError(str(error)) from error
        for outcome in outcomes:
            for error in outcome.errors:
                self.stderr.write(
                    _("line %(line)s, order %(number)s: %(error)s")
                    % {"line": outcome.line, "number": outcome.number or "?", "error": error}
                )
        counts = Counter(outcome.status for outcome in outcomes)
        summary = _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(refused)s refused"
        ) % {name: counts[name] for name in ("created", "updated", "unchanged", "refused")}
        self.stdout.write(summary + (_(" (checked only: nothing written)") if check else ""))
        if counts["refused"]:
            raise CommandError(
                _("Some orders would be refused.")
                if check
                else _("Some orders were refused; the others were written."),
                returncode=1,
            )
