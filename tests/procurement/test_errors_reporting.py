"""Error reports leave without personal data."""

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from procurement.core import errors_reporting

# Built at run time: the source lines a report quotes around a frame must not hold them either.
EMAIL = "@".join(["buyer", "example.com"])
IBAN = "DE89" + "3704" * 4 + "00"
ADDRESS = ".".join(["203", "0", "113", "9"])


class Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


def test_reports_carry_no_personal_data(monkeypatch):
    transport = Captured()
    errors_reporting.init(
        dsn="https://public@sentry.example.invalid/1",
        environment="test",
        release="",
        traces_sample_rate=0,
    )
    sentry_sdk.get_client().transport = transport
    try:
        sentry_sdk.set_user({"id": 42, "email": EMAIL, "ip_address": ADDRESS})

        def pay(email, iban, amount):
            raise ValueError("declined")

        try:
            pay(EMAIL, IBAN, 10)
        except ValueError as error:
            sentry_sdk.capture_exception(error)
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: reporting off again for the other tests

    (event,) = transport.events
    assert event["user"] == {"id": 42}
    text = str(event)
    for value in (EMAIL, IBAN, ADDRESS):
        assert value not in text
