"""Reversible attribute patches on classes and modules, built on wrapt.

A :class:`PatchSet` remembers, for every attribute it touches, the exact
object that sat in the owner's ``__dict__`` (a plain function, a
``classmethod``, a descriptor...) or that there was none because the
attribute was inherited. :meth:`PatchSet.restore` puts back exactly that,
so after ``autolog(disable=True)`` ``Cls.__dict__["fit"] is original_fit``::

    patches = PatchSet()
    patches.wrap(Ridge, "fit", wrapper)     # wrapper(wrapped, instance, args, kwargs)
    ...
    patches.restore()                        # Ridge.fit is the original again
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import wrapt

_MISSING = object()

#: ``wrapper(wrapped, instance, args, kwargs) -> result`` as wrapt defines it.
WrapperFunction = Callable[[Callable[..., Any], Any, tuple, dict], Any]


@dataclass(slots=True)
class _Patch:
    owner: Any
    attribute: str
    original: Any  # the raw object from owner.__dict__, or _MISSING
    replacement: Any


def raw_attribute(owner: Any, attribute: str) -> Any:
    """The object stored under ``attribute`` in ``owner``'s own namespace, or a sentinel when inherited."""
    return vars(owner).get(attribute, _MISSING)


def is_missing(value: Any) -> bool:
    """True for the sentinel :func:`raw_attribute` returns for an inherited attribute."""
    return value is _MISSING


class PatchSet:
    """The patches one integration applied, restorable in reverse order (thread-safe)."""

    def __init__(self) -> None:
        self._patches: list[_Patch] = []
        self._by_key: dict[tuple[int, str], _Patch] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._patches)

    def is_patched(self, owner: Any, attribute: str) -> bool:
        """True when this set replaced ``owner.attribute`` and has not restored it."""
        return (id(owner), attribute) in self._by_key

    def wrap(self, owner: Any, attribute: str, wrapper: WrapperFunction) -> bool:
        """Replace ``owner.attribute`` with a ``wrapt.FunctionWrapper`` calling ``wrapper``.

        The attribute must be defined in ``owner``'s own namespace (patch the
        class that defines a method, not every subclass). Returns False, doing
        nothing, when it is already patched by this set or not defined there.
        """
        with self._lock:
            if self.is_patched(owner, attribute):
                return False
            original = raw_attribute(owner, attribute)
            if original is _MISSING:
                return False
            self._apply(owner, attribute, original, wrapt.FunctionWrapper(original, wrapper))
            return True

    def replace(self, owner: Any, attribute: str, value: Any) -> bool:
        """Set ``owner.attribute = value`` (defined or inherited before), restorable exactly."""
        with self._lock:
            if self.is_patched(owner, attribute):
                return False
            self._apply(owner, attribute, raw_attribute(owner, attribute), value)
            return True

    def _apply(self, owner: Any, attribute: str, original: Any, replacement: Any) -> None:
        setattr(owner, attribute, replacement)
        patch = _Patch(owner, attribute, original, replacement)
        self._patches.append(patch)
        self._by_key[(id(owner), attribute)] = patch

    def restore(self) -> None:
        """Undo every patch, newest first; an attribute changed since by someone else is left alone."""
        with self._lock:
            while self._patches:
                patch = self._patches.pop()
                del self._by_key[(id(patch.owner), patch.attribute)]
                if raw_attribute(patch.owner, patch.attribute) is not patch.replacement:
                    continue  # someone re-patched it after us: do not clobber their change
                if patch.original is _MISSING:
                    delattr(patch.owner, patch.attribute)
                else:
                    setattr(patch.owner, patch.attribute, patch.original)
