"""Mutation testing (python -m tests.mutation; see README.md here)."""
