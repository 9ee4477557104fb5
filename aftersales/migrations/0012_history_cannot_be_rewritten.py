# The event log and the ledger cannot be rewritten (issue 12): on PostgreSQL a trigger refuses
# UPDATE and DELETE of request events, and of ledger rows every change but their payout status.
# SQLite has no such triggers here; RequestEvent.save()/delete() keep their Python guard.
# The demo loader alone switches the triggers off for its own transaction
# (aftersales.history.history_rewrite_allowed).

from django.db import migrations

# Must match LedgerEntry.PAYOUT_COLUMNS.
PAYOUT_COLUMNS = (
    "status",
    "attempts",
    "last_error",
    "gateway_reference",
    "paid_at",
    "payout_lease_until",
)

KEEP_HISTORY = """
CREATE FUNCTION aftersales_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The demo loader's own transaction (aftersales.history.history_rewrite_allowed).
    IF current_setting('aftersales.allow_history_rewrite', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    -- The columns named as the trigger's arguments may change; nothing else.
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0
       AND (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on %: the after-sales history cannot be rewritten', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Request events never change; of a ledger row only its payout status does.';
END;
$$
"""

FORWARD = [
    KEEP_HISTORY,
    "CREATE TRIGGER aftersales_requestevent_keep_history"
    " BEFORE UPDATE OR DELETE ON aftersales_requestevent"
    " FOR EACH ROW EXECUTE FUNCTION aftersales_keep_history()",
    "CREATE TRIGGER aftersales_ledgerentry_keep_history"
    " BEFORE UPDATE OR DELETE ON aftersales_ledgerentry"
    " FOR EACH ROW EXECUTE FUNCTION aftersales_keep_history({})".format(
        ", ".join(f"'{column}'" for column in PAYOUT_COLUMNS)
    ),
]

REVERSE = [
    "DROP TRIGGER aftersales_ledgerentry_keep_history ON aftersales_ledgerentry",
    "DROP TRIGGER aftersales_requestevent_keep_history ON aftersales_requestevent",
    "DROP FUNCTION aftersales_keep_history()",
]


class PostgreSQLOnly(migrations.RunSQL):
    """SQL for PostgreSQL; nothing elsewhere (SQLite keeps the Python guard)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("aftersales", "0011_notifications_once_payout_leases"),
    ]

    operations = [PostgreSQLOnly(FORWARD, REVERSE)]
