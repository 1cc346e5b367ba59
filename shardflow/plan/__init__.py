"""Compile: graph -> stages (fusion) -> tasks (stage x shard) with content keys. Pure data."""

from shardflow.plan.compile import Plan, StagePlan, compile_plan
from shardflow.plan.stages import Stage, build_stages
from shardflow.plan.tasks import InputRef, TaskId, TaskSpec

__all__ = ["InputRef", "Plan", "Stage", "StagePlan", "TaskId", "TaskSpec", "build_stages", "compile_plan"]
