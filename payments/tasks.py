"""Celery tasks: thin, they call services."""

from celery import shared_task

from payments import services
from procurement.core import replica


@shared_task(
    name="payments.tasks.fx_rates_refresh",
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def fx_rates_refresh() -> int:
    """Fetch today's ECB reference rates (FX_ECB_URL) and append the new ones."""
    return services.fx_rates_refresh_from_ecb()


@shared_task(name="payments.tasks.top_ups_expire")
def top_ups_expire() -> int:
    return services.top_ups_expire()


# Finance exports. The name matches the "*.export_*" route: the `exports` queue.
@shared_task(name="payments.tasks.export_settlement_xlsx", acks_late=True)
def export_settlement_xlsx(job_id: int) -> int:
    from payments import exports

    # The rows come from the replica when there is one; the job's own row from the primary.
    with replica.replica_reads():
        return exports.export_job_run(job_id=job_id).rows_written


@shared_task(name="payments.tasks.finance_exports_purge")
def finance_exports_purge() -> int:
    from payments import exports

    return exports.export_jobs_purge()


# Not "export_..." in its name: housekeeping runs on the default queue, not behind exports.
@shared_task(name="payments.tasks.finance_exports_recover")
def finance_exports_recover() -> dict[str, int]:
    from payments import exports

    return exports.export_jobs_recover()


# The monthly statement PDF. The name matches the "*.export_*" route: `exports`.
@shared_task(name="payments.tasks.export_statement_pdf", acks_late=True)
def export_statement_pdf(company_id: int, year: int, month: int, language: str) -> str:
    from payments.statement_pdf import statement_pdf_build

    return statement_pdf_build(company_id=company_id, year=year, month=month, language=language)
