"""What a served process loads as it starts (wsgi.py, asgi.py), so that no merchant's request
waits for it. Each was measured as the first request of its kind in a new process:

- jieba's dictionary, about two seconds, for the first Chinese search;
- every app's tasks, for the first task sent (e.g. by a payment): found missing, they are
  loaded by Celery's autodiscovery, whose Django fixup also runs Django's system checks, a
  quarter of a second and a database connection inside that request. Importing each app's
  `tasks` module registers the same tasks without either;
- Django's map of the relations between models, about 0.15 s, for the first query that
  follows a relation backwards (the ledger's, in that same payment).
"""

from celery import current_app
from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from catalog.search import segmenter_load


def tasks_register() -> None:
    autodiscover_modules("tasks")
    current_app.tasks  # noqa: B018 - reading the registry finalizes the app, once


def served_process_ready() -> None:
    segmenter_load()
    tasks_register()
    for model in apps.get_models():
        model._meta.get_fields()
