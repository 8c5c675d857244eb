"""Structured logs: one JSON object per line in production, readable lines in development.

Every record, whether written through `logging` or structlog, carries what is bound to the
current context: the request id, user and company of the request being served
(procurement.middleware.RequestLogMiddleware), and in a Celery task the id of the request
that caused it with the task's own name and id. The request id travels to the worker in the
task message's headers, so the lines of a request, of the tasks it caused and of the outbound
calls those tasks make share one `request_id`.
"""

import re
import uuid

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

REQUEST_ID_HEADER = "request_id"
# A request id a proxy sends (X-Request-ID) is kept when it looks like one.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


def formatter(*, json: bool) -> structlog.stdlib.ProcessorFormatter:
    """Formats every stdlib record with what the context holds when it is written."""
    final = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        # Plain tracebacks: rich's renderer (structlog's default when rich is installed) takes
        # tenths of a second per record, and every 403/404 logs one.
        final.append(
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        )
    return structlog.stdlib.ProcessorFormatter(
        processors=final, foreign_pre_chain=SHARED_PROCESSORS
    )


def logging_config(*, json: bool, level: str) -> dict:
    """The LOGGING setting: every stdlib record through `formatter`."""
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "json": json}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
    }


def new_request_id(offered: str | None) -> str:
    if offered and REQUEST_ID_PATTERN.match(offered):
        return offered
    return uuid.uuid4().hex


def bind(**values) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear() -> None:
    structlog.contextvars.clear_contextvars()


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


@before_task_publish.connect
def _tag_task(headers=None, **kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def _bind_task(task_id=None, task=None, **kwargs) -> None:
    # A task run eagerly (no broker: development, tests) runs inside its caller's context.
    if task is None or task.request.is_eager:
        return
    clear()
    request = task.request
    request_id = getattr(request, REQUEST_ID_HEADER, None) or (request.headers or {}).get(
        REQUEST_ID_HEADER
    )
    bind(task=task.name, task_id=task_id)
    if request_id:
        bind(request_id=request_id)


@task_postrun.connect
def _unbind_task(task=None, **kwargs) -> None:
    if task is not None and not task.request.is_eager:
        clear()
