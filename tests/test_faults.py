"""The fault suite: interruption, kill -9, a lost engine, a busy engine, a changed plan, disk hygiene,
isolation. Real engine where the case is about the engine; each case is listed in the README's Reliability."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.errors import UserError
from bench.lock import engine_lock
from bench.provision import engine_up
from bench.results import read_builds, read_run
from tests.conftest import REPO

BENCH = [sys.executable, "-m", "bench.cli"]
TINY_PLAN = ["run", "--scenario", "tiny", "--variant", "copy", "--variant", "mount", "--repeat", "2",
             "--order", "sequential", "--no-analyse"]


def start_run(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*BENCH, *TINY_PLAN, "--out", str(out), *extra], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def read_until(run: subprocess.Popen[str], pattern: str) -> str:
    """Read the run's progress (stderr) until a line matches; synchronises on output, never on time."""
    assert run.stderr is not None
    seen = []
    for line in run.stderr:
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"the run ended before {pattern!r}:\n{''.join(seen)}")


def finish(run: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = run.communicate(timeout=600)
    return run.returncode, err


def resume(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BENCH, "run", "--resume", str(out)], cwd=REPO, text=True, capture_output=True,
                          timeout=600, check=False)


def planned_keys(out: Path) -> list[tuple[str, str, int, bool]]:
    return sorted((c["scenario"], c["variant"], c["repeat"], c["warmup"]) for c in read_run(out).plan)


def recorded_keys(out: Path) -> list[tuple[str, str, int, bool]]:
    return sorted((r.scenario, r.variant, r.repeat, r.warmup) for r in read_builds(out))


def leftover_images(run_id: str) -> list[str]:
    from bench.provision.engine_up import connect

    return [t for t in connect(print).images_named("bench-run/") if run_id.lower() in t]


@pytest.mark.docker
def test_sigterm_stops_the_build_in_flight_keeps_records_and_resume_completes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = start_run(out)
    read_until(run, r"^\[2/4\] ")  # the first build is recorded, the second is starting
    read_until(run, r"RUN pip wheel")
    run.send_signal(signal.SIGTERM)
    code, err = finish(run)
    assert code == 130
    assert f"finish the run with: bench run --resume {out}" in err
    assert len(recorded_keys(out)) == 1
    assert leftover_images(read_run(out).run_id) == []
    done = resume(out)
    assert done.returncode == 0, done.stderr
    assert recorded_keys(out) == planned_keys(out)  # exactly the plan: nothing lost, nothing twice


@pytest.mark.docker
def test_kill_9_loses_at_most_the_build_in_flight(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = start_run(out)
    read_until(run, r"^\[3/4\] ")
    run.kill()
    run.communicate(timeout=60)
    assert len(recorded_keys(out)) == 2
    lines = (out / "builds.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # whole lines only
    done = resume(out)
    assert done.returncode == 0, done.stderr
    assert recorded_keys(out) == planned_keys(out)


@pytest.mark.docker
def test_engine_lost_mid_run_is_recorded_and_resume_works(tmp_path: Path) -> None:
    from bench.provision.engine_up import connect

    if connect(print).host != f"unix://{engine_up.SOCKET}":
        pytest.skip("the engine is not bench's own; not killing it")
    out = tmp_path / "run"
    run = start_run(out)
    read_until(run, r"^\[2/4\] ")
    read_until(run, r"RUN pip wheel")
    os.kill(int(engine_up.PIDFILE.read_text()), signal.SIGKILL)
    code, err = finish(run)
    assert code == 1
    assert "the engine stopped answering during tiny/" in err and f"bench run --resume {out}" in err
    records = read_builds(out)
    assert [r.status for r in records] == ["ok", "failed"]
    assert (records[1].error or "").startswith("engine lost during the build")
    done = resume(out)  # connects, starting the engine again
    assert done.returncode == 0, done.stderr
    keys = [(r.scenario, r.variant, r.repeat, r.warmup) for r in read_builds(out)]
    assert sorted(set(keys)) == planned_keys(out)


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    """Another process holding the engine lock, as a second `bench run` would."""
    code = ("import sys; from pathlib import Path; from bench.lock import engine_lock\n"
            "with engine_lock('unix:///test.sock', Path(sys.argv[1]), holder='results in /elsewhere'):\n"
            "    print('held', flush=True); sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    yield tmp_path
    holder.communicate("", timeout=30)


def test_a_second_run_on_the_same_engine_is_refused_clearly(held_lock: Path) -> None:
    with pytest.raises(UserError, match=r"engine unix:///test.sock is busy: pid \d+, results in /elsewhere"), \
            engine_lock("unix:///test.sock", held_lock, holder="me"):
        pass
    with engine_lock("unix:///other.sock", held_lock, holder="me"):
        pass  # another engine is free


def test_resume_refuses_a_changed_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from bench.benchmark import resume_benchmark
    from bench.results import write_run

    root = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", root)
    monkeypatch.setenv("BENCH_SCENARIOS", str(root))
    run = read_run(REPO / "tests/fixtures/results/tiny-v2")
    out = tmp_path / "run"
    write_run(out, run)
    (root / "requirements/tiny.txt").write_text("six\nidna\nattrs\n")
    with pytest.raises(UserError, match="requirements of scenario 'tiny' changed since the run began"):
        resume_benchmark(out)
    variant = root / "variants/mount.Dockerfile"
    (root / "requirements/tiny.txt").write_text((REPO / "scenarios/requirements/tiny.txt").read_text())
    variant.write_text(variant.read_text() + "# edited\n")
    with pytest.raises(UserError, match=r"mount\.Dockerfile changed since the run began"):
        resume_benchmark(out)


def test_no_command_is_built_as_a_shell_string() -> None:
    for path in (REPO / "bench").rglob("*.py"):
        text = path.read_text()
        assert "shell=True" not in text and "os.system(" not in text and "os.popen(" not in text, path


def test_the_index_listens_on_loopback_only() -> None:
    from bench.provision.index import LocalIndex, PackageStore

    with tempfile.TemporaryDirectory() as tmp, LocalIndex(PackageStore(Path(tmp))) as idx:
        assert idx.url.startswith("http://127.0.0.1:")
        port = f"{idx.port:04X}"
        listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if line.split()[3] == "0A"]
        assert f"0100007F:{port}" in listening
        assert not any(addr.endswith(f":{port}") and addr != f"0100007F:{port}" for addr in listening)


@pytest.mark.docker
def test_nothing_from_the_host_lands_in_any_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CA certificates (the fill container gets the host's bundle), the environment, index URLs: none of it
    may reach an image. Every layer of a kept image is read, file by file."""
    from bench.benchmark import RunOptions, run_benchmark
    from bench.provision.engine_up import connect

    secret = "bench-isolation-marker-7f3a9c"
    monkeypatch.setenv("BENCH_TEST_SECRET", secret)
    needles = [secret.encode()]
    for ca in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        body = [line for line in ca.read_text().splitlines() if line and not line.startswith("-----")]
        needles += [line.encode() for line in body[1:3]]  # lines from inside the PEM body
    out = tmp_path / "run"
    run_benchmark(RunOptions(scenarios=["tiny"], variants=["copy"], out=out, keep_images=True, analyse=False))
    run = read_run(out)
    tag = f"bench-run/tiny-copy:{run.run_id.lower()}-r1"
    engine = connect(print)
    saved = tmp_path / "image.tar"
    engine.save_image(tag, saved)
    engine.remove_image(tag)
    found = []
    with tarfile.open(saved) as image:
        for member in image.getmembers():
            if not member.name.endswith("layer.tar"):
                continue
            layer = image.extractfile(member)
            assert layer is not None
            with tarfile.open(fileobj=layer, mode="r|") as files:
                for f in files:
                    data = files.extractfile(f).read() if f.isfile() else b""  # type: ignore[union-attr]
                    found += [(f.name, n) for n in needles if n in data]
    assert found == []
    history = " ".join(layer.created_by for layer in read_builds(out)[0].layers)
    assert "127.0.0.1" not in history and "PIP_INDEX_URL=" not in history


@pytest.mark.docker
def test_a_run_leaves_the_engine_disk_as_it_found_it(tmp_path: Path) -> None:
    """Measured images and build cache go as the run goes; run.json records the engine's disk use around it."""
    from bench.benchmark import RunOptions, run_benchmark

    out = tmp_path / "run"
    run_benchmark(RunOptions(scenarios=["tiny"], variants=["copy", "mount"], repeat=2, out=out, analyse=False))
    disk = read_run(out).extra["disk"]
    assert abs(disk["after"]["images"] - disk["before"]["images"]) <= 5_000_000
    assert disk["after"]["build_cache"] <= 5_000_000
    assert leftover_images(read_run(out).run_id) == []


def test_the_index_ends_with_bench_even_after_kill_9(tmp_path: Path) -> None:
    """A killed run must not leave its package index serving: the server gets SIGTERM when bench dies."""
    import time

    code = ("import sys; from pathlib import Path; from bench.provision.index import LocalIndex, PackageStore\n"
            "with LocalIndex(PackageStore(Path(sys.argv[1]))) as idx:\n"
            "    print(idx._server.pid, flush=True); sys.stdin.read()\n")
    parent = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server = int(parent.stdout.readline())
    assert Path(f"/proc/{server}").exists()
    parent.kill()
    parent.communicate(timeout=30)

    def alive() -> bool:
        try:
            return Path(f"/proc/{server}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the server's exit (a condition), bounded by the deadline
    assert not alive()
