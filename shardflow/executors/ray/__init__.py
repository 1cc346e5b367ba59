"""The Ray executor (needs the ``ray`` extra: ``pip install 'shardflow[ray]'``)."""

try:
    import ray  # noqa: F401 - checked here so the error says how to get it
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "shardflow.RayExecutor needs Ray, which is not installed: pip install 'shardflow[ray]'"
    ) from exc

from shardflow.executors.ray.executor import RayExecutor
from shardflow.executors.ray.worker import NODE_IPS_ENV

__all__ = ["NODE_IPS_ENV", "RayExecutor"]
