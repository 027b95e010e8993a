"""What the provider itself says, shared with every process: its rate-limit headers become the
`upstream_budget` word of its level (migrations/README.md, "upstream_budget"), and a 429 or a
retry-after pauses it ("Report a 429 without a lease")."""

import datetime
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Optional

from . import _admission as A
from . import _check, _headers
from . import _store as S
from ._lease import MAX_RETRY_AFTER_S

if TYPE_CHECKING:
    from ._limiter import Limiter

MAX_RESET_MS = 86_400_000
MAX_REQUESTS_LEFT = 100_000_000
MAX_TOKENS_LEFT = 10_000_000_000
DEFAULT_RETRY_AFTER_S = 30.0

# The counts an observation names replace the old ones; a count it does not name stays while in
# force (its reset ahead), and is dropped once it has reset.
UPSERT_WORD = (
    "INSERT INTO upstream_budget (provider, model, requests_remaining, requests_reset_at_ms,"
    " tokens_remaining, tokens_reset_at_ms, observed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (provider, model) DO UPDATE SET"
    " requests_remaining = CASE WHEN ?3 IS NOT NULL THEN ?3"
    "  WHEN requests_reset_at_ms > ?7 THEN requests_remaining END,"
    " requests_reset_at_ms = CASE WHEN ?3 IS NOT NULL THEN ?4"
    "  WHEN requests_reset_at_ms > ?7 THEN requests_reset_at_ms END,"
    " tokens_remaining = CASE WHEN ?5 IS NOT NULL THEN ?5"
    "  WHEN tokens_reset_at_ms > ?7 THEN tokens_remaining END,"
    " tokens_reset_at_ms = CASE WHEN ?5 IS NOT NULL THEN ?6"
    "  WHEN tokens_reset_at_ms > ?7 THEN tokens_reset_at_ms END,"
    " observed_at_ms = ?7")


class Observation(NamedTuple):
    """What observe() understood and shared; -1 and None where the headers said nothing it
    could read. A point-in-time answer, in UTC."""
    requests_remaining: int
    requests_reset_at: Optional[datetime.datetime]
    tokens_remaining: int
    tokens_reset_at: Optional[datetime.datetime]
    paused_until: Optional[datetime.datetime]

    def understood(self) -> bool:
        return self.requests_remaining >= 0 or self.tokens_remaining >= 0 or self.paused_until is not None


def at(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def _clamp(ms: int) -> int:
    return min(max(0, ms), MAX_RESET_MS)


def observe(limiter: "Limiter", provider: str, model: Optional[str],
            headers: Optional[Mapping[str, Any]]) -> Observation:
    provider, model_name = _check.split(provider, model)
    _check.name("provider", provider)
    _check.model(provider, model_name)
    now = limiter._clock()
    r = _headers.read(headers, now)
    if r.any_budget():
        req = None if r.requests_remaining < 0 else min(r.requests_remaining, MAX_REQUESTS_LEFT)
        tok = None if r.tokens_remaining < 0 else min(r.tokens_remaining, MAX_TOKENS_LEFT)

        def record(tx: S.Tx) -> None:
            tx.run(UPSERT_WORD, provider, model_name,
                   req, None if req is None else tx.now + _clamp(r.requests_reset_ms),
                   tok, None if tok is None else tx.now + _clamp(r.tokens_reset_ms), tx.now)
            limiter._settle(tx, provider, False)

        limiter._write(record, what="record the provider's word in")
        limiter._changed()
    paused = None
    if r.retry_after_ms >= 0:
        paused = report_429(limiter, provider, min(r.retry_after_ms, MAX_RESET_MS) / 1000)
    return Observation(
        r.requests_remaining, None if r.requests_remaining < 0 else at(now + _clamp(r.requests_reset_ms)),
        r.tokens_remaining, None if r.tokens_remaining < 0 else at(now + _clamp(r.tokens_reset_ms)),
        paused)


def report_429(limiter: "Limiter", provider: str, retry_after: Optional[float]) -> datetime.datetime:
    _check.name("provider", provider)
    _check.seconds("retry_after", retry_after, MAX_RETRY_AFTER_S)
    ms = int((DEFAULT_RETRY_AFTER_S if retry_after is None else retry_after) * 1000)

    def record(tx: S.Tx) -> int:
        A.record_429(tx, provider, tx.now + ms, "429 reported", tx.now)
        limiter._settle(tx, provider, False)
        return max(A.paused_until(tx, provider), tx.now)

    until = limiter._write(record, what="record a 429 in")
    limiter._changed()
    return at(until)
