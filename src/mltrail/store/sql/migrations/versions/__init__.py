"""Alembic revision files (``NNNN_<name>.py``, revision id = file stem)."""
