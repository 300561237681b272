"""mltrail's benchmarks: the same workloads through mltrail and MLflow, side by side.

Run ``python -m benchmarks run`` from the repository root; see benchmarks/README.md.
Nothing here is imported by mltrail itself, and nothing here imports mltrail at
module level (the MLflow side venv does not have it).
"""
