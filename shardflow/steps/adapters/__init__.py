"""Adapters that run other libraries' steps inside a shardflow DAG."""

from shardflow.steps.adapters.datatrove import DatatroveStep, from_datatrove

__all__ = ["DatatroveStep", "from_datatrove"]
