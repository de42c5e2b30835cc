"""Base images: use the one a scenario names when the engine has it or can pull it, else build a stand-in.

A stand-in is a Debian root filesystem made with debootstrap and ``docker import``-ed, that behaves like
the official Python image for bench's Dockerfiles: ``python`` and ``pip`` on PATH, pip installs as root
(no PEP 668 refusal); the full one has compilers and Python headers, the slim one is trimmed (no apt lists,
caches or docs). Stand-ins are tagged under ``bench-standin/`` (never with the official name), labelled
with the recipe that made them, and reused while the recipe is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import proc
from bench.engine import Engine
from bench.errors import UserError
from bench.provision.engine_up import apt_install, can_install
from bench.results import BaseImage

MIRROR = os.environ.get("BENCH_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE_FOR_PYTHON = {"3.11": "bookworm", "3.13": "trixie"}
_OFFICIAL = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(?P<ver>3\.\d+)(?:\.\d+)?(?P<rest>[-\w.]*)$")
_COMMON = ("python3", "python3-pip", "python3-venv", "python-is-python3")
_FULL = ("python3-dev", "build-essential")
# Trimmed from the slim stand-in, as the official slim image does.
_SLIM_TRIM = ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "usr/share/info",
              "var/log")
LABEL_FOR = "org.bench.standin-for"
LABEL_RECIPE = "org.bench.recipe"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Recipe:
    """How a stand-in is made: the Debian suite and packages, and whether it is trimmed."""

    standin_for: str
    python: str
    suite: str
    slim: bool

    @property
    def packages(self) -> tuple[str, ...]:
        return _COMMON if self.slim else _COMMON + _FULL

    @property
    def text(self) -> str:
        trim = " trimmed" if self.slim else ""
        return f"debootstrap --variant=minbase {self.suite} +{','.join(self.packages)}{trim}"

    @property
    def tag(self) -> str:
        digest = hashlib.sha256(self.text.encode()).hexdigest()[:10]
        kind = "slim" if self.slim else "full"
        return f"bench-standin/python-{kind}:{self.python}-{self.suite}-{digest}"


def recipe_for(ref: str) -> Recipe:
    """The stand-in recipe for an official ``python:X.Y[-slim]`` reference."""
    m = _OFFICIAL.match(ref)
    if not m:
        raise UserError(
            f"base image {ref!r} is neither in the engine nor pullable, and bench can only stand in for "
            "python:X.Y and python:X.Y-slim",
            hint="load the image into the engine (docker load), or name a python image",
        )
    python = m.group("ver")
    suite = SUITE_FOR_PYTHON.get(python)
    if suite is None:
        raise UserError(f"no Debian release ships Python {python} for a stand-in of {ref!r}",
                        hint=f"use one of: {', '.join(f'python:{v}' for v in SUITE_FOR_PYTHON)}")
    return Recipe(standin_for=ref, python=python, suite=suite, slim="slim" in m.group("rest"))


def resolve_bases(engine: Engine, wanted: Sequence[tuple[str, str]], say: Say) -> list[BaseImage]:
    """For each (role, reference): the image to build on, making stand-ins (in parallel) where needed."""
    resolved: dict[str, BaseImage] = {}
    to_make: dict[str, Recipe] = {}
    for _role, ref in wanted:
        if ref in resolved or ref in to_make:
            continue
        if engine.image_id(ref) or engine.try_pull(ref):
            resolved[ref] = BaseImage(role="", requested=ref, used=ref, image_id=engine.image_id(ref) or "",
                                      standin=False)
            continue
        recipe = recipe_for(ref)
        existing = engine.image_id(recipe.tag)
        if existing:
            resolved[ref] = _standin(ref, recipe, existing)
        else:
            to_make[ref] = recipe
    if to_make:
        if shutil.which("debootstrap") is None:
            if not can_install():
                raise UserError("debootstrap is needed to make stand-in base images",
                                hint="install it (apt-get install debootstrap) or load the base images")
            apt_install("debootstrap", say=say)
        with ThreadPoolExecutor(max_workers=len(to_make)) as pool:
            made = dict(zip(to_make, pool.map(lambda r: make_standin(engine, r, say), to_make.values()),
                            strict=True))
        for ref, image_id in made.items():
            resolved[ref] = _standin(ref, to_make[ref], image_id)
    return [BaseImage(role=role, requested=ref, used=resolved[ref].used, image_id=resolved[ref].image_id,
                      standin=resolved[ref].standin, recipe=resolved[ref].recipe) for role, ref in wanted]


def _standin(ref: str, recipe: Recipe, image_id: str) -> BaseImage:
    return BaseImage(role="", requested=ref, used=recipe.tag, image_id=image_id, standin=True, recipe=recipe.text)


def make_standin(engine: Engine, recipe: Recipe, say: Say) -> str:
    """debootstrap, adjust and import one stand-in; returns its image id."""
    say(f"making stand-in {recipe.tag} for {recipe.standin_for} ({recipe.text}); this takes a few minutes")
    with tempfile.TemporaryDirectory(prefix="bench-rootfs-", dir="/var/tmp") as work:
        rootfs = Path(work) / "rootfs"
        proc.run(["debootstrap", "--variant=minbase", f"--include={','.join(recipe.packages)}", recipe.suite,
                  str(rootfs), MIRROR], timeout=1800)
        for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
            marker.unlink()  # the official images let pip install as root; so must the stand-in
        if recipe.slim:
            for rel in _SLIM_TRIM:
                _empty_dir(rootfs / rel)
        tarball = Path(work) / "rootfs.tar"
        proc.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], timeout=600)
        changes = ["ENV LANG=C.UTF-8", 'CMD ["python3"]', f"LABEL {LABEL_FOR}={recipe.standin_for}",
                   f'LABEL {LABEL_RECIPE}="{recipe.text}"']
        image_id = engine.import_rootfs(tarball, recipe.tag, changes)
    say(f"stand-in {recipe.tag} ready ({engine.image_size(recipe.tag) / 1e6:.1f} MB)")
    return image_id


def _empty_dir(path: Path) -> None:
    if not path.is_dir():
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
