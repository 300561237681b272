"""What every entity can do, as MLflow's ``_MlflowObject``: iterate as (property, value) pairs.

``dict(entity)`` and ``pprint`` then show the same keys as MLflow's, and
``Entity.from_dictionary(d)`` builds one back from such a dict::

    dict(client.get_registered_model("nyc-taxi-regressor"))
    # {'aliases': {'champion': 2}, 'creation_timestamp': ..., 'description': None, ...}
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Iterator, Mapping


class MlflowObject:
    """Mixin of the entity dataclasses: ``__iter__`` yields ``(name, value)`` sorted by name.

    The names are the dataclass fields plus ``_extra_properties`` (MLflow
    properties computed from them).

    >>> dict(Param("alpha", "0.1"))
    {'key': 'alpha', 'value': '0.1'}
    """

    __slots__ = ()
    _extra_properties: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _properties(cls) -> list[str]:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return sorted(names.union(cls._extra_properties))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._properties():
            yield name, getattr(self, name)

    @classmethod
    def from_dictionary(cls, the_dict: Mapping[str, Any]) -> Any:
        """Build the entity from a dict of its properties (other keys are ignored, as in MLflow).

        >>> Param.from_dictionary({"key": "alpha", "value": "0.1", "extra": 1})
        Param(key='alpha', value='0.1')
        """
        fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in the_dict.items() if k in fields})


__all__ = ["MlflowObject"]
