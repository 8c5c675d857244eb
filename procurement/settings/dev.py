"""Development: debug on unless told otherwise, everything embedded."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
# Without real 1688 credentials, `make run` and `seed_demo` talk to the local fake platform.
if not os.environ.get("ALIBABA_OPEN_APP_KEY"):
    os.environ.setdefault("ALIBABA_OPEN_FAKE", "1")

from procurement.settings.base import *  # noqa: F403
