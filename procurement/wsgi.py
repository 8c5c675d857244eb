import os

from django.core.wsgi import get_wsgi_application

# Served processes run the production settings unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.production")
application = get_wsgi_application()

# Chinese queries are segmented by jieba: each process loads its dictionary as it starts, so
# no merchant's search waits for it.
from catalog.search import segmenter_load  # noqa: E402 - needs the app registry loaded above

segmenter_load()
