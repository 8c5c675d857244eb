"""Finance reports read from the ledger and the supplier payables, never from typed numbers.

One module per family:

* `settlement`: the settlement lines (written once in SQL for PostgreSQL's COPY and once in
  Python, the reference builder) and the settlement page's grouping of them;
* `reconciliation`: wallets, gateway top-ups and payouts checked against the ledger;
* `statements`: a company's wallet postings for a month, with opening and closing balances;
* `dashboard`: GMV, fee revenue and FX margin by month and currency, and the top lists;
* `periods`: the day ranges and months the reports cover.

The names other code uses are re-exported here (`from payments import reports`).
"""

from payments.reports.dashboard import Dashboard, dashboard
from payments.reports.periods import month_bounds, period_bounds
from payments.reports.reconciliation import Check, Reconciliation, reconciliation
from payments.reports.settlement import (
    SETTLEMENT_CHUNK_ROWS,
    SETTLEMENT_COLUMNS,
    SETTLEMENT_KINDS,
    SETTLEMENT_PAGE_ORDERS,
    OrderSettlement,
    SettlementReport,
    settlement_line_count,
    settlement_payables,
    settlement_report,
    settlement_rows,
    settlement_transactions,
    settlement_transactions_sql,
)
from payments.reports.statements import StatementSection, merchant_statement, statement_months

__all__ = [
    "SETTLEMENT_CHUNK_ROWS",
    "SETTLEMENT_COLUMNS",
    "SETTLEMENT_KINDS",
    "SETTLEMENT_PAGE_ORDERS",
    "Check",
    "Dashboard",
    "OrderSettlement",
    "Reconciliation",
    "SettlementReport",
    "StatementSection",
    "dashboard",
    "merchant_statement",
    "month_bounds",
    "period_bounds",
    "reconciliation",
    "settlement_line_count",
    "settlement_payables",
    "settlement_report",
    "settlement_rows",
    "settlement_transactions",
    "settlement_transactions_sql",
    "statement_months",
]
