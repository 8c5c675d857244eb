"""What the two fake platforms share: scripted failures and delivering signed webhooks."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import httpx


@dataclass
class Failures:
    """Failures to answer on the next calls: ("throttle" | "server_error" | "revoked" |
    "timeout", operation or None for any), consumed one per call."""

    queue: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, kind: str, *, times: int = 1, operation: str | None = None) -> None:
        self.queue.extend([(kind, operation)] * times)

    def take(self, operation: str) -> str | None:
        for index, (kind, wanted) in enumerate(self.queue):
            if wanted is None or wanted == operation:
                del self.queue[index]
                return kind
        return None


_ids = itertools.count(1001)


def next_id() -> int:
    return next(_ids)


def post_json(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Deliver a webhook over HTTP, as the platform would (`make run`, browser tests)."""
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    return response.status_code


def dumps(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
