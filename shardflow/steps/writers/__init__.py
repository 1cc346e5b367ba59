"""File sinks: names from templates (partitioning by columns) and size-limited rollover."""

from shardflow.steps.writers.base import FileSink
from shardflow.steps.writers.fileset import FileSetWriter
from shardflow.steps.writers.naming import OutputNames

__all__ = ["FileSetWriter", "FileSink", "OutputNames"]
