"""Checks of the caller's arguments: each failure is a ValueError naming the parameter, the rule
and the value, raised before anything is written."""

from typing import Any, Optional, Tuple

from . import _identity
from . import _store as S


def name(parameter: str, value: Any, allow_empty: bool = False, max_len: int = 200) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{parameter} must be a string (was {value!r})")
    low = 0 if allow_empty else 1
    if not low <= len(value) <= max_len:
        raise ValueError(f"{parameter} must be {low} to {max_len} characters (was {len(value)}: "
                         f"{_identity.printable(value[:40])!r})")
    if _identity.has_control(value):
        raise ValueError(f"{parameter} must not hold control characters (U+0000-U+001F, "
                         f"U+007F-U+009F) (was {_identity.printable(value)!r})")
    if "\ufffd" in value:
        raise ValueError(f"{parameter} must be valid text without U+FFFD (was {value!r})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{parameter} must be valid UTF-8 text (was {value!r})") from None


def integer(parameter: str, value: Any, low: int, high: int, none_ok: bool = False) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        prefix = "None or " if none_ok else ""
        raise ValueError(f"{parameter} must be {prefix}an integer from {low} to {high} (was {value!r})")


def seconds(parameter: str, value: Any, high: float, none_ok: bool = True) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        prefix = "None or " if none_ok else ""
        raise ValueError(f"{parameter} must be {prefix}a number of seconds from 0 to {high:g} "
                         f"(was {value!r})")


def model(provider: str, value: str, allow_empty: bool = True) -> None:
    name("model", value, allow_empty=allow_empty)
    if value.startswith(provider + "/"):
        raise ValueError(f"model must be the model's own name under its provider (provider "
                         f"{provider!r}, model {value!r}; not {provider + '/' + value!r})")


def request(provider: str, model_name: str, weight: Any, tokens: Any, priority: Any, label: Any) -> None:
    name("provider", provider)
    model(provider, model_name)
    integer("weight", weight, 1, 10000)
    integer("tokens", tokens, 0, 100_000_000, none_ok=True)
    if priority not in S.PRIORITIES:
        raise ValueError(f"priority must be one of interactive, normal, batch (was {priority!r})")
    name("label", label, allow_empty=True)


def split(provider: Any, model_name: Optional[str]) -> Tuple[Any, str]:
    """'openai/gpt-4o' names provider and model, split at the first '/'."""
    if model_name is None and isinstance(provider, str) and "/" in provider:
        provider, model_name = provider.split("/", 1)
    return provider, model_name or ""
