"""Reads from a PostgreSQL streaming replica, where stale data can do no harm.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and install
`PrimaryReplicaRouter`. Reads go to the replica only while a caller asked for it
(`replica_reads()`: the finance reports and exports, anonymous catalog pages; see
`procurement.middleware.ReplicaReadsMiddleware`) and only when the primary owes this caller
nothing newer:

- every write goes to the primary;
- every read inside a transaction on the primary goes to the primary (a read that decides a
  write must see what the write will lock);
- every read of a request whose client wrote in the last `DATABASE_REPLICA_PIN_SECONDS` goes to
  the primary (read-your-writes: the middleware sets a cookie on a write, see `pin_primary()`).

Pages that act on a balance (the wallet, checkout, paying) never ask for the replica, so replica
lag can never show them a stale balance. Without a replica every read goes to `default`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# Models read from the primary whatever the caller asked: the session that says who is logged
# in, and the rows that say what they may do, must never be a few seconds old.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "accounts", "account", "mfa", "contenttypes", "core"}
)

_prefer_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "prefer_replica", default=False
)
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("pinned_to_primary", default=False)
# Within a request: whether it wrote yet (its later reads then go to the primary). None outside
# requests: a task that asked for replica reads knows which of its reads may lag.
_wrote: contextvars.ContextVar[bool | None] = contextvars.ContextVar("wrote", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads(*, pinned: bool = False) -> Iterator[None]:
    """Within the block, reads that may be stale go to the replica (unless `pinned`)."""
    tokens = (_prefer_replica.set(True), _pinned.set(pinned), _wrote.set(None))
    try:
        yield
    finally:
        for var, token in zip((_prefer_replica, _pinned, _wrote), tokens, strict=True):
            var.reset(token)


def request_started(*, prefer_replica: bool, pinned: bool) -> None:
    """Set this request's routing. Not reset when the view returns: a streamed response (a CSV
    export) runs its queries while the server iterates it, after the middleware is done; the
    next request on the thread sets its own."""
    _prefer_replica.set(prefer_replica)
    _pinned.set(pinned)
    _wrote.set(False)


def wrote() -> bool:
    """Whether a write was routed since the request started."""
    return bool(_wrote.get())


def read_alias() -> str:
    """The alias a read issued now should use."""
    if not (_prefer_replica.get() and replica_configured()) or _pinned.get() or _wrote.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


def reading_connection():
    """The connection for a raw read (a COPY, a chunked cursor) issued now."""
    return connections[read_alias()]


class PrimaryReplicaRouter:
    """Django database router for `default` (the primary) and `replica`."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model, **hints):
        if _wrote.get() is False:
            _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database seen through two aliases: every relation is between the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's WAL; it is never migrated on its own.
        return db == DEFAULT_DB_ALIAS
