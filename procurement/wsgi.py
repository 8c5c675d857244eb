import os

from django.core.wsgi import get_wsgi_application

# Served processes run the production settings unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.production")
application = get_wsgi_application()
