"""Numbers read from environment variables, with one of two policies made explicit.

- **strict** (stores, servers, the registry): a value that breaks the rule
  raises :class:`~mltrail.exceptions.InvalidParameterError` naming the
  variable, the value and the rule: a misconfigured server must not start on
  a guess.
- **lenient** (autologging, which must never break training): the value is
  ignored with one warning on logger ``mltrail`` naming the variable, the
  value and the rule, and the default is used.

An unset or blank variable is the default under both. The rule is a
:class:`NumberRule`; :func:`require_number` applies the same rule to a
value given in code (``serve(max_body_size=...)``)::

    SECONDS = NumberRule("seconds", positive=True)
    env_number("MLTRAIL_SQL_STATEMENT_TIMEOUT", 30.0, SECONDS, strict=True)
    # MLTRAIL_SQL_STATEMENT_TIMEOUT='soon' is invalid: it must be a positive finite number of seconds
    env_number("MLTRAIL_AUTOLOG_BUFFER_SECONDS", 60.0, NumberRule("seconds", minimum=0), strict=False)
    # 60.0, and once: MLTRAIL_AUTOLOG_BUFFER_SECONDS='-1' is invalid: it must be ...; using the default 60
"""

from __future__ import annotations

import logging
import math
import os
import threading
from dataclasses import dataclass
from typing import Optional, Union

from .exceptions import InvalidParameterError

Number = Union[int, float]

_logger = logging.getLogger("mltrail")
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class NumberRule:
    """What a numeric setting accepts: always a finite number (a whole one when ``whole``), above 0 when
    ``positive``, at least ``minimum`` when given. ``str(rule)`` is the rule as an error message says it.

    >>> str(NumberRule("bytes", whole=True, positive=True)), str(NumberRule("seconds", minimum=0))
    ('a positive whole number of bytes', 'a finite number of seconds >= 0')
    """

    unit: str = ""
    whole: bool = False
    positive: bool = False
    minimum: Optional[float] = None
    #: a few words after the rule: what a value means (``"0 or less: no bound"``)
    note: str = ""

    def __str__(self) -> str:
        words = ["a", "positive" if self.positive else "", "whole" if self.whole else "finite", "number"]
        text = " ".join(w for w in words if w) + (f" of {self.unit}" if self.unit else "")
        if self.minimum is not None:
            text += f" >= {int(self.minimum) if float(self.minimum).is_integer() else self.minimum}"
        return text + (f" ({self.note})" if self.note else "")

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (a number, not its text) keeps the rule.

        >>> NumberRule(positive=True).accepts(0), NumberRule(minimum=0).accepts(0.0), NumberRule().accepts(float("nan"))
        (False, True, False)
        """
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)):
            return False
        if not math.isfinite(value):
            return False
        if self.positive and not value > 0:
            return False
        return self.minimum is None or value >= self.minimum

    def parse(self, text: str) -> Optional[Number]:
        """The number ``text`` spells when it keeps the rule, else None.

        >>> NumberRule(whole=True).parse(" 20 "), NumberRule(whole=True).parse("1.5"), NumberRule().parse("1e3")
        (20, None, 1000.0)
        """
        try:
            value: Number = int(text) if self.whole else float(text)
        except ValueError:
            return None
        return value if self.accepts(value) else None


def require_number(value: object, rule: NumberRule, where: str) -> Number:
    """``value`` when it keeps ``rule``, else InvalidParameterError naming ``where``, the value and the rule.

    >>> require_number(5, NumberRule("bytes", whole=True, positive=True), "max_body_size")
    5
    """
    if not rule.accepts(value):
        raise InvalidParameterError(f"{where}={value!r} is invalid: it must be {rule}")
    return value  # type: ignore[return-value]


def env_number(name: str, default: Number, rule: NumberRule, *, strict: bool) -> Number:
    """The number in environment variable ``name`` (``default`` when unset or blank).

    A value breaking ``rule`` raises InvalidParameterError when ``strict``; otherwise it is
    ignored with one warning (once per variable and value) and ``default`` is returned.

    >>> os.environ["MLTRAIL_SCORING_MAX_BODY_BYTES"] = "lots"
    >>> env_number("MLTRAIL_SCORING_MAX_BODY_BYTES", 100, NumberRule("bytes", whole=True), strict=False)
    100
    """
    text = os.environ.get(name, "")
    if not text.strip():
        return default
    value = rule.parse(text.strip())
    if value is not None:
        return value
    message = f"{name}={text!r} is invalid: it must be {rule}"
    if strict:
        raise InvalidParameterError(message)
    with _warned_lock:
        first = (name, text) not in _warned
        _warned.add((name, text))
    if first:
        _logger.warning("%s; using the default %g", message, default)
    return default


__all__ = ["NumberRule", "env_number", "require_number"]
