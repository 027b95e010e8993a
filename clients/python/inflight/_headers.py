"""Reading a provider's rate-limit headers, as the Java client's Limiter.observe reads them:
OpenAI's x-ratelimit-remaining-{requests,tokens} with x-ratelimit-reset-{requests,tokens}
durations (1s, 6m0s, 20ms); Anthropic's anthropic-ratelimit-requests-{remaining,reset} and, for
tokens, the lowest of its tokens, input-tokens and output-tokens counts with that count's reset
(RFC 3339 times); retry-after in seconds or as an HTTP date. A header it cannot read is ignored
with one debug line; nothing here raises. (x-ratelimit-limit-* says the size of the budget, not
what remains, and is not used.)"""

import datetime
import email.utils
import math
import re
from typing import Any, Dict, Mapping, NamedTuple, Optional

from ._errors import LOG
from ._identity import printable

_COUNT = re.compile(r"[0-9]{1,15}")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]+)?")
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


class Read(NamedTuple):
    """What was understood; -1 where nothing was. Resets and retry-after in ms from now."""
    requests_remaining: int = -1
    requests_reset_ms: int = 0
    tokens_remaining: int = -1
    tokens_reset_ms: int = 0
    retry_after_ms: int = -1

    def any_budget(self) -> bool:
        return self.requests_remaining >= 0 or self.tokens_remaining >= 0


def _first(value: Any) -> Optional[str]:
    if isinstance(value, bytes):
        try:
            return value.decode("latin-1")
        except UnicodeDecodeError:
            return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value:
        return _first(value[0])
    return None


def _ignored(name: str, value: str) -> None:
    LOG.debug("ignored the header %s: %s (not understood)", name, printable(value))


def _items(headers: Any) -> Any:
    # httpx.Headers and http.client.HTTPMessage have multi_items()/items(); a dict has items()
    if hasattr(headers, "multi_items"):
        return headers.multi_items()
    return headers.items()


def read(headers: Optional[Mapping[str, Any]], now_ms: int) -> Read:
    h: Dict[str, str] = {}
    try:
        for key, value in _items(headers) if headers is not None else ():
            name, v = _first(key), _first(value)
            if name is not None and v is not None and name.strip().lower() not in h:
                h[name.strip().lower()] = v.strip()
    except Exception as e:  # a mapping we cannot walk: nothing understood
        LOG.debug("ignored the headers: %s", e)
        return Read()
    req_left, req_reset, tok_left, tok_reset = -1, 0, -1, 0
    v = _count(h, "x-ratelimit-remaining-requests")
    if v >= 0:
        req_left, req_reset = v, _duration(h, "x-ratelimit-reset-requests")
    v = _count(h, "x-ratelimit-remaining-tokens")
    if v >= 0:
        tok_left, tok_reset = v, _duration(h, "x-ratelimit-reset-tokens")
    # Anthropic: the tightest of its token limits stands for ours (we count input plus output)
    v = _count(h, "anthropic-ratelimit-requests-remaining")
    if v >= 0:
        req_left, req_reset = v, _instant(h, "anthropic-ratelimit-requests-reset", now_ms)
    for kind in ("tokens", "input-tokens", "output-tokens"):
        v = _count(h, f"anthropic-ratelimit-{kind}-remaining")
        if v >= 0 and (tok_left < 0 or v < tok_left):
            tok_left, tok_reset = v, _instant(h, f"anthropic-ratelimit-{kind}-reset", now_ms)
    return Read(req_left, req_reset, tok_left, tok_reset, _retry_after(h, now_ms))


def _count(h: Dict[str, str], name: str) -> int:
    v = h.get(name)
    if v is None:
        return -1
    if _COUNT.fullmatch(v):
        return int(v)
    _ignored(name, v)
    return -1


def _duration(h: Dict[str, str], name: str) -> int:
    """An OpenAI reset (1h2m3.5s, 20ms) in ms; 0 when unreadable."""
    v = h.get(name)
    if v is None:
        return 0
    ms, end = 0.0, 0
    for m in _PART.finditer(v):
        if m.start() != end:
            break
        ms += float(m.group(1)) * _UNIT_MS[m.group(2)]
        end = m.end()
    if end == 0 or end != len(v):
        _ignored(name, v)
        return 0
    return int(math.ceil(ms))


def _epoch_ms(at: datetime.datetime) -> int:
    return int(at.timestamp() * 1000)


def _instant(h: Dict[str, str], name: str, now_ms: int) -> int:
    """An Anthropic reset (RFC 3339) as ms from now; 0 when unreadable."""
    v = h.get(name)
    if v is None:
        return 0
    m = _RFC3339.fullmatch(v)
    try:
        if m is None:
            raise ValueError(v)
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        micro = int(round(float(m.group(7)) * 1_000_000)) if m.group(7) else 0
        zone = m.group(8)
        if zone in ("Z", "z"):
            tz = datetime.timezone.utc
        else:
            sign = 1 if zone[0] == "+" else -1
            tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        at = datetime.datetime(year, month, day, hour, minute, second, min(micro, 999_999), tzinfo=tz)
    except (ValueError, OverflowError):
        _ignored(name, v)
        return 0
    return max(0, _epoch_ms(at) - now_ms)


def _retry_after(h: Dict[str, str], now_ms: int) -> int:
    v = h.get("retry-after")
    if v is None:
        return -1
    if _SECONDS.fullmatch(v):
        return int(math.ceil(float(v) * 1000))
    try:
        at = email.utils.parsedate_to_datetime(v)
        if at is None or at.tzinfo is None:
            raise ValueError(v)
    except (TypeError, ValueError, IndexError, OverflowError):
        _ignored("retry-after", v)
        return -1
    return max(0, _epoch_ms(at) - now_ms)
