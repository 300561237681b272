"""Parse MLflow search filters into comparisons a store can turn into a query.

Grammar (keywords in any case)::

    filter      := comparison ( AND comparison )*
    comparison  := identifier operator value
    identifier  := [entity "."] key         entity: metrics/metric, params/param/parameters,
                                            tags/tag, attributes/attribute/attr/run
                                            (no entity: an attribute such as status)
    key         := bare_word | `backticked` | "double quoted"
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := number | 'string' | "string" | ( string, ... )

Rules per entity (as MLflow): metrics compare with numbers (= != < <= > >=);
params and tags with strings (= != LIKE ILIKE IN NOT IN); string attributes
like params, numeric attributes (times) like metrics.

Limits (each search refuses more with INVALID_PARAMETER_VALUE naming the limit,
so no search can exhaust the database's parser, join or sort limits):

- at most :data:`MAX_FILTER_COMPARISONS` comparisons joined by ``AND``;
- at most :data:`MAX_IN_VALUES` values in one ``IN``/``NOT IN`` list;
- at most :data:`MAX_ORDER_BY_KEYS` distinct ``order_by`` keys (a key repeated
  later in the list is dropped: the first occurrence decides the order);
- a number compared with a numeric attribute (times, ids, versions) must be a
  finite value within the 64-bit integer range;
- no NUL character and no lone surrogate anywhere in a filter or order_by.

>>> parse_filter("metrics.rmse < 7 and tags.`mlflow.runName` LIKE 'base%'", RUN_SPEC)
[Comparison(entity='metric', key='rmse', op='<', value=7.0), Comparison(entity='tag', key='mlflow.runName', op='LIKE', value='base%')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from ...exceptions import InvalidParameterError
from ..validation import MAX_INT64, MIN_INT64, check_text
from .tokens import BACKTICKED, NUMBER, OPERATOR, PUNCT, QUOTED, WORD, Token, syntax_error, tokenize

METRIC = "metric"
PARAM = "param"
TAG = "tag"
ATTRIBUTE = "attribute"

ENTITY_PREFIXES = {
    "metrics": METRIC,
    "metric": METRIC,
    "params": PARAM,
    "param": PARAM,
    "parameters": PARAM,
    "parameter": PARAM,
    "tags": TAG,
    "tag": TAG,
    "attributes": ATTRIBUTE,
    "attribute": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}

NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")

Value = Union[float, str, tuple]

#: Most comparisons one filter may AND together.
MAX_FILTER_COMPARISONS = 50
#: Most values one IN / NOT IN list may hold.
MAX_IN_VALUES = 500
#: Most distinct order_by keys one search may sort by.
MAX_ORDER_BY_KEYS = 10


@dataclass(frozen=True)
class SearchSpec:
    """What a search accepts: entities, attribute names and types, orderable attributes.

    ``attributes`` maps a name users write to ``(column name, "string" | "number")``.
    """

    what: str
    entities: tuple[str, ...]
    attributes: dict[str, tuple[str, str]]
    orderable: tuple[str, ...] = field(default=())


RUN_SPEC = SearchSpec(
    what="runs",
    entities=(METRIC, PARAM, TAG, ATTRIBUTE),
    attributes={
        "run_id": ("run_id", "string"),
        "run_uuid": ("run_id", "string"),
        "run_name": ("run_name", "string"),
        "status": ("status", "string"),
        "user_id": ("user_id", "string"),
        "artifact_uri": ("artifact_uri", "string"),
        "start_time": ("start_time", "number"),
        "end_time": ("end_time", "number"),
    },
    orderable=("run_id", "run_name", "status", "user_id", "artifact_uri", "start_time", "end_time", "experiment_id"),
)

EXPERIMENT_SPEC = SearchSpec(
    what="experiments",
    entities=(TAG, ATTRIBUTE),
    attributes={
        "name": ("name", "string"),
        "experiment_id": ("experiment_id", "number"),
        "creation_time": ("creation_time", "number"),
        "last_update_time": ("last_update_time", "number"),
    },
    orderable=("name", "experiment_id", "creation_time", "last_update_time"),
)


@dataclass(frozen=True)
class Comparison:
    """``<entity>.<key> <op> <value>``; for attributes ``key`` is the canonical attribute name."""

    entity: str
    key: str
    op: str
    value: Value


class _Parser:
    def __init__(self, source: str, spec: SearchSpec, what: str) -> None:
        self.source = source
        self.spec = spec
        self.what = what
        self.tokens = tokenize(source, what)
        self.pos = 0

    # -- token helpers ------------------------------------------------------------
    def peek(self) -> Optional[Token]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(f"expected {expected} but the input ended", None)
        self.pos += 1
        return token

    def error(self, problem: str, token: Optional[Token]) -> Exception:
        return syntax_error(self.source, self.what, problem, token)

    # -- grammar --------------------------------------------------------------------
    def identifier(self, allow_entities: tuple[str, ...]) -> tuple[str, str, Token]:
        """``(entity, key, first token)`` of an identifier."""
        token = self.take("an identifier such as metrics.rmse, params.alpha, tags.name or status")
        if token.kind in (BACKTICKED, QUOTED):
            return self.attribute(str(token.value), token)
        if token.kind != WORD or token.is_keyword("AND", "IN", "NOT", "LIKE", "ILIKE"):
            raise self.error("expected an identifier such as metrics.rmse, params.alpha, tags.name or status", token)
        text = token.text
        prefix, dot, rest = text.partition(".")
        entity = ENTITY_PREFIXES.get(prefix.lower()) if dot else None
        if entity is None:
            return self.attribute(text, token)
        if entity not in allow_entities:
            raise self.error(f"{self.spec.what} cannot be searched by {prefix.lower()}", token)
        if rest:
            key = rest
        else:  # metrics.`key with spaces` / tags."mlflow.runName"
            quoted = self.take("a key after " + repr(text))
            if quoted.kind not in (BACKTICKED, QUOTED) or quoted.position != token.position + len(text):
                raise self.error(f"expected a key right after {text!r} (quote keys with backticks)", quoted)
            key = str(quoted.value)
        if not key:
            raise self.error("the key is empty", token)
        if entity == ATTRIBUTE:
            return self.attribute(key, token)
        return entity, key, token

    def attribute(self, name: str, token: Token) -> tuple[str, str, Token]:
        found = self.spec.attributes.get(name) or self.spec.attributes.get(name.lower())
        if found is None:
            valid = ", ".join(sorted(self.spec.attributes))
            prefixes = [f"{p}s." for p in (METRIC, PARAM, TAG) if p in self.spec.entities]
            hint = ""
            if prefixes:
                listed = prefixes[0] if len(prefixes) == 1 else f"{', '.join(prefixes[:-1])} or {prefixes[-1]}"
                hint = f"; prefix {listed} for logged values"
            raise self.error(f"unknown attribute {name!r} (attributes of {self.spec.what}: {valid}{hint})", token)
        return ATTRIBUTE, found[0], token

    def value_type(self, entity: str, key: str) -> str:
        if entity == METRIC:
            return "number"
        if entity == ATTRIBUTE:
            return next(t for col, t in self.spec.attributes.values() if col == key)
        return "string"

    def comparison(self) -> Comparison:
        entity, key, ident = self.identifier(self.spec.entities)
        kind = self.value_type(entity, key)
        op_token = self.take("a comparison operator")
        if op_token.kind == OPERATOR:
            op = str(op_token.value)
        elif op_token.is_keyword("LIKE", "ILIKE", "IN"):
            op = op_token.text.upper()
        elif op_token.is_keyword("NOT"):
            nxt = self.take("IN after NOT")
            if not nxt.is_keyword("IN"):
                raise self.error("expected IN after NOT", nxt)
            op = "NOT IN"
        else:
            raise self.error(
                "expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)", op_token
            )
        allowed = NUMERIC_OPS if kind == "number" else STRING_OPS
        if op not in allowed:
            what = f"{entity}s" if entity != ATTRIBUTE else f"attribute {key!r}"
            raise self.error(f"operator {op} cannot compare {what} (allowed: {', '.join(allowed)})", op_token)
        if op in ("IN", "NOT IN"):
            return Comparison(entity, key, op, self.string_list())
        value_token = self.take("a value")
        if kind == "number":
            if value_token.kind != NUMBER:
                raise self.error(f"expected a number to compare {_describe(entity, key)} with", value_token)
            number = float(value_token.value)  # type: ignore[arg-type]
            if entity == ATTRIBUTE and not (number == number and MIN_INT64 <= number <= MAX_INT64):
                raise self.error(
                    f"attribute {key!r} is a 64-bit integer: compare it with a number between -2^63 and 2^63-1",
                    value_token,
                )
            return Comparison(entity, key, op, number)
        if value_token.kind != QUOTED:
            raise self.error(
                f"expected a quoted string ('...' or \"...\") to compare {_describe(entity, key)} with", value_token
            )
        return Comparison(entity, key, op, str(value_token.value))

    def string_list(self) -> tuple[str, ...]:
        opening = self.take("'(' starting a list of values")
        if not (opening.kind == PUNCT and opening.text == "("):
            raise self.error("expected '(' starting a list of quoted values", opening)
        values: list[str] = []
        while True:
            item = self.take("a quoted value")
            if item.kind != QUOTED:
                raise self.error("expected a quoted string in the list", item)
            values.append(str(item.value))
            if len(values) > MAX_IN_VALUES:
                raise self.error(f"an IN list may hold at most {MAX_IN_VALUES} values", item)
            sep = self.take("',' or ')'")
            if sep.kind == PUNCT and sep.text == ")":
                return tuple(values)
            if not (sep.kind == PUNCT and sep.text == ","):
                raise self.error("expected ',' or ')' in the list", sep)

    def parse(self) -> list[Comparison]:
        comparisons: list[Comparison] = []
        if not self.tokens:
            return comparisons
        while True:
            if len(comparisons) == MAX_FILTER_COMPARISONS:
                raise self.error(
                    f"a filter may AND together at most {MAX_FILTER_COMPARISONS} comparisons", self.peek()
                )
            comparisons.append(self.comparison())
            token = self.peek()
            if token is None:
                return comparisons
            if not token.is_keyword("AND"):
                problem = "OR is not supported (only AND)" if token.is_keyword("OR") else "expected AND"
                raise self.error(problem, token)
            self.pos += 1
            if self.peek() is None:
                raise self.error("expected a comparison after AND but the input ended", None)


def _describe(entity: str, key: str) -> str:
    return f"attribute {key!r}" if entity == ATTRIBUTE else f"{entity} {key!r}"


def parse_filter(source: Optional[str], spec: SearchSpec = RUN_SPEC) -> list[Comparison]:
    """Parse a filter string (None or blank: no condition).

    Raises InvalidParameterError quoting the offending token and its position.

    >>> parse_filter("status = 'FINISHED'", RUN_SPEC)
    [Comparison(entity='attribute', key='status', op='=', value='FINISHED')]
    """
    if source is None:
        return []
    if not isinstance(source, str):
        raise InvalidParameterError(f"Invalid filter string {source!r}: must be a string")
    if not source.strip():
        return []
    check_text(source, "filter string")
    return _Parser(source, spec, "filter string").parse()


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` clause: entity, key (canonical attribute name), direction."""

    entity: str
    key: str
    ascending: bool


def parse_order_by(clauses: Optional[list[str]] | Optional[tuple[str, ...]], spec: SearchSpec = RUN_SPEC) -> list[OrderKey]:
    """Parse ``order_by`` clauses such as ``"metrics.rmse ASC"`` or ``"start_time DESC"``.

    A key given twice keeps its first clause; more than :data:`MAX_ORDER_BY_KEYS`
    distinct keys raise InvalidParameterError.

    >>> parse_order_by(["metrics.rmse", "attributes.start_time DESC"], RUN_SPEC)
    [OrderKey(entity='metric', key='rmse', ascending=True), OrderKey(entity='attribute', key='start_time', ascending=False)]
    """
    keys: list[OrderKey] = []
    seen: set[tuple[str, str]] = set()
    if isinstance(clauses, str):
        clauses = [clauses]
    allowed = tuple(e for e in spec.entities)
    try:
        clauses = list(clauses or ())
    except TypeError:
        raise InvalidParameterError(f"Invalid order_by {clauses!r}: expected a list of '<key> [ASC|DESC]'") from None
    for clause in clauses:
        if not isinstance(clause, str) or not clause.strip():
            raise InvalidParameterError(f"Invalid order_by clause {clause!r}: expected '<key> [ASC|DESC]'")
        check_text(clause, "order_by clause")
        parser = _Parser(clause, _orderable_spec(spec), "order_by clause")
        entity, key, _ = parser.identifier(allowed)
        ascending = True
        token = parser.peek()
        if token is not None:
            if not token.is_keyword("ASC", "DESC"):
                raise parser.error("expected ASC or DESC", token)
            ascending = token.text.upper() == "ASC"
            parser.pos += 1
            extra = parser.peek()
            if extra is not None:
                raise parser.error("unexpected text after the direction", extra)
        if (entity, key) in seen:
            continue
        if len(keys) == MAX_ORDER_BY_KEYS:
            raise InvalidParameterError(
                f"Invalid order_by {_shorten_list(clauses)}: a search may sort by at most "
                f"{MAX_ORDER_BY_KEYS} distinct keys (found more at {clause!r})"
            )
        seen.add((entity, key))
        keys.append(OrderKey(entity, key, ascending))
    return keys


def _shorten_list(items: list) -> str:
    text = repr(items)
    return text if len(text) <= 120 else text[:115] + "...]"


def _orderable_spec(spec: SearchSpec) -> SearchSpec:
    attributes = {name: col for name, col in spec.attributes.items() if col[0] in spec.orderable}
    for name in spec.orderable:
        attributes.setdefault(name, (name, "number" if name.endswith("_time") else "string"))
    return SearchSpec(spec.what, spec.entities, attributes, spec.orderable)
