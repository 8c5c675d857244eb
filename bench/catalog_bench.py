"""Speed where users feel it: not a test. Run with `make bench` or

    PYTHONPATH=. .venv/bin/python bench/catalog_bench.py

It (1) prepares the database in a process of the measured code (`bench/_distinct_prepare.py`:
migrate, seed up to BENCH_PRODUCTS products, the bench's merchants, and the request lists),
(2) starts the portal in gunicorn and, beside it, the bare project (`bench/bare/`: a separate
minimal Django project, one view, one query of 24 rows, Django's default middleware only) in
its own gunicorn on the same interpreter, (3) drives each workload with wrk
(`bench/_distinct.lua`), every request a different URL taken from the seeded data, each run
right after a run of the bare view, for BENCH_ROUNDS rounds, and (4) prints requests per
second, p95 and the ratio to the bare run beside it, per round and as the median, with the
load average of each round. Then it times checkout and payment of 50-line carts from 10
suppliers, one at a time. Results go to bench/results/distinct-<time>.json.

BENCH_APP_ROOT measures another checkout of the portal (an older commit, say) with this driver
and its request lists; its database must be at that checkout's migrations.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT", ROOT)).resolve()
sys.path.insert(0, str(ROOT))
from bench._database import ensure_database  # noqa: E402

DATABASE_URL = os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog_bench"
)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", "8766"))
CACHE = os.environ.get("BENCH_CACHE", "redis")  # or "none": see bench/_catalog_settings.py
LABEL = os.environ.get("BENCH_LABEL", "")
# Comma-separated workload keys to measure (the bare view always is), e.g. "search_en,product".
ONLY = [part for part in os.environ.get("BENCH_ONLY", "").split(",") if part]
LUA = ROOT / "bench" / "_distinct.lua"

# key, what a person does, headers, (share of bare, p95 ms) to meet or None
WORKLOADS = [
    ("search_repeat", "one search URL repeated (cache hit)", "page", None),
    ("search_en", "distinct English searches", "page", (0.30, 50)),
    ("search_zh", "distinct Chinese searches", "page", (0.30, 50)),
    ("search_typo", "distinct searches with one typo", "page", (0.15, 100)),
    ("listings", "distinct listings (category x filter x sort)", "page", (0.40, 50)),
    ("product", "product page, distinct products", "page", (0.40, 50)),
    ("api_products", "API product list", "api", (0.50, 40)),
    ("api_orders", "API order list", "api", (0.50, 40)),
    ("signed_in", "dashboard, orders list, wallet (signed in)", "page", (0.40, 50)),
    ("add_to_cart", "add to cart (HTMX POST)", "post", (None, 30)),
]
CHECKOUT_TARGET_MS = 300


def _env(**extra) -> dict:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, **extra}


def prepare(out: Path) -> dict:
    ensure_database(DATABASE_URL)  # kept between runs: seeding 1,000,000 products takes minutes
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "bench" / "_distinct_prepare.py"), str(out)],
        cwd=APP_ROOT,
        env=_env(PYTHONPATH=str(APP_ROOT), DJANGO_SETTINGS_MODULE="bench._catalog_settings"),
        check=True,
    )
    plan = json.loads((out / "plan.json").read_text())
    repeat = out / "search_repeat.txt"
    repeat.write_text("GET\t/catalog/search/?q=stainless\n")
    bare = out / "bare.txt"
    bare.write_text("GET\t/bare/\n")
    plan["lists"].update(search_repeat=str(repeat), bare=str(bare))
    return plan


@contextmanager
def gunicorn(app: str, *, port: int, cwd: Path, log: Path, **env):
    """`app` served on `port`; what it prints (the console mail of the orders paid, say)
    goes to `log`."""
    output = log.open("w")
    server = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=_env(PYTHONPATH=str(cwd), **env),
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        output.close()


def _headers(kind: str, plan: dict) -> list[str]:
    if kind == "api":
        return [f"Authorization: Bearer {plan['api_token']}", "Accept: application/json"]
    headers = [f"Cookie: {plan['cookie']}"]
    if kind == "post":
        headers += [
            f"X-CSRFToken: {plan['csrf']}",
            "HX-Request: true",
            "Content-Type: application/x-www-form-urlencoded",
        ]
    return headers


def wrk(port: int, path_list: str, start: int, seconds: int, headers: list[str]) -> dict:
    command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(LUA)]
    for header in headers:
        command += ["-H", header]
    command += [f"http://127.0.0.1:{port}", "--", path_list, str(start), str(THREADS)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def checkout_and_pay(plan: dict) -> dict:
    """Each prepared buyer checks out its 50-line cart and pays, one request at a time."""
    timings: dict[str, list[float]] = {"checkout": [], "pay": []}
    failures = []
    for session in plan["checkout_sessions"]:
        headers = {"Cookie": f"sessionid={session}; csrftoken={plan['csrf']}"}
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

        def call(method, path, form=None, conn=conn, headers=headers):
            body = None
            sent = dict(headers)
            if form is not None:
                from urllib.parse import urlencode

                body = urlencode({**form, "csrfmiddlewaretoken": plan["csrf"]})
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            return response, text, (time.perf_counter() - started) * 1000

        _, page, _ = call("GET", "/orders/checkout/")
        key = re.search(r'name="checkout_key" value="([^"]+)"', page)
        signature = re.search(r'name="signature" value="([^"]*)"', page)
        if not key or not signature:
            failures.append("checkout page without its form")
            continue
        form = {"checkout_key": key.group(1), "signature": unescape(signature.group(1))}
        response, _, ms = call("POST", "/orders/checkout/", form)
        placed = re.search(r"/orders/([0-9]+)/pay/", response.getheader("Location") or "")
        if response.status != 302 or not placed:
            failures.append(f"checkout answered {response.status}")
            continue
        timings["checkout"].append(ms)
        pay_path = f"/orders/{placed.group(1)}/pay/"
        _, page, _ = call("GET", pay_path)
        quote = re.search(r'name="quote" value="([0-9]+)"', page)
        response, _, ms = call("POST", pay_path, {"quote": quote.group(1) if quote else ""})
        if response.status != 302 or "/pay/" in (response.getheader("Location") or ""):
            failures.append(f"pay answered {response.status} {response.getheader('Location')}")
            continue
        timings["pay"].append(ms)
        conn.close()

    def summary(samples):
        if not samples:
            return {"n": 0}
        samples = sorted(samples)
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        return {"n": len(samples), "p50_ms": statistics.median(samples), "p95_ms": p95}

    return {
        "checkout": summary(timings["checkout"]),
        "pay": summary(timings["pay"]),
        "failures": failures,
    }


def _commit(path: Path) -> str:
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(path), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    out = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    plan = prepare(out)
    lists = plan["lists"]
    workloads = [w for w in WORKLOADS if not ONLY or w[0] in ONLY]
    offsets = dict.fromkeys([w[0] for w in workloads], 0)
    rounds = []
    settings = "bench._catalog_settings"
    with (
        gunicorn("bare.wsgi:application", port=BARE_PORT, cwd=ROOT / "bench",
                 log=out / "bare.log", DJANGO_SETTINGS_MODULE="bare.settings"),
        gunicorn("procurement.wsgi:application", port=PORT, cwd=APP_ROOT,
                 log=out / "portal.log", DJANGO_SETTINGS_MODULE=settings),
    ):  # fmt: skip
        for number in range(1, ROUNDS + 1):
            load = os.getloadavg()[0]
            print(f"Round {number} (load average {load:.2f})", flush=True)
            results = {}
            for key, title, kind, _target in workloads:
                wrk(BARE_PORT, lists["bare"], 0, WARMUP, [])
                bare = wrk(BARE_PORT, lists["bare"], 0, SECONDS, [])
                headers = _headers(kind, plan)
                warm = wrk(PORT, lists[key], offsets[key], WARMUP, headers)
                offsets[key] += warm["requests"]
                run = wrk(PORT, lists[key], offsets[key], SECONDS, headers)
                offsets[key] += run["requests"]
                run["bare_rps"], run["bare_p95_ms"] = bare["rps"], bare["p95_ms"]
                run["share"] = run["rps"] / bare["rps"]
                results[key] = run
                print(
                    f"  {title}: {run['rps']:.0f} req/s ({run['share']:.0%} of bare "
                    f"{bare['rps']:.0f}), p95 {run['p95_ms']:.1f} ms, "
                    f"{run['unexpected'] + run['socket_errors']} wrong",
                    flush=True,
                )
            rounds.append({"load_average": load, "results": results})
        purchase = checkout_and_pay(plan)

    report(plan, workloads, rounds, purchase, offsets)


def report(plan, workloads, rounds, purchase, offsets) -> None:
    print()
    print(
        f"{plan['products']:,} products; portal at {_commit(APP_ROOT)}; gunicorn {WORKERS} "
        f"workers each; wrk {THREADS} threads, {CONNECTIONS} connections, {SECONDS} s per run; "
        f"cache: {CACHE}; load averages " + ", ".join(f"{r['load_average']:.2f}" for r in rounds)
    )
    print("PostgreSQL: " + ", ".join(f"{k} {v}" for k, v in plan["postgres"].items()))
    print()
    print(
        "| workload | share of bare, per round | median | p95 ms, per round | median "
        "| target | wrong | distinct |"
    )
    print("| --- | --- | ---: | --- | ---: | --- | ---: | ---: |")
    summary = {}
    for key, title, _kind, target in workloads:
        shares = [r["results"][key]["share"] for r in rounds]
        p95s = [r["results"][key]["p95_ms"] for r in rounds]
        wrong = sum(
            r["results"][key]["unexpected"] + r["results"][key]["socket_errors"] for r in rounds
        )
        lines = len(Path(plan["lists"][key]).read_text(encoding="utf-8").splitlines())
        distinct = min(1.0, lines / max(1, offsets[key]))
        met = ""
        if target:
            share_ok = target[0] is None or statistics.median(shares) >= target[0]
            met = (f">= {target[0]:.0%}, " if target[0] else "") + f"<= {target[1]} ms: "
            met += "met" if share_ok and statistics.median(p95s) <= target[1] else "**not met**"
        summary[key] = {"share": statistics.median(shares), "p95_ms": statistics.median(p95s)}
        print(
            f"| {title} | {' / '.join(f'{s:.0%}' for s in shares)} | "
            f"{statistics.median(shares):.0%} | {' / '.join(f'{p:.0f}' for p in p95s)} | "
            f"{statistics.median(p95s):.1f} | {met} | {wrong} | {distinct:.0%} |"
        )  # fmt: skip
    for step in ("checkout", "pay"):
        found = purchase[step]
        if found["n"]:
            met = "met" if found["p95_ms"] <= CHECKOUT_TARGET_MS else "**not met**"
            print(
                f"| {step} POST, 50 lines from 10 suppliers ({found['n']} one at a time) | | | "
                f"p50 {found['p50_ms']:.0f} | {found['p95_ms']:.1f} | <= {CHECKOUT_TARGET_MS} ms: "
                f"{met} | {len(purchase['failures'])} | |"
            )
    if purchase["failures"]:
        print("Checkout failures:", "; ".join(purchase["failures"][:5]))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"distinct-{stamp}.json").write_text(
        json.dumps(
            {
                "label": LABEL,
                "commit": _commit(APP_ROOT),
                "products": plan["products"],
                "workers": WORKERS,
                "threads": THREADS,
                "connections": CONNECTIONS,
                "seconds": SECONDS,
                "cache": CACHE,
                "postgres": plan["postgres"],
                "rounds": rounds,
                "summary": summary,
                "checkout_and_pay": purchase,
            },
            indent=2,
        )
    )
    print(f"\nbench/results/distinct-{stamp}.json")


if __name__ == "__main__":
    main()
