"""The import check's pure parts, and the pins that make every variant install the same versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import import_check
from bench.provision.index import pinned_requirements, pins_from_report


def test_requirement_names_drop_options_pins_extras_and_comments() -> None:
    text = "# a comment\n--no-binary=:all:\nFlask[async]>=3 ; python_version>'3.8'\nnumpy==2.4.6\n\nsix # why\nsix\n"
    assert import_check.requirement_names(text) == ["Flask", "numpy", "six"]


def test_the_script_imports_real_distributions_and_reports_failures() -> None:
    """Run the very script the image runs, here, against this interpreter's own packages."""
    done = subprocess.run([sys.executable, "-c", import_check.SCRIPT, "tabulate", "no-such-dist-bench"],
                          capture_output=True, text=True, check=True, timeout=60)
    result = import_check.parse(done.stdout)
    assert result["ok"] is False
    assert result["results"]["tabulate"] == {"ok": True, "modules": ["tabulate"]}
    assert result["results"]["no-such-dist-bench"]["error"].startswith("PackageNotFoundError")


def test_output_without_the_marker_is_a_failure_with_its_text() -> None:
    result = import_check.parse("exec: python: not found\n")
    assert result == {"ok": False, "results": {}, "error": "exec: python: not found"}


def test_pins_come_from_pips_report_sorted_by_name() -> None:
    report = {"install": [{"metadata": {"name": "numpy", "version": "2.4.6"}},
                          {"metadata": {"name": "Flask", "version": "3.1.3"}},
                          {"metadata": {"name": "blinker", "version": "1.9.0"}}]}
    pins = pins_from_report(report)
    assert pins == ["blinker==1.9.0", "Flask==3.1.3", "numpy==2.4.6"]
    text = pinned_requirements(pins, "flask\nnumpy\n")
    assert text.splitlines() == ["# Resolved once by bench from:", "# flask", "# numpy", *pins]


def test_vendored_library_folders_are_not_taken_for_modules(tmp_path: Path) -> None:
    """numpy's wheel has no top_level.txt and ships numpy.libs/ (auditwheel's vendored .so files) beside numpy/."""
    site = tmp_path / "site"
    (site / "fakenp").mkdir(parents=True)
    (site / "fakenp" / "__init__.py").write_text("")
    (site / "fakenp.libs").mkdir()
    (site / "fakenp.libs" / "libopenblas.so").write_text("")
    info = site / "fakenp-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakenp\nVersion: 1.0\n")
    (info / "RECORD").write_text("fakenp/__init__.py,,\nfakenp.libs/libopenblas.so,,\nfakenp-1.0.dist-info/RECORD,,\n")
    done = subprocess.run([sys.executable, "-c", import_check.SCRIPT, "fakenp"], capture_output=True, text=True,
                          check=True, timeout=60, env={"PYTHONPATH": str(site)})
    assert import_check.parse(done.stdout) == {"ok": True, "results": {"fakenp": {"ok": True, "modules": ["fakenp"]}}}
