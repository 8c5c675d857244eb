"""A Celery worker on the `exports` queue for the fault tests, started as its own process:

    python -m tests.faults.export_worker MEDIA_ROOT VISIBILITY_SECONDS [--stall]

It reads the test database (DATABASE_URL) and the broker (CELERY_BROKER_URL) from the
environment, keeps files under MEDIA_ROOT (the test settings keep them in memory, out of the
test's reach), and hands an unacknowledged task to another worker VISIBILITY_SECONDS after it was
taken. With --stall the export hangs once it is running, so the test can kill the worker there.
"""

import os
import sys
import time

os.environ["DJANGO_SETTINGS_MODULE"] = "procurement.settings.test"

import django
from django.conf import settings


def main(argv: list[str]) -> None:
    media_root, visibility = argv[0], int(argv[1])
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media_root},
        },
    }
    django.setup()

    from payments import exports
    from procurement.celery import app

    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "visibility_timeout": visibility,
    }
    if "--stall" in argv:

        def stalled(path, **kwargs):
            print("export stalled", flush=True)
            time.sleep(600)
            raise AssertionError("the stalled worker should have been killed")

        exports.write_settlement_xlsx = stalled

    app.worker_main(
        [
            "worker",
            "--pool",
            "solo",
            "--queues",
            "exports",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1:])
