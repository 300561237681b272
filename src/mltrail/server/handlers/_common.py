"""Small helpers shared by the handler modules (request tags, view types, pages)."""

from __future__ import annotations

from typing import Any, Optional

from ...entities import ViewType


def tag_dict(items: Optional[list[dict[str, Any]]]) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` as ``{k: v}``."""
    return {t["key"]: t.get("value", "") for t in items or ()}


def view_type(value: Optional[str]) -> ViewType:
    """A view type given by name (``ACTIVE_ONLY``) or number (``1``); ACTIVE_ONLY when absent."""
    if value is None or value == "":
        return ViewType.ACTIVE_ONLY
    if str(value).isdigit():
        return ViewType.from_string(int(value))
    return ViewType.from_string(value)


def paged(key: str, items: list[Any], token: Optional[str]) -> dict[str, Any]:
    """``{key: items, "next_page_token": token}`` (the token left out on the last page)."""
    body: dict[str, Any] = {key: items}
    if token:
        body["next_page_token"] = token
    return body
