"""Where a page's time goes, in-process through Django's test client (not a benchmark).

Two ways to say what to request:

    # one or more paths, each requested again and again (what a cache hit costs):
    PYTHONPATH=. .venv/bin/python bench/_profile_pages.py /catalog/ /orders/ [--htmx]
    # a workload of bench/catalog_bench.py, every request a different URL of its list:
    PYTHONPATH=. .venv/bin/python bench/_profile_pages.py --workload product [--workload ...]

The workloads' lists, cookies and API key come from a directory written by
`bench/_distinct_prepare.py` (BENCH_LISTS; without it, the lists are prepared into a new
temporary directory first, as catalog_bench.py does). DATABASE_URL defaults to catalog_bench.

For each path or workload it prints the median and 90th percentile wall time, the median
time spent in PostgreSQL's statements (each timed by `connection.execute_wrapper`) and the
queries per request; then, from one cProfile pass over as many other requests, the time each
part of the stack spent in its own code (tottime summed by package, a built-in's counted where
it was called from: the template engine, the ORM building SQL, psycopg waiting for
PostgreSQL, Redis, the project's own code...), as shares and as milliseconds of the
unprofiled median. cProfile slows Python more than it slows the waits, so the shares lean
towards Python: read them as where to look.

DETAIL=5 lists the five functions of each part that spent the most.
--profile also prints cProfile's own listing (PROFILE_SORT, cumulative; PROFILE_LINES, 45).
N (200 distinct requests, 100 repeated) and WARM (20) set how many requests are timed.
"""

import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench._catalog_settings"

import django

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

ARGS = sys.argv[1:]
PROFILE = "--profile" in ARGS
HTMX = "--htmx" in ARGS
WORKLOADS = [ARGS[i + 1] for i, arg in enumerate(ARGS) if arg == "--workload"]
PATHS = [
    arg for i, arg in enumerate(ARGS) if not arg.startswith("--") and ARGS[i - 1] != "--workload"
]
WARM = int(os.environ.get("WARM", "20"))
DETAIL = int(os.environ.get("DETAIL", "0"))

# Where a frame's own time is counted: the first of these its file's path contains.
PARTS = [
    ("psycopg: waiting for PostgreSQL, and its own code", ("psycopg",)),
    ("template engine", ("/django/template/", "/django/templatetags/", "/django/forms/")),
    ("ORM: building SQL and rows", ("/django/db/",)),
    ("Redis (cache, sessions)", ("/redis/", "/django_redis/", "_socket.socket")),
    ("Django's request handling", ("/django/core/", "/django/middleware/", "/django/http/")),
    ("translation, formats, URLs", ("/django/utils/", "/django/urls/", "/asgiref/")),
    ("other packages", ("/site-packages/",)),
    ("the portal's own code", (str(Path(__file__).resolve().parent.parent),)),
]


BUILTINS = "Python's built-ins"


def _part(filename: str) -> str:
    for name, needles in PARTS:
        if any(needle in filename for needle in needles):
            return name
    return BUILTINS


class Requests:
    """One client, with the headers and cookies a workload's kind of user sends."""

    def __init__(self, plan: dict | None, kind: str):
        self.client, self.headers = Client(), {}
        if plan is None:
            from procurement.accounts.models import User

            self.client.force_login(User.objects.get(email="bench@example.com"))
        elif kind == "api":
            self.headers = {"Authorization": f"Bearer {plan['api_token']}",
                            "Accept": "application/json"}  # fmt: skip
        else:
            self._cookies(plan["cookie"])
            if kind == "post":
                self.headers = {"X-CSRFToken": plan["csrf"], "HX-Request": "true"}
        if HTMX:
            self.headers["HX-Request"] = "true"

    def _cookies(self, header: str) -> None:
        for part in header.split("; "):
            name, value = part.split("=", 1)
            self.client.cookies[name] = value

    def send(self, line: list[str]) -> None:
        method, path, *rest = line
        if len(rest) > 1:  # this request's own buyer
            self._cookies(rest[1])
        body = rest[0] if rest else ""
        response = self.client.generic(
            method, path, body, content_type="application/x-www-form-urlencoded",
            headers=self.headers,
        )  # fmt: skip
        if response.status_code != 200:
            sys.exit(f"{method} {path} answered {response.status_code}")


def _lists() -> tuple[Path, dict]:
    folder = os.environ.get("BENCH_LISTS")
    if folder is None:
        folder = tempfile.mkdtemp(prefix="profile-pages-")
        prepare = Path(__file__).with_name("_distinct_prepare.py")
        subprocess.run([sys.executable, str(prepare), folder], check=True)  # noqa: S603
    return Path(folder), json.loads((Path(folder) / "plan.json").read_text())


def _measured(requests: Requests, line: list) -> tuple[float, float, int]:
    """One request: its wall time and the time in its statements, in ms, and its queries."""
    spent, counted = [0.0], [0]

    def wait(execute, sql, params, many, context):
        counted[0] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    started = time.perf_counter()
    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(wait))
        requests.send(line)
    return (time.perf_counter() - started) * 1000, spent[0] * 1000, counted[0]


def report(title: str, requests: Requests, lines: list, profiled: list) -> None:
    for line in lines[:WARM]:
        requests.send(line)
    walls, waits, counts = zip(*(_measured(requests, line) for line in lines[WARM:]), strict=True)
    median = statistics.median(walls)
    p90 = statistics.quantiles(walls, n=10)[-1]
    wait = statistics.median(waits)
    queries = statistics.median(counts)
    print(f"\n{title}: {len(walls)} requests, {queries:g} queries at the median")
    print(f"  median {median:.1f} ms, p90 {p90:.1f} ms; waiting for PostgreSQL {wait:.1f} ms "
          f"(statements timed); the rest {median - wait:.1f} ms")  # fmt: skip
    profile = cProfile.Profile()
    profile.enable()
    for line in profiled:
        requests.send(line)
    profile.disable()
    stats = pstats.Stats(profile)
    own, functions = defaultdict(float), defaultdict(float)
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        part = _part(f"{filename} {function}")
        callers = row[4]
        if filename != "~" or part != BUILTINS or not callers:
            own[part] += row[2]
            functions[part, f"{filename}:{line}({function})"] += row[2]
            continue
        # A built-in (getattr, isinstance, str.join...) is counted where it was called from.
        calls = sum(caller[2] for caller in callers.values()) or 1.0
        for (caller_file, caller_line, caller_function), caller in callers.items():
            share = row[2] * caller[2] / calls
            own[_part(f"{caller_file} {caller_function}")] += share
            functions[
                _part(f"{caller_file} {caller_function}"),
                f"{caller_file}:{caller_line}({caller_function})",
            ] += share
    total = sum(own.values())
    for name, seconds in sorted(own.items(), key=lambda item: -item[1]):
        share = seconds / total
        print(f"    {share:5.1%}  {share * median:5.1f} ms  {name}")
        if DETAIL:
            top = sorted(
                ((seconds, where) for (part, where), seconds in functions.items() if part == name),
                reverse=True,
            )
            for seconds, where in top[:DETAIL]:
                print(f"           {seconds / total * median:5.2f} ms  {where[-90:]}")
    if PROFILE:
        stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            int(os.environ.get("PROFILE_LINES", "45"))
        )


def main() -> None:
    count = int(os.environ.get("N", "200" if WORKLOADS else "100"))
    if WORKLOADS:
        folder, plan = _lists()
        kinds = {"api_products": "api", "api_orders": "api", "add_to_cart": "post"}
        for key in WORKLOADS:
            text = Path(plan["lists"].get(key, folder / f"{key}.txt")).read_text()
            lines = [row.split("\t") for row in text.splitlines()]
            lines = lines * (1 + (WARM + 2 * count) // len(lines))
            requests = Requests(plan, kinds.get(key, "get"))
            timed = lines[: WARM + count]
            report(key, requests, timed, lines[WARM + count : WARM + 2 * count])
    for path in PATHS or ([] if WORKLOADS else ["/catalog/"]):
        lines = [["GET", path]] * (WARM + count)
        report(path, Requests(None, "get"), lines, lines[:count])


if __name__ == "__main__":
    main()
