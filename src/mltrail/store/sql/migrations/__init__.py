"""Alembic migrations of the mltrail schema (run by :mod:`mltrail.store.sql.schema`).

History is linear. Each revision file in ``versions/`` is named
``NNNN_<what_it_does>.py`` and its ``revision`` id is that file name without
``.py`` (at most 32 characters, Alembic's column width); ``down_revision`` is
the previous file's id. The highest number is the head: the store's start-up
fast path compares it with the ``alembic_version`` row without loading Alembic.

To add a revision (e.g. the model registry), copy the layout of
``0001_tracking_tables.py`` into ``0002_model_registry.py`` with
``revision = "0002_model_registry"`` and ``down_revision = "0001_tracking_tables"``.
"""
