"""Whether the filters may use hyperscan, the optional multi-pattern engine of the ``url`` extra.

hyperscan makes the URL filter's word scans and ``regex_filter``'s batch scan fast, and the
filters fall back to pyahocorasick or RE2 without it, with the same decisions. It is native
code: hyperscan 0.9.1 crashed the process with one option we therefore do not use (see
``batch_search``). Should it ever crash a worker on some pattern, ``SHARDFLOW_HYPERSCAN=0``
turns it off for a run (the workers inherit the environment).
"""

from __future__ import annotations

import os
from types import ModuleType

ENV = "SHARDFLOW_HYPERSCAN"


def hyperscan_module() -> ModuleType | None:
    """The ``hyperscan`` module, or None where it is not installed or ``SHARDFLOW_HYPERSCAN=0``."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import hyperscan
    except ImportError:
        return None
    return hyperscan
