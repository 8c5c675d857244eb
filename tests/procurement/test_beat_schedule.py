import importlib
import importlib.util

from django.apps import apps

from procurement.celery import app


def test_every_beat_entry_names_a_registered_task():
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks") is not None:
            importlib.import_module(f"{config.name}.tasks")
    missing = {
        name: entry["task"]
        for name, entry in app.conf.beat_schedule.items()
        if entry["task"] not in app.tasks
    }
    assert not missing
