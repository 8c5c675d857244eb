import os

from django.core.asgi import get_asgi_application

# Served processes run the production settings unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.production")
application = get_asgi_application()
