"""sbatch scripts rendered from the executor's settings (pure; no Slurm needed)."""

from __future__ import annotations

from shardflow import SlurmExecutor
from shardflow.executors.slurm.script import array_options, job_name, render
from shardflow.plan import Stage


def directives(text: str) -> list[str]:
    return [line.removeprefix("#SBATCH ") for line in text.splitlines() if line.startswith("#SBATCH")]


def stage(**resources) -> Stage:
    return Stage(id="s", steps=("s",), parents=(None,), exits=("s",), inputs=(), kind="source", merge="concat",
                 reason="source", **resources)


def test_settings_become_directives_and_the_stage_can_ask_for_more():
    ex = SlurmExecutor(partition="cpu", time="1:00:00", cpus_per_task=2, mem_per_cpu_gb=1.5, qos="high",
                       max_concurrent=3, requeue=True, mail_type="FAIL", mail_user="a@b.c", chdir="/w")
    opts = array_options(ex, stage(cpus=4, gpus=1), name="sf-s", n_elements=10, dependency="aftercorr:7", output="/l/x_%A_%a.out")
    got = directives(render(opts, None, [], ["python", "-m", "x"]))
    assert got == [
        "--job-name=sf-s", "--partition=cpu", "--qos=high", "--chdir=/w", "--mail-type=FAIL", "--mail-user=a@b.c",
        "--kill-on-invalid-dep=yes", "--requeue", "--time=1:00:00", "--cpus-per-task=4", "--mem-per-cpu=1536M",
        "--gres=gpu:1", "--array=0-9%3", "--dependency=aftercorr:7", "--output=/l/x_%A_%a.out", "--error=/l/x_%A_%a.out",
    ]


def test_workers_limit_concurrency_and_a_step_memory_limit_is_used_when_no_per_cpu_memory():
    ex = SlurmExecutor(chdir="/w")
    ex.workers = 2
    got = directives(render(array_options(ex, stage(memory=3 * 2**30), name="n", n_elements=4, dependency=None, output="o"), None, [], ["x"]))
    assert "--array=0-3%2" in got and "--mem=3072M" in got and "--no-requeue" in got
    assert not [d for d in got if d.startswith(("--partition", "--dependency", "--gres", "--time"))]


def test_extra_arguments_win_and_the_environment_comes_before_the_command():
    ex = SlurmExecutor(partition="cpu", env_command="module load python", venv_path="/opt/venv", chdir="/w")
    opts = array_options(ex, stage(), name="n", n_elements=1, dependency=None, output="o")
    text = render(opts, {"partition": "gpu", "exclusive": True}, ex.setup_lines(), [ex.python, "-m", "m", "a b"])
    assert "--partition=gpu" in directives(text) and "--exclusive" in directives(text)
    assert "--partition=cpu" not in directives(text)
    assert text.splitlines()[-3:] == ["module load python", "source /opt/venv/bin/activate", "exec python -m m 'a b'"]
    raw = render(opts, ["--constraint=a100"], [], ["x"])
    assert directives(raw)[-1] == "--constraint=a100"


def test_a_step_time_limit_becomes_the_element_time_limit_when_none_is_set():
    ex = SlurmExecutor(chdir="/w", tasks_per_job=3)
    got = directives(render(array_options(ex, stage(time=90.0), name="n", n_elements=1, dependency=None, output="o"), None, [], ["x"]))
    assert "--time=5" in got  # 3 tasks of 90 s, in whole minutes
    ex.time = "2:00:00"
    got = directives(render(array_options(ex, stage(time=90.0), name="n", n_elements=1, dependency=None, output="o"), None, [], ["x"]))
    assert "--time=2:00:00" in got


def test_job_names_are_safe_for_slurm_and_shells():
    assert job_name("my run", "read/jsonl") == "my_run-read_jsonl"
