"""Real builds on a real Docker engine with BuildKit. The engine, stand-in bases and local index are set up
by bench's own code (as `make bench` does), so these tests also prove the provisioning works."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.benchmark import RunOptions, run_benchmark
from bench.cli import main
from bench.engine import Engine
from bench.provision.engine_up import connect
from bench.results import read_builds, read_run
from tests.conftest import REPO

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def engine() -> Engine:
    return connect(print)


@pytest.fixture(scope="session")
def tiny_run(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("runs") / "tiny"
    run_benchmark(RunOptions(scenarios=["tiny"], variants=["copy", "mount"], out=out, keep_images=True,
                             order="sequential"))
    yield out
    for r in read_builds(out):
        engine.remove_image(f"bench-run/{r.scenario}-{r.variant}:{read_run(out).run_id.lower()}-r{r.repeat}")


def test_engine_builds_with_buildkit_and_says_which(engine: Engine) -> None:
    info = engine.describe()
    assert info["server_version"] and info["buildkit_version"]
    assert info["builder"] in {"classic", "buildx"}
    if info["builder"] == "classic":
        assert int(info["client_version"].split(".")[0]) < 23  # newer classic clients refuse BuildKit builds


def test_recorded_sizes_are_the_engines_own(engine: Engine, tiny_run: Path) -> None:
    run = read_run(tiny_run)
    records = read_builds(tiny_run)
    assert [(r.variant, r.status) for r in records] == [("copy", "ok"), ("mount", "ok")]
    for r in records:
        tag = f"bench-run/tiny-{r.variant}:{run.run_id.lower()}-r1"
        assert r.image_size_bytes == engine.image_size(tag)
        assert sum(layer.size_bytes for layer in r.layers) == r.image_size_bytes
        assert r.layers[0].from_base and not r.layers[-1].from_base
        assert r.wall_s > sum(s.duration_s or 0 for s in r.steps if s.stage == "stage-1")


def test_mount_is_smaller_than_copy_by_the_copy_layer(tiny_run: Path) -> None:
    copy, mount = read_builds(tiny_run)
    wheel_layers = [x for x in copy.layers if x.created_by == "COPY /whl/*.whl /whl/"]
    assert len(wheel_layers) == 1 and not any(x.created_by.startswith("COPY") for x in mount.layers)
    saving = copy.image_size_bytes - mount.image_size_bytes  # type: ignore[operator]
    assert abs(saving - wheel_layers[0].size_bytes) <= 0.02 * wheel_layers[0].size_bytes


def test_builds_install_from_the_local_index_and_record_bases(tiny_run: Path) -> None:
    run = read_run(tiny_run)
    assert run.index["mode"] == "local" and run.index["url"].startswith("http://127.0.0.1:")
    log = (tiny_run / "logs/tiny-copy-r1.log").read_text()
    assert f"Looking in indexes: {run.index['url']}" in log
    assert {b.role for b in run.bases} == {"build", "final"}
    for b in run.bases:
        assert b.standin == (b.used != b.requested)
        assert b.image_id.startswith("sha256:")
    plan = [(c["variant"], c["repeat"]) for c in run.plan]
    assert plan == [("copy", 1), ("mount", 1)]


def test_stand_in_bases_behave_like_the_official_images(engine: Engine, tiny_run: Path) -> None:
    bases = {b.role: b for b in read_run(tiny_run).bases}
    probe = ("python --version && pip --version && pip install --dry-run --no-index --no-deps six 2>&1 | "
             "grep -c externally-managed || true; ls /var/lib/apt/lists | wc -l; "
             "test -f /usr/include/python3.11/Python.h && gcc --version | head -1 || echo no-compiler")
    full = engine.run_once(bases["build"].used, ["sh", "-c", probe], volumes=[], envs={}, network_host=False)
    slim = engine.run_once(bases["final"].used, ["sh", "-c", probe], volumes=[], envs={}, network_host=False)
    assert "Python 3.11" in full and "Python 3.11" in slim
    assert "gcc" in full and "no-compiler" in slim
    assert slim.splitlines()[-2:] == ["0", "no-compiler"]  # no PEP 668 refusal, no apt lists


def test_adhoc_requirements_file_from_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    req = tmp_path / "other-requirements.txt"
    req.write_text("six\n")
    out = tmp_path / "out"
    code = main(["run", "--requirements", str(req), "--repeat", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert sorted((r.scenario, r.variant, r.status) for r in read_builds(out)) == [
        ("other-requirements", "copy", "ok"), ("other-requirements", "mount", "ok")]
    assert "other-requirements  mount" in printed and "reference" in printed
    assert {p.name for p in out.iterdir()} >= {"run.json", "builds.jsonl", "report.md", "size-by-layer.png", "logs"}


def test_a_missing_package_fails_its_builds_clearly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    req = tmp_path / "bad.txt"
    req.write_text("six\nthis-package-does-not-exist-bench\n")
    code = main(["run", "--requirements", str(req), "--out", str(tmp_path / "out")])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("bench: error:")]
    assert code == 1 and len(errors) == 1
    assert re.match(r"bench: error: 2 of 2 builds failed; first, bad/(copy|mount) #1 ", errors[0])
    assert "No matching distribution found for this-package-does-not-exist-bench" in errors[0]
    for r in read_builds(tmp_path / "out"):
        assert r.status == "failed" and r.log_tail and "this-package-does-not-exist-bench" in r.log_tail


def test_a_broken_dockerfile_fails_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", root)
    (root / "variants/broken.Dockerfile").write_text("ARG FINAL_IMAGE\nFROM ${FINAL_IMAGE}\nRUNN echo hi\n")
    monkeypatch.setenv("BENCH_SCENARIOS", str(root))
    out = tmp_path / "out"
    code = main(["run", "--scenario", "tiny", "--variant", "broken", "--variant", "mount", "--order", "sequential",
                 "--out", str(out)])
    assert code == 1
    broken, mount = read_builds(out)
    assert broken.status == "failed" and "unknown instruction: RUNN" in (broken.error or "")
    assert broken.dockerfile == str(root / "variants/broken.Dockerfile")
    assert mount.status == "ok"
    lines = (out / "builds.jsonl").read_text().splitlines()
    assert [json.loads(line)["variant"] for line in lines] == ["broken", "mount"]


def test_engine_comes_back_after_its_daemon_was_killed(engine: Engine) -> None:
    """kill -9 leaves a pid file and a socket behind; the next connect must clear them and start afresh."""
    import os
    import signal

    from bench.provision import engine_up

    if engine.host != f"unix://{engine_up.SOCKET}":
        pytest.skip(f"the engine at {engine.host or 'the default address'} is not bench's own; not killing it")
    old_pid = int(engine_up.PIDFILE.read_text())
    os.kill(old_pid, signal.SIGKILL)
    assert engine.ping(timeout=5) is None
    assert engine_up.PIDFILE.exists() and engine_up.SOCKET.exists()  # the stale state a crash leaves
    again = engine_up.connect(print)
    assert again.host == engine.host and again.ping() is not None
    assert int(engine_up.PIDFILE.read_text()) != old_pid


def test_every_image_is_run_once_to_import_its_modules(tiny_run: Path) -> None:
    for r in read_builds(tiny_run):
        assert r.import_check is not None and r.import_check["ok"], r.import_check
        assert r.import_check["results"]["six"]["modules"] == ["six"]


def test_an_image_that_does_not_work_is_reported_broken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", root)
    (root / "variants/forgets.Dockerfile").write_text(
        "# forgets: builds fine, installs nothing.\n# Claim tested: none; a broken image for the tests.\n"
        "ARG FINAL_IMAGE\nFROM ${FINAL_IMAGE}\nRUN true\n")
    monkeypatch.setenv("BENCH_SCENARIOS", str(root))
    out = tmp_path / "out"
    assert main(["run", "--scenario", "tiny", "--variant", "copy", "--variant", "forgets", "--out", str(out)]) == 0
    from bench.summary import summarise

    rows = {s.variant: s for s in summarise(read_builds(out))}
    assert rows["copy"].works is True and rows["forgets"].works is False
    assert rows["forgets"].status == "broken" and "six: PackageNotFoundError" in (rows["forgets"].import_error or "")
    assert "## Broken images" in (out / "report.md").read_text()


def test_a_package_that_must_compile_fails_cleanly_on_slim_and_builds_in_the_build_stage(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["run", "--scenario", "sdist", "--variant", "single-slim", "--variant", "mount",
                 "--order", "sequential", "--out", str(out)])
    assert code == 1
    slim, mount = read_builds(out)
    assert slim.status == "failed" and slim.log_tail is not None and "netifaces" in slim.log_tail
    assert mount.status == "ok" and mount.import_check is not None and mount.import_check["ok"]
    assert mount.import_check["results"]["netifaces"]["modules"] == ["netifaces"]
