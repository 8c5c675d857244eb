"""PostgreSQL guards for the ledger, enforced by the database itself:

* a DEFERRABLE INITIALLY DEFERRED constraint trigger: at commit, every ledger transaction that
  received postings sums to zero in each currency;
* a posting's currency is its account's currency;
* postings and ledger transactions are append-only (no UPDATE or DELETE).

The wallet balance CHECK (balance >= 0) is a model constraint and exists on every database.
SQLite has no deferred constraint triggers, so there the services and tests carry these rules.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION payments_check_transaction_balanced() RETURNS trigger AS $$
    DECLARE
        unbalanced record;
    BEGIN
        SELECT currency, SUM(amount) AS total INTO unbalanced
          FROM payments_posting
         WHERE transaction_id = NEW.transaction_id
         GROUP BY currency
        HAVING SUM(amount) <> 0
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger transaction % does not balance in %: %',
                NEW.transaction_id, unbalanced.currency, unbalanced.total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER payments_posting_transaction_balanced
        AFTER INSERT ON payments_posting
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION payments_check_transaction_balanced();
    """,
    """
    CREATE OR REPLACE FUNCTION payments_check_posting_currency() RETURNS trigger AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM payments_account
             WHERE id = NEW.account_id AND currency = NEW.currency
        ) THEN
            RAISE EXCEPTION 'posting currency % differs from its account''s', NEW.currency
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER payments_posting_currency_matches_account
        BEFORE INSERT ON payments_posting
        FOR EACH ROW EXECUTE FUNCTION payments_check_posting_currency();
    """,
    """
    CREATE OR REPLACE FUNCTION payments_forbid_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: record a correcting transaction instead', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER payments_posting_append_only
        BEFORE UPDATE OR DELETE ON payments_posting
        FOR EACH ROW EXECUTE FUNCTION payments_forbid_change();
    """,
    """
    CREATE TRIGGER payments_ledgertransaction_append_only
        BEFORE UPDATE OR DELETE ON payments_ledgertransaction
        FOR EACH ROW EXECUTE FUNCTION payments_forbid_change();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS payments_ledgertransaction_append_only ON payments_ledgertransaction;",
    "DROP TRIGGER IF EXISTS payments_posting_append_only ON payments_posting;",
    "DROP FUNCTION IF EXISTS payments_forbid_change();",
    "DROP TRIGGER IF EXISTS payments_posting_currency_matches_account ON payments_posting;",
    "DROP FUNCTION IF EXISTS payments_check_posting_currency();",
    "DROP TRIGGER IF EXISTS payments_posting_transaction_balanced ON payments_posting;",
    "DROP FUNCTION IF EXISTS payments_check_transaction_balanced();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            # No parameters: the "%" in RAISE formats must reach PostgreSQL as they are.
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_ledger_quotes_fees_topups")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
