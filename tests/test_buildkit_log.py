"""BuildKit plain progress, as printed by dockerd 20.10's BuildKit v0.8 and by buildx 0.13, into steps."""

from __future__ import annotations

import pytest

from bench.buildkit_log import build_error, parse_plain, step_output
from tests.conftest import read_lines

V08 = "buildkit-v0.8-dockerd-20.10"
BX = "buildx-0.13"


def test_v08_copy_steps_have_names_durations_and_stages() -> None:
    steps = parse_plain(read_lines(f"{V08}/seed-copy.log"))
    by_name = {s.name: s for s in steps}
    assert [s.vertex for s in steps] == list(range(1, 13))
    wheel = by_name["[build 3/3] RUN pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir"]
    assert (wheel.status, wheel.duration_s, wheel.stage) == ("done", 1.3, "build")
    install = by_name["[stage-1 3/3] RUN pip install --no-deps /whl/*.whl"]
    assert (install.duration_s, install.stage, install.cached) == (11.3, "stage-1", False)
    assert by_name["exporting to image"].duration_s == 1.2
    assert by_name["exporting to image"].stage is None


def test_v08_digest_lines_are_not_taken_for_names_or_statuses() -> None:
    steps = parse_plain(read_lines(f"{V08}/seed-mount.log"))
    assert not any(s.name.startswith("sha256:") for s in steps)
    assert {s.name.split("] ")[1].split()[0] for s in steps if s.cached} == {"FROM"}  # base images: CACHED
    assert all(s.status == "done" for s in steps if not s.cached)
    mount = [s for s in steps if "--mount=type=bind" in s.name]
    assert len(mount) == 1 and mount[0].duration_s is not None and mount[0].duration_s > 1


def test_buildx_banner_is_not_a_step_and_steps_match_v08_shape() -> None:
    steps = parse_plain(read_lines(f"{BX}/tiny-copy.log"))
    assert steps[0].vertex == 1
    assert [s.stage for s in steps if s.stage] == ["stage-1", "build", "build", "build", "stage-1", "stage-1"]
    assert sum(s.duration_s or 0 for s in steps) == pytest.approx(1.6)


def test_interleaved_vertices_and_repeated_names_are_keyed_by_number() -> None:
    lines = [
        "#5 [build 2/2] RUN a", "#6 [stage-1 2/2] RUN b", "#5 0.1 out-a", "#6 0.2 out-b",
        "#5 [build 2/2] RUN a", "#6 CACHED", "#5 DONE 2.5s",
    ]
    steps = parse_plain(lines)
    assert [(s.name, s.status, s.duration_s) for s in steps] == [
        ("[build 2/2] RUN a", "done", 2.5), ("[stage-1 2/2] RUN b", "cached", 0.0)]
    assert step_output(lines, 5) == ["out-a"]


@pytest.mark.parametrize("log", [f"{V08}/missing-package.log", f"{BX}/missing-package.log"])
def test_failed_step_reason_is_the_last_error_the_command_printed(log: str) -> None:
    lines = read_lines(log)
    failed = [s for s in parse_plain(lines) if s.status == "error"]
    assert [s.name for s in failed] == ["[build 3/3] RUN pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir"]
    assert build_error(lines) == (
        "[build 3/3] RUN pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir: "
        "ERROR: No matching distribution found for this-package-does-not-exist-bench"
    )


def test_dockerfile_parse_error_is_reported_from_the_last_line() -> None:
    reason = build_error(read_lines(f"{V08}/parse-error.log"))
    assert reason is not None and reason.endswith("dockerfile parse error line 4: unknown instruction: RUNN")


def test_successful_log_has_no_error() -> None:
    assert not any(s.status == "error" for s in parse_plain(read_lines(f"{V08}/seed-copy.log")))
