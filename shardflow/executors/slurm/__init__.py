"""The Slurm executor: stages as job arrays chained by dependencies, tracked by shardflow's markers.

Files: ``executor.py`` (the public :class:`SlurmExecutor`), ``arrays.py`` (tasks -> arrays and
their dependencies), ``script.py`` (sbatch scripts), ``queue.py`` (sbatch, squeue, scancel),
``records.py`` (what a Slurm run keeps in the run directory), ``rounds.py`` (submit, read
back, retry), ``follow.py`` (the driver following a run), ``task.py`` and ``supervise.py``
(the entry points run on the nodes), ``status.py`` (for ``shardflow status``).
"""

from shardflow.executors.slurm.executor import SlurmExecutor

__all__ = ["SlurmExecutor"]
