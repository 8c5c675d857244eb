import os

from django.core.wsgi import get_wsgi_application

# Served processes run the production settings unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.production")
application = get_wsgi_application()

# Loaded as the process starts rather than in some merchant's first request (startup.py).
from procurement.startup import served_process_ready  # noqa: E402 - needs the app registry

served_process_ready()
