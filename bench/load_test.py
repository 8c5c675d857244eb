"""Load test: not a test of the suite. Run with `make bench` or

    PYTHONPATH=. .venv/bin/python bench/load_test.py

It (1) drops and creates the PostgreSQL database `load_bench` (DATABASE_URL), migrates, seeds
the demo data plus LOAD_PRODUCTS synthetic products, and creates LOAD_USERS merchants (two per
company, no spending limit) with funded USD wallets, an API key and a webhook endpoint per
company; (2) starts gunicorn (LOAD_WORKERS sync workers, DEBUG off: bench/_load_settings.py)
and a Celery worker on Redis (queues default, exports, webhooks), both with the same
CELERY_BROKER_URL and CACHE_URL, plus a local webhook sink; (3) runs the mixed merchant workload
of bench/_load_driver.py against 127.0.0.1 for LOAD_SECONDS after LOAD_WARMUP seconds;
(4) prints error rate, throughput, p50 and p95 per endpoint; (5) waits for the queues to drain,
then checks the ledger invariants (payments.selectors.ledger_problems) and the orders and
webhooks the run left. gunicorn, the worker and the sink are always stopped.

Exit status: 0 when the ledger is sound, the error rate is at most LOAD_MAX_ERROR_RATE and
(when no request failed) the orders, idempotency records and webhooks in the database match
what the driver saw; 1 otherwise. Figures also go to bench/results/load-<time>.json
(LOAD_RESULTS_DIR elsewhere).

Many processes (tests/infra/test_many_processes.py): LOAD_WEB_INSTANCES gunicorn instances
(ports LOAD_PORT, LOAD_PORT + 2, ...) and LOAD_CELERY_WORKERS workers share the database and
Redis; each virtual merchant starts on one instance and moves to the next when its instance
refuses connections, as a load balancer would. With LOAD_KILL_AFTER, that many seconds into the
measured run the first instance (master and workers) and the first Celery worker are killed
(SIGKILL); the worker's supervisor starts it again LOAD_RESTART_AFTER seconds later (a
restarted worker takes back the tasks its predecessor held unacknowledged, once they are older
than CELERY_VISIBILITY_TIMEOUT). Then only requests in flight at the kill may fail, at most
one per merchant then served by the killed instance, and every task must still have run: every
paid order's webhook delivered, no outbox row unsent, the queues and unacked tasks empty.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/load_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("CACHE_URL", os.environ["CELERY_BROKER_URL"])
# Every cache in the one database each run empties first, rather than in the next two, which
# other runs and tests may use.
os.environ.setdefault("PAGE_CACHE_URL", os.environ["CACHE_URL"])
os.environ.setdefault("SESSION_CACHE_URL", os.environ["CACHE_URL"])
os.environ["DJANGO_SETTINGS_MODULE"] = "bench._load_settings"
os.environ.pop("CELERY_RESULT_BACKEND", None)

USERS = int(os.environ.get("LOAD_USERS", "8"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
WARMUP = float(os.environ.get("LOAD_WARMUP", "5"))
THINK_MS = int(os.environ.get("LOAD_THINK_MS", "0"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
CELERY_CONCURRENCY = int(os.environ.get("LOAD_CELERY_CONCURRENCY", "2"))
PRODUCTS = int(os.environ.get("LOAD_PRODUCTS", "10000"))
PORT = int(os.environ.get("LOAD_PORT", "8775"))
SINK_PORT = int(os.environ.get("LOAD_SINK_PORT", str(PORT + 1)))
DRAIN_S = float(os.environ.get("LOAD_DRAIN_SECONDS", "45"))
MAX_ERROR_RATE = float(os.environ.get("LOAD_MAX_ERROR_RATE", "0.01"))
QUEUES = ("default", "exports", "webhooks")
WEB_INSTANCES = int(os.environ.get("LOAD_WEB_INSTANCES", "1"))
CELERY_WORKERS = int(os.environ.get("LOAD_CELERY_WORKERS", "1"))
KILL_AFTER = float(os.environ["LOAD_KILL_AFTER"]) if os.environ.get("LOAD_KILL_AFTER") else None
RESTART_AFTER = float(os.environ.get("LOAD_RESTART_AFTER", "6"))
RESULTS_DIR = Path(os.environ.get("LOAD_RESULTS_DIR", ROOT / "bench" / "results"))
WEB_PORTS = [PORT + 2 * i for i in range(WEB_INSTANCES)]  # PORT + 1 is the sink's

from bench import _load_driver as driver  # noqa: E402
from bench import _load_setup as setup  # noqa: E402
from bench._database import recreate_database  # noqa: E402


def _redis():
    import redis

    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


def _start(argv: list[str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(  # noqa: S603 - fixed argv, our own venv's programs
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its children
    )


def _stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in 20 s: killing its process group", flush=True)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _web_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _wait_ready(gunicorns: list[subprocess.Popen], workers: list[subprocess.Popen]) -> None:
    from procurement.celery import app

    deadline = time.monotonic() + 90
    web = celery = False
    while time.monotonic() < deadline and not (web and celery):
        for process, name in [(g, "gunicorn") for g in gunicorns] + [
            (w, "celery worker") for w in workers
        ]:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} while starting")
        web = web or all(_web_up(port) for port in WEB_PORTS)
        if not celery:
            celery = len(app.control.ping(timeout=1.0)) >= len(workers)
        if not (web and celery):
            time.sleep(0.5)
    if not (web and celery):
        raise RuntimeError(f"not ready after 90 s (gunicorn {web}, celery workers {celery})")


def _gunicorn(port: int, log: Path) -> subprocess.Popen:
    return _start(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "procurement.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        log,
    )


def _worker(n: int, log: Path) -> subprocess.Popen:
    return _start(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "procurement",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--concurrency",
            str(CELERY_CONCURRENCY),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"load{n}@%h",
        ],
        log,
    )


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL to the whole process group: no shutdown, no acknowledgement, no clean-up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _chaos(gunicorns, workers, logs: Path, events: list[str]) -> threading.Thread:
    """Kill the first web instance and the first worker KILL_AFTER seconds into the measured
    run; start the worker again RESTART_AFTER seconds later, as its supervisor would."""

    def run() -> None:
        time.sleep(WARMUP + KILL_AFTER)
        _kill(gunicorns[0])
        _kill(workers[0])
        events.append(f"killed web instance :{WEB_PORTS[0]} and worker load0")
        time.sleep(RESTART_AFTER)
        workers[0] = _worker(0, logs / "celery-0-restarted.log")
        events.append("worker load0 started again")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _drain() -> dict:
    """Wait until the broker queues are empty and no webhook is pending or retrying."""
    r = _redis()
    started = time.monotonic()
    while True:
        queued = {q: r.llen(q) for q in QUEUES}
        queued["unacked"] = r.hlen("unacked")  # taken by a worker, not yet acknowledged
        hooks = setup.webhook_counts()
        open_hooks = hooks.get("pending", 0) + hooks.get("retrying", 0)
        if not any(queued.values()) and (open_hooks or setup.unsent_outbox_rows()):
            # A web process killed between its commit and handing the task to the broker leaves
            # an outbox row unsent: in production beat's sweep sends it; no beat runs here, so
            # the driver sweeps as beat would, counting every unsent row as due.
            setup.outbox_sweep_all()
        if (not any(queued.values()) and not open_hooks) or time.monotonic() - started > DRAIN_S:
            return {
                "queued": queued,
                "open_webhooks": open_hooks,
                "waited_s": time.monotonic() - started,
            }
        time.sleep(0.5)


def _log_problems(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    keep = ("Traceback", "ERROR", "Error:", "CRITICAL", "WORKER TIMEOUT", "exception")
    return [line for line in lines if any(k in line for k in keep)]


def _fmt(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0f}"


def consistency(counters: dict, after: dict, sink_distinct: int) -> list[tuple[str, int, int]]:
    """(what, the driver's count, the database's count): each pair must be equal when no
    request failed (a failed request may or may not have committed)."""
    orders = after["orders"]
    cart = sum(n for key, n in orders.items() if key.startswith("cart/"))
    api = sum(n for key, n in orders.items() if key.startswith("api/"))
    paid = orders.get("cart/paid", 0) + orders.get("api/paid", 0)
    return [
        ("cart orders placed", counters.get("web orders placed", 0), cart),
        ("cart orders paid", counters.get("web orders paid", 0), orders.get("cart/paid", 0)),
        ("API orders created and paid", counters.get("api orders paid", 0), api),
        (
            "idempotency records (one per API order key)",
            counters.get("api orders paid", 0),
            after["idempotency_records"],
        ),
        ("webhooks delivered (one per paid order)", paid, after["webhooks"].get("succeeded", 0)),
        ("webhooks received by the sink (distinct ids)", paid, sink_distinct),
    ]


def report(rows: list[dict], result: dict, context: dict, after: dict, drained: dict) -> None:
    elapsed = result["elapsed"]
    total = sum(r["requests"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    print()
    print(
        f"{context['date']}, {context['users']} virtual merchants, {WORKERS} gunicorn sync "
        f"workers, Celery concurrency {CELERY_CONCURRENCY}, {elapsed:.0f} s measured after "
        f"{WARMUP:.0f} s warm-up, think time {THINK_MS} ms, {context['products']:,} products"
    )
    print(
        f"load average before {context['load_before']}, after {context['load_after']} "
        f"({os.cpu_count()} CPUs; the load generator shares them)"
    )
    print()
    print("| endpoint | requests | req/s | errors | error rate | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['endpoint']} | {r['requests']} | {r['rps']:.1f} | {r['errors']} "
            f"| {r['error_rate']:.1%} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
            f"| {_fmt(r['max_ms'])} |"
        )
    rate = errors / total if total else 0.0
    print(f"| **all** | {total} | {total / elapsed:.1f} | {errors} | {rate:.1%} | | | |")
    for r in rows:
        for reason, (count, example) in r["samples"].items():
            print(f"  error {r['endpoint']}: {reason} x{count}: {example}")
    print()
    print(f"counters (whole run, warm-up included): {dict(result['stats'].counters)}")
    print(f"orders in the database (source/status): {after['orders']}")
    print(
        f"webhooks: {after['webhooks']}, delivery delay p50 {after['webhook_delay_p50_s']} s, "
        f"p95 {after['webhook_delay_p95_s']} s; sink received {context['sink_received']} "
        f"({context['sink_distinct']} distinct ids); drain {drained}"
    )
    for what, ours, theirs in context["consistency"]:
        print(
            f"  {'ok' if ours == theirs else 'MISMATCH'}: {what}: driver {ours}, database {theirs}"
        )
    problems = after["ledger_problems"]
    print(f"ledger invariants: {'OK' if not problems else f'{len(problems)} PROBLEMS'}")
    for problem in problems[:50]:
        print(f"  ledger: {problem}")


def main() -> int:
    logs = Path(tempfile.mkdtemp(prefix="load-test-"))
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Load test {date}: logs in {logs}", flush=True)
    started = time.perf_counter()
    _redis().flushdb()  # this run's broker and cache database: no stale tasks or counters
    name = recreate_database(os.environ["DATABASE_URL"])
    sink = driver.WebhookSink(SINK_PORT)
    gunicorns: list[subprocess.Popen] = []
    workers: list[subprocess.Popen] = []
    events: list[str] = []
    try:
        print(f"Database {name} recreated; migrating and seeding...", flush=True)
        plan = setup.prepare(users=USERS, products=PRODUCTS, sink_url=sink.url)
        print(
            f"  ready in {time.perf_counter() - started:.0f} s "
            f"({', '.join(f'{k} {v:.0f}' for k, v in plan['timings'].items())}); "
            f"{plan['products_total']:,} products, {len(plan['orderables'])} cheap orderables",
            flush=True,
        )
        gunicorns = [
            _gunicorn(port, logs / f"gunicorn-{n}.log") for n, port in enumerate(WEB_PORTS)
        ]
        workers = [_worker(n, logs / f"celery-{n}.log") for n in range(CELERY_WORKERS)]
        _wait_ready(gunicorns, workers)
        load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"Running {USERS} virtual merchants for {WARMUP:.0f} + {SECONDS:.0f} s on "
            f"{WEB_INSTANCES} web instance(s) and {CELERY_WORKERS} worker(s) "
            f"(load average {load_before})...",
            flush=True,
        )
        chaos = _chaos(gunicorns, workers, logs, events) if KILL_AFTER is not None else None
        result = driver.run_load(
            plan=plan, ports=WEB_PORTS, warmup_s=WARMUP, seconds=SECONDS, think_ms=THINK_MS
        )
        if chaos is not None:
            chaos.join(timeout=WARMUP + KILL_AFTER + RESTART_AFTER + 30)
        load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        drained = _drain()
        after = setup.after_checks()
    finally:
        for gunicorn in gunicorns:
            _stop(gunicorn, "gunicorn")
        for worker in workers:
            _stop(worker, "celery worker")
        sink.close()

    rows = driver.summarize(result["stats"], result["elapsed"])
    context = {
        "date": date,
        "users": USERS,
        "products": plan["products_total"],
        "load_before": load_before,
        "load_after": load_after,
        "sink_received": sink.received,
        "sink_distinct": len(sink.ids - {""}),
    }
    context["consistency"] = consistency(result["stats"].counters, after, context["sink_distinct"])
    context["events"] = events
    context["no_task_lost"] = tasks_done(after, drained, context["sink_distinct"])
    report(rows, result, context, after, drained)
    for log in sorted(logs.glob("*.log")):
        found = _log_problems(log)
        print(f"{log.name}: {len(found)} error lines" + (f", first: {found[:5]}" if found else ""))
    for event in events:
        print(f"event: {event}")
    if result["stuck_threads"]:
        print(f"{result['stuck_threads']} virtual merchants were still busy at the end")

    out = RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"load-{stamp}.json").write_text(
        json.dumps(
            {
                **context,
                "seconds": result["elapsed"],
                "warmup": WARMUP,
                "workers": WORKERS,
                "web_instances": WEB_INSTANCES,
                "celery_workers": CELERY_WORKERS,
                "kill_after": KILL_AFTER,
                "celery_concurrency": CELERY_CONCURRENCY,
                "think_ms": THINK_MS,
                "endpoints": rows,
                "counters": result["stats"].counters,
                "after": after,
                "drain": drained,
            },
            indent=2,
            default=str,
        )
    )
    total = sum(r["requests"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    print(f"total {time.perf_counter() - started:.0f} s; results in {out}/load-{stamp}.json")
    mismatched = not errors and any(ours != theirs for _w, ours, theirs in context["consistency"])
    lost = result["stats"].counters.get("requests lost in flight", 0)
    refused = sum(
        count
        for r in rows
        for reason, (count, _example) in r["samples"].items()
        if reason == "ConnectionRefusedError"
    )
    if KILL_AFTER is not None:
        # At most one request in flight per merchant then on the killed instance; none refused
        # (a refused request goes to the other instance); the other errors as usual.
        on_killed = len(range(0, USERS, WEB_INSTANCES))
        print(f"requests lost in flight: {lost} (at most {on_killed}); refused: {refused}")
        too_many_lost = lost > on_killed or refused > 0
        errors -= min(errors, lost)
    else:
        too_many_lost = False
    failed = (
        bool(after["ledger_problems"])
        or (total and errors / total > MAX_ERROR_RATE)
        or mismatched
        or too_many_lost
        or not context["no_task_lost"]
    )
    return 1 if failed or not total else 0


def tasks_done(after: dict, drained: dict, sink_distinct: int) -> bool:
    """Every task the run caused has run: queues and unacknowledged tasks empty, no outbox row
    unsent, and one delivered webhook per paid order (each order's webhook is a task), all of
    them received by the sink."""
    paid = sum(n for key, n in after["orders"].items() if key.endswith("/paid"))
    checks = {
        "queues and unacked empty": not any(drained["queued"].values()),
        "no open webhook": drained["open_webhooks"] == 0,
        "no unsent outbox row": after["outbox_unsent"] == 0,
        "a webhook delivered per paid order": after["webhooks"].get("succeeded", 0) == paid,
        "the sink received each": sink_distinct == paid,
    }
    for what, ok in checks.items():
        print(f"  {'ok' if ok else 'FAILED'}: tasks: {what}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
