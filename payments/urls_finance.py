from django.urls import path

from payments import views_finance as views
from payments import views_statement_pdf

app_name = "finance"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("payables/", views.payables, name="payables"),
    path("payouts/", views.payout_batches, name="payout-batches"),
    path("payouts/<int:pk>/", views.payout_batch, name="payout-batch"),
    path("payouts/<int:pk>/export/", views.payout_batch_export, name="payout-batch-export"),
    path("payouts/<int:pk>/bank.csv", views.payout_batch_bank_csv, name="payout-batch-csv"),
    path("payouts/<int:pk>/paid/", views.payout_batch_mark_paid, name="payout-batch-paid"),
    path("payouts/<int:pk>/cancel/", views.payout_batch_cancel, name="payout-batch-cancel"),
    path(
        "payouts/<int:pk>/lines/<int:line_pk>/remove/",
        views.payout_line_remove,
        name="payout-line-remove",
    ),
    path("settlement/", views.settlement, name="settlement"),
    path("settlement.csv", views.settlement_csv, name="settlement-csv"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("fx-rates/", views.fx_rates, name="fx-rates"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/retry/", views.export_retry, name="export-retry"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
    path("statements/", views.statements, name="statements"),
    path(
        "statements/<int:company_pk>/<int:year>/<int:month>/",
        views.statement,
        name="statement",
    ),
    path(
        "statements/<int:company_pk>/<int:year>/<int:month>.csv",
        views.statement_csv,
        name="statement-csv",
    ),
    # The merchant's own company (owner, buyer and finance roles).
    path("my-statements/", views.my_statements, name="my-statements"),
    path("my-statements/<int:year>/<int:month>/", views.my_statement, name="my-statement"),
    path(
        "my-statements/<int:year>/<int:month>.csv",
        views.my_statement_csv,
        name="my-statement-csv",
    ),
    path(
        "my-statements/<int:year>/<int:month>.pdf",
        views_statement_pdf.my_statement_pdf,
        name="my-statement-pdf",
    ),
    path(
        "statements/<int:company_pk>/<int:year>/<int:month>.pdf",
        views_statement_pdf.statement_pdf,
        name="statement-pdf",
    ),
]
