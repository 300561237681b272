"""Tokenizer of search filter and order_by strings (MLflow's grammar).

Tokens carry their character position so errors can point at them::

    >>> [t.text for t in tokenize("metrics.rmse < 7")]
    ['metrics.rmse', '<', '7']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...exceptions import InvalidParameterError

# kinds
WORD = "word"  # bare identifier or keyword: metrics.rmse, AND, LIKE, status
QUOTED = "quoted"  # 'single' or "double" quoted string
BACKTICKED = "backticked"  # `key with spaces`
NUMBER = "number"
OPERATOR = "operator"  # = != <> < <= > >=
PUNCT = "punct"  # ( ) ,

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<word>[A-Za-z_][\w.\-/:]*)
  | (?P<quoted>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<backticked>`[^`]*`)
  | (?P<operator>!=|<>|<=|>=|==|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, exact source text, 0-based position, and decoded value."""

    kind: str
    text: str
    position: int
    value: object

    def is_keyword(self, *words: str) -> bool:
        return self.kind == WORD and self.text.upper() in words


def syntax_error(source: str, what: str, problem: str, token: "Token | None", position: int | None = None) -> InvalidParameterError:
    """An error quoting the offending token and its position in ``source``."""
    if token is not None:
        where = f"at position {token.position}: {token.text!r}"
    else:
        where = f"at position {position if position is not None else len(source)} (end of input)"
    return InvalidParameterError(f"Invalid {what} {source!r}: {problem} {where}")


def tokenize(source: str, what: str = "filter string") -> list[Token]:
    """Split ``source`` into tokens; an unknown character raises InvalidParameterError."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None:
            bad = Token("invalid", source[pos], pos, None)
            if source[pos] in "'\"`":
                raise syntax_error(source, what, "unterminated quote", bad)
            raise syntax_error(source, what, "unexpected character", bad)
        kind = match.lastgroup
        text = match.group()
        if kind != "space":
            tokens.append(Token(kind, text, pos, _decode(kind, text)))  # type: ignore[arg-type]
        pos = match.end()
    return tokens


def _decode(kind: str, text: str) -> object:
    if kind == NUMBER:
        return float(text)
    if kind == QUOTED:
        quote = text[0]
        body = text[1:-1].replace(quote * 2, quote)
        return re.sub(r"\\(['\"])", r"\1", body)  # \' and \" are quotes; other backslashes stay
    if kind == BACKTICKED:
        return text[1:-1]
    if kind == OPERATOR:
        return {"==": "=", "<>": "!="}.get(text, text)
    return text
