"""Per-page query count and CPU time through Django's test client (not a benchmark).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/catalog_bench PYTHONPATH=. \
        .venv/bin/python bench/_profile_pages.py [/catalog/ ...] [--profile] [--htmx]

With --profile, PROFILE_SORT (cumulative) and PROFILE_LINES (45) shape cProfile's listing.
"""

import cProfile
import os
import pstats
import sys
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench._catalog_settings"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from procurement.accounts.models import User  # noqa: E402

PATHS = [a for a in sys.argv[1:] if not a.startswith("--")] or ["/catalog/"]
PROFILE = "--profile" in sys.argv
N = 200

client = Client()
client.force_login(User.objects.get(email="bench@example.com"))
for path in PATHS:
    headers = {"HX-Request": "true"} if "--htmx" in sys.argv else {}
    client.get(path, headers=headers)  # warm
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, headers=headers)
    print(f"{path}: {response.status_code}, {len(response.content)} B, {len(ctx)} queries")
    for q in ctx.captured_queries:
        print(f"    {q['time']}s  {q['sql'][:160]}")
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        client.get(path, headers=headers)
    wall = (time.perf_counter() - started) / N * 1000
    cpu = (time.process_time() - cpu) / N * 1000
    print(f"    {wall:.2f} ms wall, {cpu:.2f} ms CPU per request (test client)")
    if PROFILE:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(N):
            client.get(path, headers=headers)
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            int(os.environ.get("PROFILE_LINES", "45"))
        )
