"""Saved-image analysis: layer sizes, shadowed bytes and build artefacts, over small images written here."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.image_tar import (
    CATEGORIES,
    Member,
    analyse_saved_image,
    apply_layers,
    classify_artefact,
    find_artefacts,
    member_from_tarinfo,
    normalise_path,
)


@dataclass(frozen=True)
class Link:
    """A hard link to ``target`` in the same layer."""

    target: str


LayerSpec = dict[str, bytes | Link]


def layer_tar(files: LayerSpec) -> bytes:
    """A layer tar as Docker writes one: parent directories first, whiteouts as empty regular files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        written: set[str] = set()
        for path, content in files.items():
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory = "/".join(parts[:depth])
                if directory not in written:
                    written.add(directory)
                    tar.addfile(_dir(directory))
            info = tarfile.TarInfo(path)
            if isinstance(content, Link):
                info.type, info.linkname = tarfile.LNKTYPE, content.target
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _dir(path: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_image(path: Path, layers: list[LayerSpec], *, oci: bool = False, images: int = 1) -> Path:
    """A ``docker save`` tar: ``<hex>/layer.tar`` layers (Docker 20.10) or ``blobs/sha256/<hex>`` (OCI layout)."""
    blobs = {}
    layer_paths = []
    for files in layers:
        blob = layer_tar(files)
        digest = hashlib.sha256(blob).hexdigest()
        layer_paths.append(f"blobs/sha256/{digest}" if oci else f"{digest}/layer.tar")
        blobs[layer_paths[-1]] = blob  # identical layers are stored once and listed twice, as docker does
    config = json.dumps({"rootfs": {"type": "layers"}}).encode()
    config_path = f"blobs/sha256/{hashlib.sha256(config).hexdigest()}" if oci else "config.json"
    manifest = [{"Config": config_path, "RepoTags": [f"bench:{n}"], "Layers": layer_paths} for n in range(images)]
    with tarfile.open(path, mode="w") as tar:
        for name, blob in blobs.items():
            _add(tar, name, blob)
        _add(tar, config_path, config)
        if oci:
            _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "manifest.json", json.dumps(manifest).encode())  # docker 20.10 writes it last
    return path


def read_member(image: Path, name: str) -> bytes:
    with tarfile.open(image) as tar:
        member = tar.extractfile(name)
        assert member is not None
        return member.read()


def f(path: str, size: int) -> Member:
    return Member(path, "file", size)


def wheel_layers() -> list[LayerSpec]:
    """Base, ``COPY /whl/*.whl /whl/`` and ``RUN pip install /whl/*.whl``."""
    return [
        {"usr/bin/python3": b"p" * 50, "etc/os-release": b"o" * 20},
        {"whl/flask-3.0.2-py3-none-any.whl": b"w" * 300, "whl/numpy-2.0.0-cp311-linux_x86_64.whl": b"n" * 500},
        {"usr/lib/python3/site-packages/flask/__init__.py": b"f" * 70},
    ]


def test_copied_wheels_stay_in_the_image_as_artefacts(tmp_path: Path) -> None:
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", wheel_layers()))
    assert analysis.artefact_bytes == 800
    assert analysis.artefacts.wheels == 800
    assert [a.path for a in analysis.artefacts.largest] == [
        "whl/numpy-2.0.0-cp311-linux_x86_64.whl",
        "whl/flask-3.0.2-py3-none-any.whl",
    ]
    assert all(getattr(analysis.artefacts, name) == 0 for name in CATEGORIES if name != "wheels")
    assert analysis.shadowed_bytes == 0
    assert analysis.final_fs_bytes == 50 + 20 + 800 + 70
    assert [(layer.index, layer.files, layer.file_bytes) for layer in analysis.layers] == [
        (0, 2, 70),
        (1, 2, 800),
        (2, 1, 70),
    ]


def test_removing_the_wheels_later_shadows_them_instead(tmp_path: Path) -> None:
    layers: list[LayerSpec] = [*wheel_layers(), {".wh.whl": b""}]  # RUN rm -rf /whl
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", layers))
    assert analysis.shadowed_bytes == 800
    assert [layer.shadowed_bytes for layer in analysis.layers] == [0, 800, 0, 0]
    assert analysis.artefact_bytes == 0
    assert analysis.artefacts.largest == ()
    assert analysis.final_fs_bytes == 50 + 20 + 70
    assert analysis.layers[3].files == 0  # a whiteout is not a file
    assert sum(layer.file_bytes for layer in analysis.layers) == analysis.final_fs_bytes + analysis.shadowed_bytes


def test_overwrite_then_delete_counts_each_shipped_copy_once() -> None:
    final = apply_layers([[f("app/data", 100)], [f("app/data", 120)], [f("app/.wh.data", 0)]])
    assert final.shadowed_by_layer == (100, 120, 0)
    assert final.files == {}


def test_overwrite_shadows_only_the_lower_copy() -> None:
    final = apply_layers([[f("app/data", 100), f("app/other", 5)], [f("app/data", 120)]])
    assert final.shadowed_by_layer == (100, 0)
    assert final.files == {"app/data": 120, "app/other": 5}


def test_a_path_written_twice_in_one_layer_keeps_the_later_copy() -> None:
    final = apply_layers([[f("a", 10), f("a", 30)]])
    assert final.shadowed_by_layer == (10,)
    assert final.files == {"a": 30}


def test_opaque_directory_hides_lower_files_but_keeps_its_own() -> None:
    lower = [Member("app", "dir"), f("app/old.txt", 100), f("app/sub/deep", 50), f("other/keep", 10)]
    # The marker comes after the layer's own file: whiteouts act on lower layers wherever they sit in the tar.
    upper = [Member("app", "dir"), f("app/new.txt", 7), f("app/.wh..wh..opq", 0)]
    final = apply_layers([lower, upper])
    assert final.files == {"app/new.txt": 7, "other/keep": 10}
    assert final.shadowed_by_layer == (150, 0)


def test_opaque_directory_in_a_saved_image(tmp_path: Path) -> None:
    layers: list[LayerSpec] = [{"app/old.txt": b"o" * 100}, {"app/.wh..wh..opq": b"", "app/new.txt": b"n" * 7}]
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", layers))
    assert (analysis.final_fs_bytes, analysis.shadowed_bytes) == (7, 100)


def test_whiteout_of_a_directory_removes_its_subtree_and_nothing_that_shares_its_prefix() -> None:
    lower = [Member("a", "dir"), f("a/x", 1), f("a/y/z", 2), f("ab/w", 4), f("a.txt", 8)]
    final = apply_layers([lower, [f(".wh.a", 0)]])
    assert final.files == {"ab/w": 4, "a.txt": 8}
    assert final.shadowed_by_layer == (3, 0)


def test_hard_linked_bytes_count_once_and_survive_removal_of_the_original() -> None:
    linked = [f("bin/tool", 100), Member("bin/alias", "hardlink", 0, "bin/tool")]
    assert apply_layers([linked]).files == {"bin/tool": 100}
    final = apply_layers([linked, [f("bin/.wh.tool", 0)]])
    assert final.files == {"bin/alias": 100}
    assert final.shadowed_by_layer == (0, 0)
    gone = apply_layers([linked, [f("bin/.wh.tool", 0), f("bin/.wh.alias", 0)]])
    assert gone.shadowed_by_layer == (100, 0)


def test_a_hard_link_to_a_hard_link_reaches_the_same_bytes() -> None:
    chain = [f("a", 100), Member("b", "hardlink", 0, "a"), Member("c", "hardlink", 0, "b")]
    final = apply_layers([chain, [f(".wh.a", 0), f(".wh.b", 0)]])
    assert final.files == {"c": 100}
    assert final.shadowed_by_layer == (0, 0)


def test_hard_links_in_a_saved_image(tmp_path: Path) -> None:
    layers: list[LayerSpec] = [{"bin/tool": b"t" * 100, "bin/alias": Link("bin/tool")}, {"bin/.wh.tool": b""}]
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", layers))
    assert (analysis.layers[0].files, analysis.final_fs_bytes, analysis.shadowed_bytes) == (1, 100, 0)


def test_a_file_replaces_a_lower_directory_and_a_directory_a_lower_file() -> None:
    lower = [f("x", 10), Member("d", "dir"), f("d/f", 20)]
    upper = [Member("x", "dir"), f("x/inner", 5), f("d", 3)]
    final = apply_layers([lower, upper])
    assert final.files == {"x/inner": 5, "d": 3}
    assert final.shadowed_by_layer == (30, 0)


def test_a_file_becomes_a_directory_even_without_a_directory_entry() -> None:
    final = apply_layers([[f("x", 10)], [f("x/inner", 5)]])
    assert final.files == {"x/inner": 5}
    assert final.shadowed_by_layer == (10, 0)


@pytest.mark.parametrize(
    ("name", "path"),
    [("./usr/bin/x", "usr/bin/x"), ("/etc/", "etc"), (".//a", "a"), ("./", ""), (".", ""), ("a/.b", "a/.b")],
)
def test_member_names_are_normalised(name: str, path: str) -> None:
    assert normalise_path(name) == path


def test_tar_entries_become_members() -> None:
    link = tarfile.TarInfo("./usr/bin/alias")
    link.type, link.linkname = tarfile.LNKTYPE, "./usr/bin/tool"
    regular = tarfile.TarInfo("/usr/bin/tool")
    regular.size = 9
    assert member_from_tarinfo(link) == Member("usr/bin/alias", "hardlink", 0, "usr/bin/tool")
    assert member_from_tarinfo(regular) == Member("usr/bin/tool", "file", 9)
    assert member_from_tarinfo(_dir("./")) is None


def test_caches_and_apt_leftovers_are_artefacts(tmp_path: Path) -> None:
    layers: list[LayerSpec] = [
        {
            "root/.cache/pip/http/a/b/c": b"c" * 1000,
            "home/app/.cache/pip/wheels/ab/x-1.0-py3-none-any.whl": b"x" * 200,
            "root/.cache/uv/archive-v0/y": b"y" * 300,
            "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages": b"l" * 4000,
            "var/lib/apt/lists/lock": b"",
            "var/lib/apt/lists/partial/.keep": b"",
            "var/cache/apt/archives/curl_7.88_amd64.deb": b"d" * 700,
            "etc/apt/sources.list": b"s" * 60,
        }
    ]
    artefacts = analyse_saved_image(write_image(tmp_path / "image.tar", layers)).artefacts
    assert (artefacts.pip_cache, artefacts.uv_cache, artefacts.apt_lists, artefacts.apt_archives) == (
        1200,
        300,
        4000,
        700,
    )
    assert artefacts.wheels == 0  # a wheel in pip's cache is cache
    assert artefacts.total_bytes == 6200
    assert artefacts.largest[0].category == "apt_lists"
    assert not {"var/lib/apt/lists/lock", "var/lib/apt/lists/partial/.keep", "etc/apt/sources.list"} & {
        a.path for a in artefacts.largest
    }


def test_only_the_ten_largest_artefacts_are_listed() -> None:
    breakdown = find_artefacts({f"whl/p{n}-1.0-py3-none-any.whl": n for n in range(1, 13)})
    assert [a.size_bytes for a in breakdown.largest] == list(range(12, 2, -1))
    assert breakdown.wheels == sum(range(1, 13))


@pytest.mark.parametrize(
    ("path", "size", "category"),
    [
        ("whl/flask-3.0.2-py3-none-any.whl", 1, "wheels"),
        ("tmp/flask-3.0.2.tar.gz", 1, "sdists"),
        ("tmp/numpy-2.0.0rc1.zip", 1, "sdists"),
        ("opt/my_pkg-1.2.post1.tar.bz2", 1, "sdists"),
        ("src/dist/anything.tar.gz", 1, "sdists"),
        ("wheels/vendored.zip", 1, "sdists"),
        ("usr/share/doc/readme.tar.gz", 1, None),
        ("opt/node-v18.tar.gz", 1, None),
        ("usr/lib/python3/dist-packages/bundle.zip", 1, None),
        ("tmp/flask-3.0.2.tar", 1, None),
        ("root/.cache/pip/selfcheck.json", 1, "pip_cache"),
        (".cache/uv/x", 1, "uv_cache"),
        ("home/app/.cache/pipx/x", 1, None),
        ("var/lib/apt/lists/lock", 0, None),
        ("var/lib/apt/lists/partial/x", 0, None),
        ("var/lib/apt/lists/partial/x", 5, "apt_lists"),
        ("var/cache/apt/archives/curl.deb", 1, "apt_archives"),
        ("var/cache/apt/archives/partial/curl.deb", 1, None),
        ("var/cache/apt/pkgcache.bin", 1, None),
        ("etc/passwd", 1, None),
    ],
)
def test_artefact_categories(path: str, size: int, category: str | None) -> None:
    assert classify_artefact(path, size) == category


def test_push_bytes_are_the_gzipped_layers(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(200_000)
    layers: list[LayerSpec] = [{"srv/text": b"all work and no play " * 150_000}, {"srv/noise": noise}]
    image = write_image(tmp_path / "image.tar", layers)
    analysis = analyse_saved_image(image)
    blobs = [read_member(image, p) for p in json.loads(read_member(image, "manifest.json"))[0]["Layers"]]
    assert [layer.uncompressed_bytes for layer in analysis.layers] == [len(b) for b in blobs]
    assert [layer.gzip_bytes for layer in analysis.layers] == [len(zlib.compress(b, 6, wbits=31)) for b in blobs]
    assert analysis.push_bytes == sum(layer.gzip_bytes for layer in analysis.layers)
    assert analysis.uncompressed_bytes == sum(len(b) for b in blobs)
    assert analysis.push_bytes < analysis.uncompressed_bytes
    assert analysis.layers[0].gzip_bytes < analysis.layers[0].file_bytes // 100
    assert analysis.layers[1].gzip_bytes > analysis.layers[1].file_bytes  # noise does not compress


def test_padding_after_the_end_of_a_layer_tar_is_pushed_too(tmp_path: Path) -> None:
    blob = layer_tar({"a": b"a" * 10}) + bytes(200_000)
    image = tmp_path / "image.tar"
    with tarfile.open(image, mode="w") as tar:
        _add(tar, "l/layer.tar", blob)
        _add(tar, "manifest.json", json.dumps([{"Config": "c", "Layers": ["l/layer.tar"]}]).encode())
    layer = analyse_saved_image(image).layers[0]
    assert (layer.uncompressed_bytes, layer.gzip_bytes) == (len(blob), len(zlib.compress(blob, 6, wbits=31)))


def test_oci_layout_gives_the_same_analysis_as_docker_archive(tmp_path: Path) -> None:
    layers: list[LayerSpec] = [*wheel_layers(), {"whl/.wh.flask-3.0.2-py3-none-any.whl": b""}]
    oci = write_image(tmp_path / "oci.tar", layers, oci=True)
    assert all(p.startswith("blobs/sha256/") for p in json.loads(read_member(oci, "manifest.json"))[0]["Layers"])
    analysis = analyse_saved_image(oci)
    assert analysis == analyse_saved_image(write_image(tmp_path / "archive.tar", layers))
    assert (analysis.shadowed_bytes, analysis.artefact_bytes, len(analysis.layers)) == (300, 500, 4)


def test_a_layer_stored_once_but_listed_twice_is_applied_twice(tmp_path: Path) -> None:
    same: LayerSpec = {"etc/motd": b"m" * 40}
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", [same, same]))
    assert len(analysis.layers) == 2
    assert [layer.shadowed_bytes for layer in analysis.layers] == [40, 0]
    assert analysis.final_fs_bytes == 40


def test_a_file_with_several_images_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one image"):
        analyse_saved_image(write_image(tmp_path / "image.tar", wheel_layers(), images=2))


def test_a_compressed_layer_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "image.tar"
    with tarfile.open(image, mode="w") as tar:
        _add(tar, "blobs/sha256/abc", zlib.compress(layer_tar({"a": b"a"}), 6, wbits=31))
        _add(tar, "manifest.json", json.dumps([{"Config": "c", "Layers": ["blobs/sha256/abc"]}]).encode())
    with pytest.raises(ValueError, match="gzip-compressed"):
        analyse_saved_image(image)


def test_the_analysis_is_json_ready_in_raw_units(tmp_path: Path) -> None:
    analysis = analyse_saved_image(write_image(tmp_path / "image.tar", wheel_layers()))
    d = json.loads(json.dumps(analysis.to_dict()))
    assert d["artefact_bytes"] == 800 and d["artefacts"]["total_bytes"] == 800
    assert d["artefacts"]["largest"][0] == {
        "path": "whl/numpy-2.0.0-cp311-linux_x86_64.whl",
        "size_bytes": 500,
        "category": "wheels",
    }
    assert [layer["index"] for layer in d["layers"]] == [0, 1, 2]
    assert d["push_bytes"] == sum(layer["gzip_bytes"] for layer in d["layers"])


def test_artefacts_the_base_image_ships_are_counted_apart() -> None:
    from bench.image_tar import LayerScan, Member, analyse_scans

    base = LayerScan((Member("usr/share/python-wheels/pip-23.0.1-py3-none-any.whl", "file", 1_800),), 2_048, 900)
    added = LayerScan((Member("whl/numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl", "file", 16_000),), 17_408, 9)
    analysis = analyse_scans([base, added], base_layers=1)
    assert (analysis.artefact_bytes, analysis.base_artefact_bytes) == (16_000, 1_800)
    assert analyse_scans([base, added]).artefact_bytes == 17_800


def test_a_layer_shared_by_two_images_is_scanned_once(tmp_path: Path) -> None:
    """Images on the same base share its layer; a run scans and gzips it once (keyed by its diff id)."""
    import io
    import json
    import tarfile

    from bench.image_tar import LayerScan, analyse_saved_image

    def layer(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def save(path: Path, layers: list[tuple[str, bytes]]) -> Path:
        with tarfile.open(path, mode="w") as t:
            entries = {f"{i}/layer.tar": blob for i, (_, blob) in enumerate(layers)}
            entries["config.json"] = json.dumps({"rootfs": {"diff_ids": [d for d, _ in layers]}}).encode()
            entries["manifest.json"] = json.dumps([{"Config": "config.json", "Layers": list(entries)[:-1]}]).encode()
            for name, data in entries.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return path

    base = ("sha256:base", layer({"usr/lib/libc.so": b"x" * 5000}))
    cache: dict[str, LayerScan] = {}
    a = analyse_saved_image(save(tmp_path / "a.tar", [base, ("sha256:a", layer({"app/a": b"a" * 10}))]), cache=cache)
    assert set(cache) == {"sha256:base", "sha256:a"}
    scanned = cache["sha256:base"]
    b = analyse_saved_image(save(tmp_path / "b.tar", [base, ("sha256:b", layer({"app/b": b"b" * 20}))]), cache=cache)
    assert cache["sha256:base"] is scanned and set(cache) == {"sha256:base", "sha256:a", "sha256:b"}
    assert a.layers[0] == b.layers[0] and (a.final_fs_bytes, b.final_fs_bytes) == (5010, 5020)
