"""What an image's layers ship, from the tar ``docker save`` writes: sizes, shadowed bytes, build artefacts.

Reads both the classic docker-archive layout (``<hex>/layer.tar``) and the OCI layout of newer Docker
(``blobs/sha256/<hex>``) by following the ``Layers`` paths of ``manifest.json``. Layers are streamed member by
member; nothing is extracted and no layer is held in memory. The rest is pure: :func:`apply_layers` and
:func:`analyse_scans` take parsed member lists, so they are tested without tar files.

Filesystem rules (OCI image spec, AUFS whiteouts): ``dir/.wh.NAME`` deletes ``dir/NAME`` and its subtree from
lower layers, ``dir/.wh..wh..opq`` hides everything under ``dir`` from lower layers, and an entry in a higher
layer replaces the one at the same path (a non-directory also replaces a lower subtree there). Whiteouts act on
lower layers only, whatever their position in the layer tar.

Every regular file a layer ships is one *copy*. A copy reaches the final filesystem if its path survives or a
surviving hard link (from the same layer tar) points at it; its bytes are then counted once. Every other copy is
*shadowed*, counted once in the layer that shipped it (unlike dive, which counts a twice-replaced file twice).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, Any, Literal

MemberKind = Literal["file", "hardlink", "dir", "symlink", "other"]
CATEGORIES = ("wheels", "sdists", "pip_cache", "uv_cache", "apt_lists", "apt_archives")
TOP_ARTEFACTS = 10
GZIP_LEVEL = 6
CHUNK_BYTES = 1 << 20

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_SDIST_DIRS = frozenset({"whl", "wheels", "wheelhouse", "dist", "sdist", "sdists"})
_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".zip")
# NAME-VERSION.EXT with a version that starts with a digit: "flask-3.0.2.tar.gz", "numpy-2.0.0rc1.zip".
_SDIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*?-\d[A-Za-z0-9.+!_]*\.(?:tar\.gz|tar\.bz2|zip)$")
_APT_LISTS = "var/lib/apt/lists/"
_APT_ARCHIVES = "var/cache/apt/archives/"


@dataclass(frozen=True)
class Member:
    """One entry of a layer tar; ``path`` is normalised, ``linkname`` is a hard link's target path."""

    path: str
    kind: MemberKind
    size: int = 0
    linkname: str = ""


@dataclass(frozen=True)
class LayerScan:
    """What one pass over a layer tar yields: its members in tar order and its sizes."""

    members: tuple[Member, ...]
    uncompressed_bytes: int
    gzip_bytes: int


@dataclass(frozen=True)
class FinalFilesystem:
    """The result of stacking layers: ``files`` maps each final regular file's path to its bytes."""

    files: dict[str, int]
    shadowed_by_layer: tuple[int, ...]
    origin: dict[str, int] = field(default_factory=dict)  # final path -> index of the layer that shipped it


@dataclass(frozen=True)
class Artefact:
    """A file in the final filesystem that only serves a build."""

    path: str
    size_bytes: int
    category: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArtefactBreakdown:
    """Artefact bytes per category and the largest artefact files, largest first."""

    wheels: int = 0
    sdists: int = 0
    pip_cache: int = 0
    uv_cache: int = 0
    apt_lists: int = 0
    apt_archives: int = 0
    largest: tuple[Artefact, ...] = ()

    @property
    def total_bytes(self) -> int:
        return sum(getattr(self, name) for name in CATEGORIES)

    def to_dict(self) -> dict[str, Any]:
        totals = {name: getattr(self, name) for name in CATEGORIES}
        return {**totals, "total_bytes": self.total_bytes, "largest": [a.to_dict() for a in self.largest]}


@dataclass(frozen=True)
class LayerAnalysis:
    """One layer, oldest first: stored and gzip sizes, the regular files it ships, and how many bytes are shadowed."""

    index: int
    uncompressed_bytes: int
    gzip_bytes: int
    file_bytes: int
    files: int
    shadowed_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImageAnalysis:
    """A saved image: its layers and the totals over them and over the final filesystem."""

    layers: tuple[LayerAnalysis, ...]
    shadowed_bytes: int
    artefact_bytes: int
    artefacts: ArtefactBreakdown
    final_fs_bytes: int
    uncompressed_bytes: int
    push_bytes: int
    base_layers: int = 0  # the first layers are the base image's: artefacts there are not counted above
    base_artefact_bytes: int = 0  # build artefacts the base image itself ships (e.g. Debian's bundled wheels)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**d, "layers": [layer.to_dict() for layer in self.layers], "artefacts": self.artefacts.to_dict()}


def normalise_path(name: str) -> str:
    """A tar member name as a path relative to the image root: no leading ``./`` or ``/``, no trailing ``/``."""
    path = name
    while path.startswith(("./", "/")):
        path = path.removeprefix(".").lstrip("/")
    path = path.rstrip("/")
    return "" if path == "." else path


def member_from_tarinfo(info: tarfile.TarInfo) -> Member | None:
    """A :class:`Member` for a tar entry, or ``None`` for the image root itself."""
    path = normalise_path(info.name)
    if not path:
        return None
    if info.isreg():
        return Member(path, "file", info.size)
    if info.islnk():
        return Member(path, "hardlink", 0, normalise_path(info.linkname))
    if info.isdir():
        return Member(path, "dir")
    return Member(path, "symlink" if info.issym() else "other")


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


@dataclass
class _Entry:
    kind: MemberKind
    copy: tuple[int, int] | None  # (layer, ordinal) of the regular-file copy whose bytes this entry holds


@dataclass
class _Tree:
    """The filesystem as layers are stacked, with a child index so subtrees are removed without a full scan."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)

    def put(self, path: str, entry: _Entry) -> None:
        old = self.entries.get(path)
        if entry.kind != "dir" and (old is not None or self.children.get(path)):
            self.remove(path)
        self.entries[path] = entry
        child = path
        while child:  # register ancestors up to one already known; a non-directory there becomes a directory
            parent = _parent(child)
            ancestor = self.entries.get(parent)
            if ancestor is not None and ancestor.kind != "dir":
                del self.entries[parent]
            siblings = self.children.setdefault(parent, set())
            if child in siblings:  # replacing an ancestor by a non-directory unregisters its subtree
                return
            siblings.add(child)
            child = parent

    def remove(self, path: str) -> None:
        self.clear_under(path)
        self.entries.pop(path, None)
        self.children.get(_parent(path), set()).discard(path)

    def clear_under(self, path: str) -> None:
        stack = list(self.children.pop(path, ()))
        while stack:
            current = stack.pop()
            self.entries.pop(current, None)
            stack.extend(self.children.pop(current, ()))


def _apply_whiteouts(tree: _Tree, members: Sequence[Member]) -> None:
    for member in members:
        directory, _, name = member.path.rpartition("/")
        if name == _OPAQUE:
            tree.clear_under(directory)
        elif name.startswith(_WHITEOUT) and not name.startswith(_WHITEOUT + _WHITEOUT):
            tree.remove(f"{directory}/{name.removeprefix(_WHITEOUT)}".lstrip("/"))


def _is_whiteout(member: Member) -> bool:
    return member.path.rpartition("/")[2].startswith(_WHITEOUT)


def _apply_layer(tree: _Tree, layer: int, members: Sequence[Member], sizes: dict[tuple[int, int], int]) -> None:
    _apply_whiteouts(tree, members)
    latest: dict[str, tuple[int, int]] = {}  # path -> this layer's latest copy there, for hard links
    for ordinal, member in enumerate(members):
        if _is_whiteout(member):
            continue
        copy: tuple[int, int] | None = None
        if member.kind == "file":
            copy = (layer, ordinal)
            sizes[copy] = member.size
            latest[member.path] = copy
        elif member.kind == "hardlink":
            copy = latest.get(member.linkname)
            if copy is not None:
                latest[member.path] = copy
        tree.put(member.path, _Entry(member.kind, copy))


def apply_layers(layers: Sequence[Sequence[Member]]) -> FinalFilesystem:
    """Stack layers (oldest first): the final regular files and, per layer, the bytes shadowed by later layers."""
    tree = _Tree()
    sizes: dict[tuple[int, int], int] = {}
    for layer, members in enumerate(layers):
        _apply_layer(tree, layer, members, sizes)
    owner: dict[tuple[int, int], str] = {}  # each surviving copy is counted at one path: its own, else a link's
    for path in sorted(tree.entries):
        entry = tree.entries[path]
        if entry.copy is not None and (entry.copy not in owner or entry.kind == "file"):
            owner[entry.copy] = path
    shadowed = [0] * len(layers)
    for copy, size in sizes.items():
        if copy not in owner:
            shadowed[copy[0]] += size
    return FinalFilesystem({path: sizes[copy] for copy, path in owner.items()}, tuple(shadowed),
                           {path: copy[0] for copy, path in owner.items()})


def _is_sdist(path: str) -> bool:
    directories, _, name = path.rpartition("/")
    if not name.endswith(_ARCHIVE_SUFFIXES):
        return False
    return bool(_SDIST_DIRS.intersection(directories.split("/"))) or bool(_SDIST_NAME.match(name))


def classify_artefact(path: str, size: int) -> str | None:
    """The artefact category of a final regular file (see :data:`CATEGORIES`), or ``None`` if it is not one.

    Caches win over file types (a wheel in pip's cache is cache). Sdists are ``.tar.gz``/``.tar.bz2``/``.zip``
    files either under a directory named whl, wheels, wheelhouse, dist, sdist or sdists, or named
    ``NAME-VERSION.EXT`` with a version that starts with a digit.
    """
    rooted = "/" + path
    if "/.cache/pip/" in rooted:
        return "pip_cache"
    if "/.cache/uv/" in rooted:
        return "uv_cache"
    if path.startswith(_APT_LISTS):
        rest = path.removeprefix(_APT_LISTS)
        empty_partial = rest.startswith("partial/") and size == 0
        return None if rest == "lock" or empty_partial else "apt_lists"
    if path.startswith(_APT_ARCHIVES) and path.endswith(".deb") and "/" not in path.removeprefix(_APT_ARCHIVES):
        return "apt_archives"
    if path.endswith(".whl"):
        return "wheels"
    return "sdists" if _is_sdist(path) else None


def find_artefacts(files: dict[str, int], top: int = TOP_ARTEFACTS) -> ArtefactBreakdown:
    """Bytes per artefact category over final files (path -> bytes), and the ``top`` largest artefacts."""
    totals = dict.fromkeys(CATEGORIES, 0)
    found = []
    for path, size in files.items():
        category = classify_artefact(path, size)
        if category is not None:
            totals[category] += size
            found.append(Artefact(path, size, category))
    found.sort(key=lambda a: (-a.size_bytes, a.path))
    return ArtefactBreakdown(**totals, largest=tuple(found[:top]))


def analyse_scans(scans: Sequence[LayerScan], base_layers: int = 0) -> ImageAnalysis:
    """Analyse scanned layers (oldest first): per-layer sizes, shadowed bytes, final size and artefacts.

    Artefacts in files shipped by the first ``base_layers`` layers (the base image's) are counted apart, in
    ``base_artefact_bytes``: a Dockerfile strategy is judged by what its own layers leave behind.
    """
    final = apply_layers([scan.members for scan in scans])
    layers = tuple(
        LayerAnalysis(
            index=index,
            uncompressed_bytes=scan.uncompressed_bytes,
            gzip_bytes=scan.gzip_bytes,
            file_bytes=sum(m.size for m in scan.members if m.kind == "file" and not _is_whiteout(m)),
            files=sum(1 for m in scan.members if m.kind == "file" and not _is_whiteout(m)),
            shadowed_bytes=final.shadowed_by_layer[index],
        )
        for index, scan in enumerate(scans)
    )
    own = {p: size for p, size in final.files.items() if final.origin.get(p, len(scans)) >= base_layers}
    artefacts = find_artefacts(own)
    inherited = {p: size for p, size in final.files.items() if p not in own}
    return ImageAnalysis(
        layers=layers,
        shadowed_bytes=sum(final.shadowed_by_layer),
        artefact_bytes=artefacts.total_bytes,
        artefacts=artefacts,
        final_fs_bytes=sum(final.files.values()),
        uncompressed_bytes=sum(layer.uncompressed_bytes for layer in layers),
        push_bytes=sum(layer.gzip_bytes for layer in layers),
        base_layers=base_layers,
        base_artefact_bytes=find_artefacts(inherited).total_bytes,
    )


class _GzipCounter(io.RawIOBase):
    """A read-only stream for tarfile's stream mode that gzips every byte read through it and counts the output."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        self.gzip_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        data = self.raw.read(size)
        self.gzip_bytes += len(self.compressor.compress(data))
        return data

    def finish(self) -> int:
        """Read the rest (end-of-archive padding tarfile never asks for) and return the gzip stream's size."""
        while self.read(CHUNK_BYTES):
            pass
        return self.gzip_bytes + len(self.compressor.flush())


def scan_layer(raw: IO[bytes], stored_bytes: int) -> LayerScan:
    """Read one uncompressed layer tar from ``raw`` in a single streaming pass, gzipping it on the way.

    ``gzip_bytes`` is the size at gzip level 6, an estimate of what a registry push transfers.
    """
    counter = _GzipCounter(raw)
    with tarfile.open(fileobj=counter, mode="r|") as layer:
        members = tuple(m for m in map(member_from_tarinfo, layer) if m is not None)
    return LayerScan(members, stored_bytes, counter.finish())


def _layer_paths(image: tarfile.TarFile, path: Path) -> list[tuple[str, str | None]]:
    """Each layer's path in the saved tar, with its diff id (the digest of its content) when the config has it."""
    manifest_file = image.extractfile("manifest.json")
    if manifest_file is None:
        raise ValueError(f"{path}: manifest.json is not a regular file")
    manifest = json.load(manifest_file)
    if not isinstance(manifest, list) or len(manifest) != 1:
        raise ValueError(f"{path}: manifest.json must list exactly one image (save one image per file)")
    layers = [str(p) for p in manifest[0]["Layers"]]
    diff_ids: list[str | None] = [None] * len(layers)
    names = set(image.getnames())
    config = manifest[0].get("Config")
    config_file = image.extractfile(config) if config in names else None
    if config_file is not None:
        found = json.load(config_file).get("rootfs", {}).get("diff_ids", [])
        if len(found) == len(layers):
            diff_ids = list(found)
    return list(zip(layers, diff_ids, strict=True))


def _scan_stored_layer(image: tarfile.TarFile, layer_path: str, path: Path) -> LayerScan:
    info = image.getmember(layer_path)
    raw = image.extractfile(info)
    if raw is None:
        raise ValueError(f"{path}: layer {layer_path} is not a regular file")
    with raw:
        if raw.read(2) == b"\x1f\x8b":
            raise ValueError(f"{path}: layer {layer_path} is gzip-compressed; only uncompressed layer tars are read")
        raw.seek(0)
        return scan_layer(raw, info.size)


def analyse_saved_image(path: Path, base_layers: int = 0, cache: dict[str, LayerScan] | None = None) -> ImageAnalysis:
    """Analyse the tar written by ``docker save IMAGE -o PATH`` (docker-archive or OCI layout).

    ``cache`` maps a layer's diff id to its scan: images that share a base layer scan (and gzip) it once.
    """
    cache = {} if cache is None else cache
    scans = []
    with tarfile.open(path, mode="r:") as image:
        for layer_path, diff_id in _layer_paths(image, path):
            scan = cache.get(diff_id) if diff_id else None
            if scan is None:
                scan = _scan_stored_layer(image, layer_path, path)
                if diff_id:
                    cache[diff_id] = scan
            scans.append(scan)
    return analyse_scans(scans, base_layers)
