"""The executor conformance suite with inputs, outputs and the run directory all on S3.

Credentials and endpoint come from the environment (``AWS_ACCESS_KEY_ID``, ...,
``AWS_ENDPOINT_URL``), the usual place; the run's own ``storage_options`` are tested in
``test_s3_runs.py``. Each case must match its oracle, and write the same bytes as the same
case on the local disk.
"""

from __future__ import annotations

import pytest

import shardflow as sf
from tests.conformance.pipelines import CASES, write_inputs
from tests.conformance.suite import run_case

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def local_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    return str(root), write_inputs(str(root))


@pytest.fixture
def s3_inputs(local_inputs, s3_env, s3fs_client):
    """The suite's input files, uploaded once per session to ``s3://shardflow/conformance-inputs``."""
    root, sets = local_inputs
    url = "s3://shardflow/conformance-inputs"
    if not s3fs_client.exists(f"{url}/main"):
        s3fs_client.put(root + "/", url.removeprefix("s3://") + "/", recursive=True)
        s3fs_client.pipe_file(f"{url}/empty/nothing.jsonl", b"")  # put skips empty files on some stores
    return url, sets


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance_on_s3(case, s3_inputs, local_inputs, s3_root, tmp_path):
    on_s3 = run_case(case, sf.LocalExecutor(workers=2), s3_inputs, tmp_path / "s3", root=s3_root)
    on_disk = run_case(case, sf.LocalExecutor(workers=2), local_inputs, tmp_path / "disk")
    assert on_s3 == on_disk, "the same bytes on S3 as on the local disk"
