"""Small pieces every stage shares: stable ids, the clock, how a failure becomes a dead letter, and artefacts read
once per process."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import threading
from collections.abc import Callable, Hashable
from typing import Any, ClassVar

from schemas import DeadLetter

# The tagged output every stage routes its failures to (klio-style): nothing is raised out of a bundle.
DEAD = "dead_letters"


def lazy_exports(module: str, names: frozenset[str], source: str) -> Callable[[str], Any]:
    """A module's `__getattr__` (PEP 562) giving `names` from module `source`, imported on first access: a stage
    module re-exports its Beam transform this way, so that `conflictwire analyze` never imports Apache Beam."""

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(source), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


def stable_id(*parts: str, length: int = 16) -> str:
    """A short, stable hex id for the given parts (the same parts give the same id on every run)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def dead_letter(
    stage: str,
    reason: str,
    *,
    url: str | None = None,
    feed_url: str | None = None,
    item_id: str | None = None,
    http_status: int | None = None,
    detail: str | None = None,
) -> DeadLetter:
    if detail is not None and len(detail) > 2000:
        detail = detail[:2000] + "..."
    return DeadLetter(
        stage=stage,
        reason=reason,
        url=url,
        feed_url=feed_url,
        item_id=item_id,
        http_status=http_status,
        detail=detail,
        at=utcnow(),
    )


class StageError(Exception):
    """A failure a stage's core reports: `reason` becomes the dead letter's reason."""

    def __init__(self, reason: str, detail: str = "", http_status: int | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.http_status = http_status


class LoadedOnce:
    """A shipped artefact (model, encoder) read once per process and key: Beam workers ask from every DoFn.setup().

    Each subclass declares its own `_cache` dict and `_lock`, so that clearing one class's cache leaves the others."""

    _cache: ClassVar[dict[Any, Any]]
    _lock: ClassVar[threading.Lock]

    @classmethod
    def _loaded(cls, key: Hashable, build: Callable[[], Any]) -> Any:
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = build()
            return cls._cache[key]
