"""MLflow 3 logged-model endpoints (``logged-models/...``).

Only ``logged-models/search`` is served for now: the 3.x client calls it on every
``runs:/`` download to see whether the path names a logged model. This store
keeps no LoggedModel entities yet, so the answer is an empty page; once the
tracking store grows ``search_logged_models`` (the LoggedModel work) the handler
is wired to it and the create/get/finalize/tags routes are added.
"""

from __future__ import annotations

from typing import Any

Req = dict[str, Any]


def search(ctx, r: Req) -> Req:
    return {"models": []}
