"""Filters, ordering and page tokens of the registry searches.

Filter grammar (MLflow's for the registry): comparisons joined by ``AND``::

    name = 'nyc-taxi'            name != 'x'        name LIKE 'nyc-%'     name ILIKE '%TAXI%'
    tags.team = 'growth'         tags.`my key` LIKE 'a%'
    # model versions only:
    version_number >= 2          run_id = 'abc...'  run_id IN ('a', 'b')  source_path LIKE 'runs:/%'
    current_stage = 'Production'

Strings are quoted with ``'`` or ``"``. A malformed filter raises
:class:`InvalidParameterError` quoting the offending token and its position.

>>> parse_filter("name LIKE 'nyc%' AND tags.team = 'growth'", MODEL_ATTRIBUTES)
[Comparison(kind='attribute', key='name', op='LIKE', value='nyc%'), Comparison(kind='tag', key='team', op='=', value='growth')]
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ...exceptions import InvalidParameterError

#: attribute -> kind of value ("str" or "int"), for registered models.
MODEL_ATTRIBUTES = {"name": "str"}
#: attribute -> kind of value, for model versions.
VERSION_ATTRIBUTES = {
    "name": "str",
    "version_number": "int",
    "run_id": "str",
    "source_path": "str",
    "current_stage": "str",
}
#: order_by keys -> column names, for registered models.
MODEL_ORDER_KEYS = {
    "name": "name",
    "creation_timestamp": "creation_time",
    "timestamp": "creation_time",
    "last_updated_timestamp": "last_updated_time",
}
#: order_by keys -> column names, for model versions.
VERSION_ORDER_KEYS = {
    "name": "name",
    "version_number": "version",
    "creation_timestamp": "creation_time",
    "timestamp": "creation_time",
    "last_updated_timestamp": "last_updated_time",
}

_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN")
_TAG_OPS = ("=", "!=", "LIKE", "ILIKE")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<tag>(?i:tags?)\.(?:`[^`]*`|"[^"]*"|[A-Za-z0-9_.\-]+))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Comparison:
    """One ``<key> <op> <value>`` clause; ``kind`` is "attribute" or "tag"."""

    kind: str
    key: str
    op: str
    value: Any


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InvalidParameterError(
                f"Invalid filter {text!r}: unexpected character {text[pos]!r} at position {pos}"
            )
        if m.lastgroup != "space":
            tokens.append(_Token(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    return tokens


def _unquote(token: _Token) -> str:
    body = token.text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str, attributes: dict[str, str]) -> None:
        self.text = text
        self.attributes = attributes
        self.tokens = _tokenize(text)
        self.i = 0

    def _error(self, token: Optional[_Token], rule: str) -> InvalidParameterError:
        if token is None:
            return InvalidParameterError(f"Invalid filter {self.text!r}: unexpected end of filter; {rule}")
        return InvalidParameterError(
            f"Invalid filter {self.text!r}: {token.text!r} at position {token.pos}: {rule}"
        )

    def _peek(self) -> Optional[_Token]:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _next(self, rule: str) -> _Token:
        token = self._peek()
        if token is None:
            raise self._error(None, rule)
        self.i += 1
        return token

    def parse(self) -> list[Comparison]:
        clauses = [self._comparison()]
        while self._peek() is not None:
            token = self._next("expected AND")
            if token.kind != "word" or token.text.upper() != "AND":
                raise self._error(token, "comparisons must be joined by AND")
            clauses.append(self._comparison())
        return clauses

    def _comparison(self) -> Comparison:
        allowed = ", ".join([*self.attributes, "tags.<key>"])
        token = self._next(f"expected one of {allowed}")
        kind, key = self._identifier(token, allowed)
        value_kind = "str" if kind == "tag" else self.attributes[key]
        ops = _TAG_OPS if kind == "tag" else (_NUMBER_OPS if value_kind == "int" else _STRING_OPS)
        op = self._operator(ops)
        if op in ("IN", "NOT IN"):
            value: Any = self._list(value_kind)
        else:
            value = self._value(value_kind)
        return Comparison(kind, key, op, value)

    def _identifier(self, token: _Token, allowed: str) -> tuple[str, str]:
        if token.kind == "tag":
            key = token.text.split(".", 1)[1]
            if key[:1] in ("`", '"'):
                key = key[1:-1]
            if not key:
                raise self._error(token, "a tag key must not be empty")
            return "tag", key
        if token.kind == "word":
            attr = token.text.lower()
            attr = attr[len("attributes."):] if attr.startswith("attributes.") else attr
            if attr in self.attributes:
                return "attribute", attr
        raise self._error(token, f"expected one of {allowed}")

    def _operator(self, ops: Sequence[str]) -> str:
        token = self._next(f"expected an operator ({', '.join(ops)})")
        text = token.text.upper()
        if token.kind == "word" and text == "NOT":
            nxt = self._next("expected IN after NOT")
            if nxt.text.upper() != "IN":
                raise self._error(nxt, "expected IN after NOT")
            text = "NOT IN"
        if text not in ops:
            raise self._error(token, f"the operator must be one of {', '.join(ops)} here")
        return text

    def _value(self, value_kind: str) -> Any:
        token = self._next("expected a value")
        if value_kind == "int":
            if token.kind != "number" or "." in token.text:
                raise self._error(token, "expected a whole number")
            return int(token.text)
        if token.kind != "string":
            raise self._error(token, "expected a quoted string ('...' or \"...\")")
        return _unquote(token)

    def _list(self, value_kind: str) -> list[Any]:
        token = self._next("expected '('")
        if token.kind != "lparen":
            raise self._error(token, "expected '(' to start a list")
        values = [self._value(value_kind)]
        while True:
            token = self._next("expected ',' or ')'")
            if token.kind == "rparen":
                return values
            if token.kind != "comma":
                raise self._error(token, "expected ',' or ')' in a list")
            values.append(self._value(value_kind))


def parse_filter(text: Optional[str], attributes: dict[str, str]) -> list[Comparison]:
    """Parse a registry filter into comparisons (an empty list for no filter)."""
    if text is None or not str(text).strip():
        return []
    return _Parser(str(text), attributes).parse()


def parse_order_by(order_by: Optional[Sequence[str]], keys: dict[str, str]) -> list[tuple[str, bool]]:
    """``["name DESC"]`` -> ``[("name", False)]`` (column, ascending)."""
    out: list[tuple[str, bool]] = []
    for clause in order_by or ():
        parts = str(clause).split()
        if not parts or len(parts) > 2:
            raise InvalidParameterError(
                f"Invalid order_by clause {clause!r}: expected '<key>' or '<key> ASC|DESC'"
            )
        key = parts[0].lower()
        key = key[len("attributes."):] if key.startswith("attributes.") else key
        if key not in keys:
            raise InvalidParameterError(
                f"Invalid order_by key {parts[0]!r}: must be one of {', '.join(keys)}"
            )
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise InvalidParameterError(
                f"Invalid order_by direction {parts[1]!r} in {clause!r}: must be ASC or DESC"
            )
        out.append((keys[key], direction == "ASC"))
    return out


def encode_page_token(offset: int) -> str:
    """An opaque token for the page starting at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: Optional[str]) -> int:
    """The offset a page token stands for (0 for None); a bad token raises."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()).decode())["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidParameterError(
            f"Invalid page token {token!r}: it must be a token returned by a previous search"
        ) from None


def check_max_results(max_results: Any, threshold: int) -> int:
    """``max_results`` as an int between 1 and ``threshold``."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= threshold:
        raise InvalidParameterError(
            f"Invalid max_results {max_results!r}: must be a whole number between 1 and {threshold}"
        )
    return max_results


# -- SQL -------------------------------------------------------------------------------------------


def _compare(column: Any, op: str, value: Any) -> Any:
    """``column <op> value`` as a SQLAlchemy expression (LIKE case-sensitive, ILIKE not)."""
    from sqlalchemy import func

    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "LIKE":
        return column.like(value)
    if op == "ILIKE":
        return func.lower(column).like(func.lower(value))
    if op == "IN":
        return column.in_(value)
    return column.not_in(value)


def filter_clauses(comparisons: Sequence[Comparison], table: Any, tag_table: Any, columns: dict[str, str]) -> list[Any]:
    """WHERE clauses for ``comparisons`` on ``table``; tag clauses become EXISTS on ``tag_table``.

    ``columns`` maps filter attributes to column names. The tag table is
    joined on every column it shares with ``table``'s primary key.
    """
    from sqlalchemy import and_, exists

    from ...entities import ModelVersionStage

    join_on = [tag_table.c[col.name] == col for col in table.primary_key.columns]
    clauses = []
    for comp in comparisons:
        if comp.kind == "tag":
            clauses.append(
                exists().where(and_(*join_on, tag_table.c.key == comp.key, _compare(tag_table.c.value, comp.op, comp.value)))
            )
            continue
        value = comp.value
        if comp.key == "current_stage" and comp.op in ("=", "!=", "IN", "NOT IN"):
            value = (
                [ModelVersionStage.canonical(v) for v in value]
                if isinstance(value, list)
                else ModelVersionStage.canonical(value)
            )
        clauses.append(_compare(table.c[columns[comp.key]], comp.op, value))
    return clauses
