"""Scenario files, variants and the plan: bad input gets one clear line naming the file and what to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.errors import UserError
from bench.scenario import adhoc_scenario, load_scenario, load_variant
from tests.conftest import REPO

SCENARIOS = REPO / "scenarios"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(SCENARIOS, tmp_path / "scenarios")
    return tmp_path / "scenarios"


def test_seed_scenario_is_the_original_finding() -> None:
    s = load_scenario("seed", SCENARIOS)
    assert s.requirements.split() == ["ciso8601", "flask", "numpy", "pandas"]
    assert s.variants[:2] == ("copy", "mount") and len(s.variants) == 8
    assert (s.build_base, s.final_base) == ("python:3.11", "python:3.11-slim")


def test_a_scenario_without_variants_gets_every_variant(root: Path) -> None:
    (root / "novar.toml").write_text('requirements = ["six"]\n')
    assert load_scenario("novar", root).variants == (
        "cache-mount", "copy", "copy-rm", "mount", "single-full", "single-slim", "uv", "venv-copy")


def test_unknown_key_names_file_key_and_closest_valid_key(root: Path) -> None:
    (root / "bad.toml").write_text('requirements = ["six"]\nvariant = ["copy"]\n')
    with pytest.raises(UserError, match=r"bad\.toml: unknown key 'variant' \(did you mean 'variants'\?\)"):
        load_scenario("bad", root)


def test_unknown_scenario_suggests_the_closest(root: Path) -> None:
    with pytest.raises(UserError, match="unknown scenario 'sed'") as err:
        load_scenario("sed", root)
    assert "did you mean 'seed'?" in str(err.value)


def test_missing_and_empty_requirements_files(root: Path, tmp_path: Path) -> None:
    (root / "nofile.toml").write_text('requirements = "requirements/nope.txt"\n')
    with pytest.raises(UserError, match=r"nofile\.toml: requirements file .*nope\.txt does not exist"):
        load_scenario("nofile", root)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n")
    with pytest.raises(UserError, match=r"requirements file .*empty\.txt is empty"):
        adhoc_scenario(empty)


def test_adhoc_scenario_takes_its_name_from_the_file(tmp_path: Path) -> None:
    req = tmp_path / "My Reqs.txt"
    req.write_text("six")
    s = adhoc_scenario(req)
    assert (s.name, s.requirements, s.variants) == ("my-reqs", "six\n", ("copy", "mount"))


def test_unknown_variant_and_unsafe_names(root: Path) -> None:
    with pytest.raises(UserError, match=r"(?s)unknown variant 'mount2'.*did you mean 'mount'"):
        load_variant("mount2", root)
    with pytest.raises(UserError, match=r"variant name '\.\./etc' is not allowed"):
        load_variant("../etc", root)


def test_syntax_line_is_refused_with_what_to_do(root: Path) -> None:
    text = (root / "variants/mount.Dockerfile").read_text()
    (root / "variants/synt.Dockerfile").write_text("# syntax=docker/dockerfile:1.2\n" + text)
    with pytest.raises(UserError, match=r"synt\.Dockerfile: '# syntax=docker/dockerfile:1\.2' .*no registry") as err:
        load_variant("synt", root)
    assert "delete that line" in str(err.value)


def test_shipped_variants_take_their_bases_as_build_args() -> None:
    for name in ("copy", "mount"):
        text = load_variant(name, SCENARIOS).dockerfile.read_text()
        assert "FROM ${BUILD_IMAGE} AS build" in text and "FROM ${FINAL_IMAGE}" in text
