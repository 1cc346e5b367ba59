"""Fixtures shared by the kill / interrupt tests: the slow pipeline's input and its reference output."""

from __future__ import annotations

import pytest

from tests.conformance.pipelines import write_inputs
from tests.helpers import file_digests
from tests.run.slow_pipeline import build, output_files


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("inputs"))
    write_inputs(root)
    return f"{root}/main"


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """Digests of an uninterrupted run's outputs (tasks=6, workers=2)."""
    base = tmp_path_factory.mktemp("reference")
    result = build(inputs, str(base / "out")).run(workdir=str(base / "run"), tasks=6, workers=2)
    return file_digests(output_files(result.outputs), str(base / "out"))
