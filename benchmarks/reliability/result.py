"""The one row a reliability scenario reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioResult:
    """What one scenario did and what survived it.

    ``attempted``: operations the scenario tried; ``acknowledged``: those the client saw succeed;
    ``found``: acknowledged operations found in the store afterwards; ``errors``: operations
    that raised; ``lost`` is derived: acknowledged but not found (the number that must be 0).
    """

    scenario: str
    attempted: int
    acknowledged: int
    found: int
    errors: int
    note: str = ""

    @property
    def lost(self) -> int:
        return max(self.acknowledged - self.found, 0)
