"""Model-registry methods of :class:`mltrail.client.Client` (filled in by the registry work).

``Client`` inherits from :class:`RegistryClientMixin`; registry operations
(``create_registered_model``, ``create_model_version``,
``transition_model_version_stage``, aliases, search...) are defined here so the
tracking client module stays about tracking.
"""

from __future__ import annotations


class RegistryClientMixin:
    """Registry operations of the client; expects ``self._registry_store``."""
