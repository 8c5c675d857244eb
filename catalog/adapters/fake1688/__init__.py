"""A local fake of the 1688 open platform (``ALIBABA_OPEN_FAKE=1``): for tests, ``make run`` and
``seed_demo``. Its state lives in its own table, so every process of the portal (the web
process, a Celery worker, a management command) sees the same offers and orders.
`catalog.adapters.fake1688.gateway` holds the transport and what tests tell it."""
