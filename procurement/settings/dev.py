"""Development: debug on unless told otherwise, everything embedded."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from procurement.settings.base import *  # noqa: F403
