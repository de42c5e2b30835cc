"""Scenarios, variants and the plan of cells. Reads files; runs nothing.

A scenario (``scenarios/NAME.toml``) names a requirement set, the base images and the variants to build.
A variant is a plain Dockerfile (``scenarios/variants/NAME.Dockerfile``) that takes its bases as build
args ``BUILD_IMAGE`` and ``FINAL_IMAGE``. What to build, in which order, is bench.plan's business.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import UserError

DEFAULT_VARIANTS = ("copy", "mount")
DEFAULT_BASES = {"build": "python:3.11", "final": "python:3.11-slim"}
SCENARIO_KEYS = ("description", "requirements", "variants", "bases")
BASE_KEYS = ("build", "final")
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_SYNTAX = re.compile(r"^#\s*syntax\s*=\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    requirements: str  # the requirements file's text, as builds will see it
    requirements_file: Path
    variants: tuple[str, ...]
    build_base: str
    final_base: str
    source: Path | None  # the TOML file, None for an ad-hoc scenario

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "requirements": self.requirements,
                "requirements_file": str(self.requirements_file), "variants": list(self.variants),
                "bases": {"build": self.build_base, "final": self.final_base},
                "source": str(self.source) if self.source else None}


@dataclass(frozen=True)
class Variant:
    name: str
    dockerfile: Path
    summary: str


def scenarios_dir() -> Path:
    """$BENCH_SCENARIOS, else ./scenarios, else the scenarios shipped beside the package."""
    if os.environ.get("BENCH_SCENARIOS"):
        return Path(os.environ["BENCH_SCENARIOS"])
    here = Path("scenarios")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "scenarios"


def check_name(kind: str, name: str, where: str) -> str:
    if not SAFE_NAME.match(name):
        raise UserError(f"{where}: {kind} name {name!r} is not allowed",
                        hint="use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
    return name


def read_requirements(path: Path, where: str) -> str:
    """The requirements file's text; UserError if it is missing or names no requirement."""
    if not path.is_file():
        raise UserError(f"{where}: requirements file {path} does not exist", hint="create it, or fix the path")
    text = path.read_text()
    if not any(line.split("#", 1)[0].strip() for line in text.splitlines()):
        raise UserError(f"{where}: requirements file {path} is empty", hint="list at least one package, one per line")
    return text if text.endswith("\n") else text + "\n"


def list_scenarios(root: Path) -> list[str]:
    return sorted(p.stem for p in root.glob("*.toml"))


def list_variants(root: Path) -> list[str]:
    return sorted(p.name.removesuffix(".Dockerfile") for p in (root / "variants").glob("*.Dockerfile"))


def load_scenario(name: str, root: Path) -> Scenario:
    """Read and validate ``root/NAME.toml``."""
    check_name("scenario", name, "--scenario")
    path = root / f"{name}.toml"
    if not path.is_file():
        raise UserError(f"unknown scenario {name!r}: no {path}", hint=_choices("scenarios", list_scenarios(root), name))
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    _check_keys(data, SCENARIO_KEYS, str(path))
    bases = data.get("bases", {})
    if not isinstance(bases, dict):
        raise UserError(f"{path}: 'bases' must be a table with keys {', '.join(BASE_KEYS)}")
    _check_keys(bases, BASE_KEYS, f"{path} [bases]")
    req = data.get("requirements")
    if isinstance(req, list) and all(isinstance(x, str) for x in req):
        req_file, text = path, "".join(f"{x}\n" for x in req)
        if not req:
            raise UserError(f"{path}: 'requirements' is empty", hint="list at least one package")
    elif isinstance(req, str):
        req_file = (path.parent / req).resolve()
        text = read_requirements(req_file, str(path))
    else:
        raise UserError(f"{path}: 'requirements' must be a file path or a list of requirement strings")
    variants = data.get("variants", list_variants(root))
    if not isinstance(variants, list) or not variants or not all(isinstance(v, str) for v in variants):
        raise UserError(f"{path}: 'variants' must be a non-empty list of variant names")
    return Scenario(
        name=name, description=str(data.get("description", "")), requirements=text, requirements_file=req_file,
        variants=tuple(check_name("variant", v, str(path)) for v in variants),
        build_base=str(bases.get("build", DEFAULT_BASES["build"])),
        final_base=str(bases.get("final", DEFAULT_BASES["final"])), source=path,
    )


def adhoc_scenario(requirements_file: Path) -> Scenario:
    """A scenario for any requirements file, with the default bases and variants."""
    text = read_requirements(requirements_file, "--requirements")
    stem = re.sub(r"[^a-z0-9_.-]+", "-", requirements_file.stem.lower()).strip("-.") or "requirements"
    return Scenario(
        name=stem, description=f"ad-hoc scenario from {requirements_file}", requirements=text,
        requirements_file=requirements_file, variants=DEFAULT_VARIANTS, build_base=DEFAULT_BASES["build"],
        final_base=DEFAULT_BASES["final"], source=None,
    )


def load_variant(name: str, root: Path) -> Variant:
    """Find and check ``root/variants/NAME.Dockerfile``."""
    check_name("variant", name, "--variant")
    path = root / "variants" / f"{name}.Dockerfile"
    if not path.is_file():
        raise UserError(f"unknown variant {name!r}: no {path}", hint=_choices("variants", list_variants(root), name))
    text = path.read_text()
    for line in text.splitlines():
        if not line.startswith("#"):
            break  # parser directives only stand before the first instruction or comment-free line
        m = _SYNTAX.match(line)
        if m:
            raise UserError(
                f"{path}: '# syntax={m.group(1)}' asks BuildKit to pull a Dockerfile frontend, and no registry "
                "is reachable", hint="delete that line: the engine's built-in frontend already supports RUN --mount",
            )
    summary = " ".join(line.lstrip("# ").strip() for line in text.splitlines()[:2] if line.startswith("#"))
    return Variant(name=name, dockerfile=path, summary=summary)


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            also = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(f"{where}: unknown key {key!r}{also}", hint=f"allowed keys: {', '.join(allowed)}")


def _choices(kind: str, names: list[str], wanted: str) -> str:
    close = difflib.get_close_matches(wanted, names, n=1)
    return (f"did you mean {close[0]!r}? " if close else "") + f"known {kind}: {', '.join(names) or 'none'}"
