"""The shared limits (tables `limits` and `model_limits`, migrations/README.md "Change limits"
and version 4): read and edit. Every change settles its provider in the same transaction, so a
raise, an unset or a resume grants waiting requests at once, in every process."""

import datetime
import sqlite3
from typing import TYPE_CHECKING, Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

from . import _check
from . import _store as S
from ._errors import DatabaseError
from ._upstream import at

if TYPE_CHECKING:
    from ._limiter import Limiter


class LimitSpec(NamedTuple):
    """A provider's limit. None: no such cap or budget. Times in seconds."""
    provider: str
    max_in_flight: Optional[int]
    cooldown: float
    paused: bool
    adaptive: bool
    requests_per_minute: Optional[int]
    tokens_per_minute: Optional[int]
    default_tokens: int
    aging: float
    updated_at: datetime.datetime


class ModelLimitSpec(NamedTuple):
    """A model's own limit under its provider. None: no such cap or budget."""
    provider: str
    model: str
    max_in_flight: Optional[int]
    requests_per_minute: Optional[int]
    tokens_per_minute: Optional[int]
    default_tokens: int
    updated_at: datetime.datetime


_LIMIT_COLUMNS = ("SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, requests_per_minute,"
                  " tokens_per_minute, default_tokens, aging_ms, updated_at_ms FROM limits")
_MODEL_COLUMNS = ("SELECT provider, model, max_in_flight, requests_per_minute, tokens_per_minute,"
                  " default_tokens, updated_at_ms FROM model_limits")
UPSERT_LIMIT = (
    "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms,"
    " requests_per_minute, tokens_per_minute, default_tokens, aging_ms)"
    " VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (provider) DO UPDATE SET"
    " max_in_flight = excluded.max_in_flight, cooldown_ms = excluded.cooldown_ms,"
    " adaptive = excluded.adaptive, updated_at_ms = excluded.updated_at_ms,"
    " requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,"
    " default_tokens = excluded.default_tokens, aging_ms = excluded.aging_ms")
UPSERT_MODEL = (
    "INSERT INTO model_limits (provider, model, max_in_flight, requests_per_minute, tokens_per_minute,"
    " default_tokens, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (provider, model) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
    " requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,"
    " default_tokens = excluded.default_tokens, updated_at_ms = excluded.updated_at_ms")


def _limit(r: Sequence[Any]) -> LimitSpec:
    return LimitSpec(r[0], r[1], r[2] / 1000, bool(r[3]), bool(r[4]), r[5], r[6], r[7], r[8] / 1000, at(r[9]))


def _model(r: Sequence[Any]) -> ModelLimitSpec:
    return ModelLimitSpec(r[0], r[1], r[2], r[3], r[4], r[5], at(r[6]))


def _budgets(max_in_flight: Any, rpm: Any, tpm: Any, default_tokens: Any) -> None:
    _check.integer("requests_per_minute", rpm, 1, 1_000_000, none_ok=True)
    _check.integer("tokens_per_minute", tpm, 1, 1_000_000_000, none_ok=True)
    _check.integer("default_tokens", default_tokens, 0, 100_000_000)
    if max_in_flight is None and rpm is None and tpm is None:
        raise ValueError("max_in_flight must be an integer from 1 to 10000, or None when a "
                         "requests_per_minute or tokens_per_minute budget holds instead (was None)")
    _check.integer("max_in_flight", max_in_flight, 1, 10000, none_ok=True)


class Limits:
    """Read and edit the shared limits; reached as `limiter.limits`. Thread-safe. Bad input
    raises ValueError naming the parameter, the rule and the value, and changes nothing; so
    does a row the database itself refuses (its CHECKs and triggers)."""

    def __init__(self, limiter: "Limiter") -> None:
        self._limiter = limiter

    def list(self) -> List[LimitSpec]:
        """Every provider's limit, by provider."""
        return [_limit(r) for r in self._limiter._read(lambda tx: tx.all(_LIMIT_COLUMNS + " ORDER BY provider"))]

    def get(self, provider: str) -> Optional[LimitSpec]:
        _check.name("provider", provider)
        row = self._limiter._read(lambda tx: tx.one(_LIMIT_COLUMNS + " WHERE provider = ?", provider))
        return None if row is None else _limit(row)

    def set(self, provider: str, max_in_flight: Optional[int] = None, *, cooldown: float = 0,
            adaptive: bool = False, requests_per_minute: Optional[int] = None,
            tokens_per_minute: Optional[int] = None, default_tokens: int = 0,
            aging: float = 30) -> LimitSpec:
        """Create or replace the provider's limit (the paused flag is kept; see pause/resume).
        max_in_flight 1 to 10000 (None: no cap, when a budget holds instead); cooldown 0 to 3600
        s; requests_per_minute 1 to 1000000; tokens_per_minute 1 to 1000000000; default_tokens
        0 to 100000000 and at most tokens_per_minute; aging 1 to 3600 s."""
        _check.name("provider", provider)
        _budgets(max_in_flight, requests_per_minute, tokens_per_minute, default_tokens)
        _check.seconds("cooldown", cooldown, 3600, none_ok=False)
        if not isinstance(adaptive, bool):
            raise ValueError(f"adaptive must be True or False (was {adaptive!r})")
        _check.seconds("aging", aging, 3600, none_ok=False)
        if aging < 1:
            raise ValueError(f"aging must be a number of seconds from 1 to 3600 (was {aging!r})")
        cooldown_ms, aging_ms = int(round(cooldown * 1000)), int(round(aging * 1000))

        def change(tx: S.Tx) -> LimitSpec:
            was = tx.one("SELECT adaptive FROM limits WHERE provider = ?", provider)
            tx.run(UPSERT_LIMIT, provider, max_in_flight, cooldown_ms, int(adaptive), tx.now,
                   requests_per_minute, tokens_per_minute, default_tokens, aging_ms)
            if adaptive and not (was and was[0]):  # adaptation starts from the configured limit
                tx.run("UPDATE admission SET effective_limit = NULL, successes = 0 WHERE provider = ?", provider)
            self._limiter._settle(tx, provider, False)
            return _limit(tx.one(_LIMIT_COLUMNS + " WHERE provider = ?", provider))

        return self._edit(change, "set a limit in", [
            ("max_in_flight", "max_in_flight", max_in_flight), ("cooldown", "cooldown_ms", cooldown),
            ("requests_per_minute", "requests_per_minute", requests_per_minute),
            ("tokens_per_minute", "tokens_per_minute", tokens_per_minute),
            ("default_tokens", "default_tokens", default_tokens), ("aging", "aging_ms", aging),
            ("provider", "provider", provider)])

    def unset(self, provider: str) -> bool:
        """Make the provider unlimited; returns whether it had a limit."""
        _check.name("provider", provider)
        return self._edit(lambda tx: self._run_and_settle(
            tx, provider, ("DELETE FROM limits WHERE provider = ?", provider)) > 0, "remove a limit from", [])

    def pause(self, provider: str) -> None:
        """Grant nothing more for the provider (held leases stay held; requests queue)."""
        _check.name("provider", provider)
        n = self._edit(lambda tx: self._run_and_settle(
            tx, provider, ("UPDATE limits SET paused = 1, updated_at_ms = ?2 WHERE provider = ?1", provider,
                           tx.now)), "pause a provider in", [])
        if n == 0:
            raise ValueError(f"provider must have a limit to be paused (was {provider!r})")

    def resume(self, provider: str) -> None:
        """Grant again at once: clear the paused flag and lift a 429 pause in force."""
        _check.name("provider", provider)
        n = self._edit(lambda tx: self._run_and_settle(
            tx, provider, ("UPDATE limits SET paused = 0, updated_at_ms = ?2 WHERE provider = ?1", provider,
                           tx.now),
            ("UPDATE admission SET paused_until_ms = NULL, pause_reason = NULL WHERE provider = ?1"
             " AND paused_until_ms > ?2", provider, tx.now)), "resume a provider in", [])
        if n == 0:
            raise ValueError(f"provider must have a limit or a 429 pause in force to be resumed (was {provider!r})")

    def models(self) -> List[ModelLimitSpec]:
        """Every model's own limit, by provider and model."""
        return [_model(r) for r in self._limiter._read(
            lambda tx: tx.all(_MODEL_COLUMNS + " ORDER BY provider, model"))]

    def set_model(self, provider: str, model: str, max_in_flight: Optional[int] = None, *,
                  requests_per_minute: Optional[int] = None, tokens_per_minute: Optional[int] = None,
                  default_tokens: int = 0) -> ModelLimitSpec:
        """Create or replace a model's own limit; the same ranges as set()."""
        _check.name("provider", provider)
        _check.model(provider, model, allow_empty=False)
        _budgets(max_in_flight, requests_per_minute, tokens_per_minute, default_tokens)

        def change(tx: S.Tx) -> ModelLimitSpec:
            tx.run(UPSERT_MODEL, provider, model, max_in_flight, requests_per_minute, tokens_per_minute,
                   default_tokens, tx.now)
            self._limiter._settle(tx, provider, False)
            return _model(tx.one(_MODEL_COLUMNS + " WHERE provider = ? AND model = ?", provider, model))

        return self._edit(change, "set a model's limit in", [
            ("max_in_flight", "max_in_flight", max_in_flight),
            ("requests_per_minute", "requests_per_minute", requests_per_minute),
            ("tokens_per_minute", "tokens_per_minute", tokens_per_minute),
            ("default_tokens", "default_tokens", default_tokens), ("model", "model", model),
            ("provider", "provider", provider)])

    def unset_model(self, provider: str, model: str) -> bool:
        """Remove a model's own limit (its requests then count against the provider's alone)."""
        _check.name("provider", provider)
        _check.model(provider, model, allow_empty=False)
        return self._edit(lambda tx: self._run_and_settle(
            tx, provider, ("DELETE FROM model_limits WHERE provider = ? AND model = ?", provider, model)) > 0,
            "remove a model's limit from", [])

    # ---- plumbing -------------------------------------------------------------------------

    def _run_and_settle(self, tx: S.Tx, provider: str, *statements: Tuple[Any, ...]) -> int:
        n = sum(tx.run(sql, *args) for sql, *args in statements)
        self._limiter._settle(tx, provider, False)
        return n

    def _edit(self, fn: Callable[[S.Tx], Any], what: str, params: List[Tuple[str, str, Any]]) -> Any:
        """Run one edit; a row the database refuses becomes a ValueError naming the parameter
        whose column the refusal names first, the database's rule, and the value given."""
        try:
            result = self._limiter._write(fn, what=what)
        except DatabaseError as e:
            cause = e.__cause__
            if not isinstance(cause, sqlite3.IntegrityError):
                raise
            rule = str(cause)
            named = sorted((rule.find(column), param, value) for param, column, value in params
                           if column in rule)
            if not named:
                raise ValueError(f"the change was refused by the database: {rule}") from None
            _, param, value = named[0]
            raise ValueError(f"{param} must satisfy the database's rule '{rule}' (was {value!r})") from None
        self._limiter._changed()
        return result
