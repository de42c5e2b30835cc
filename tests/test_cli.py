"""The command line, in process: golden output, and one clear line (exit 1, no traceback) for bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from bench.cli import main
from tests.conftest import FIXTURES, REPO


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["run", "--scenario", "sed"], "bench: error: unknown scenario 'sed': no "),
        (["run", "--requirements", "no/such/requirements.txt"],
         "bench: error: --requirements: requirements file no/such/requirements.txt does not exist"),
        (["run", "--variant", "mnt"], "bench: error: unknown variant 'mnt': no "),
        (["run", "--repeat", "0"], "bench: error: --repeat must be at least 1, not 0"),
        (["report", "no/such/dir"], "bench: error: no/such/dir/run.json: no such file"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                first_line: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith(first_line)
    assert "Traceback" not in err and len(err.splitlines()) <= 2


def test_empty_requirements_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("\n")
    code, _, err = run_cli(capsys, "run", "--requirements", str(req))
    assert code == 1 and err.startswith(f"bench: error: --requirements: requirements file {req} is empty")


def test_report_prints_the_golden_table_and_writes_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "results/tiny-v2", result)
    code, out, err = run_cli(capsys, "report", str(result))
    assert code == 0
    assert out == (REPO / "tests/golden/tiny-v2-table.simple.txt").read_text()
    assert f"wrote {result / 'report.md'}" in err
    assert (result / "size-by-layer.png").read_bytes()[:4] == b"\x89PNG"


def test_report_as_json_or_csv_is_stdout_alone(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "results/tiny-v2", result)
    code, out, _ = run_cli(capsys, "report", str(result), "--format", "json")
    assert code == 0 and {row["variant"] for row in json.loads(out)} == {"copy", "copy-rm", "mount"}
    code, out, _ = run_cli(capsys, "report", str(result), "--format", "csv")
    assert code == 0 and len(list(csv.reader(io.StringIO(out)))) == 4  # header and three variants


def test_list_shows_scenarios_and_variants(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    assert "seed" in out and "tiny" in out
    assert "copy: build wheels in a full image" in out and "mount: build wheels" in out
