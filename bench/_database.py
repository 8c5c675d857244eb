"""The benchmarks' own PostgreSQL databases, created through the server's `postgres` database."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
from psycopg import sql

RESERVED = {"postgres", "template0", "template1"}


def _split(url: str) -> tuple[str, str]:
    """(the database named in `url`, the same server's `postgres` database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in RESERVED:
        raise SystemExit(f"refusing to use database {name!r} for a benchmark")
    return name, parts._replace(path="/postgres").geturl()


def ensure_database(url: str) -> str:
    """Create the database named in `url` unless it exists (a benchmark that keeps its seeded
    rows between runs)."""
    name, admin = _split(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def recreate_database(url: str) -> str:
    """Drop and create the database named in `url` (a benchmark that starts from nothing)."""
    name, admin = _split(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name
