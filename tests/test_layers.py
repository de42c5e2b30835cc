"""Layers from real `docker image history --no-trunc --human=false --format '{{json .}}'` output."""

from __future__ import annotations

import pytest

from bench.layers import base_layer_count, clean_created_by, is_wheel_copy, parse_history
from tests.conftest import FIXTURES, read_lines


def test_history_is_oldest_first_and_sums_to_the_inspected_image_size() -> None:
    entries = parse_history(read_lines("history/seed-copy.jsonl"))
    assert [e.created_by for e in entries] == ["", "COPY /whl/*.whl /whl/", "RUN pip install --no-deps /whl/*.whl"]
    assert sum(e.size_bytes for e in entries) == int((FIXTURES / "history/seed-copy.size").read_text())


def test_base_layers_are_recognised_by_the_base_image_history() -> None:
    image = parse_history(read_lines("history/seed-copy.jsonl"))
    base = parse_history(read_lines("history/standin-slim.jsonl"))
    assert base_layer_count(image, base) == 1
    assert base_layer_count(image[1:], base) == 0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("RUN /bin/sh -c pip install --no-deps /whl/*.whl # buildkit", "RUN pip install --no-deps /whl/*.whl"),
        ("RUN |1 PIP_INDEX_URL=http://127.0.0.1:4000/simple/ /bin/sh -c pip wheel -r r.txt # buildkit",
         "RUN pip wheel -r r.txt"),
        ("/bin/sh -c #(nop)  CMD [\"python3\"]", 'CMD ["python3"]'),
        ("|2 A=1 B=2 /bin/sh -c make", "RUN make"),
        ("COPY /whl/*.whl /whl/ # buildkit", "COPY /whl/*.whl /whl/"),
    ],
)
def test_created_by_is_the_instruction_without_shell_or_build_arg_values(raw: str, clean: str) -> None:
    assert clean_created_by(raw) == clean


def test_sizes_must_be_bytes() -> None:
    with pytest.raises(ValueError, match="human=false"):
        parse_history(['{"CreatedBy": "x", "Size": "28.9MB"}'])


def test_wheel_copy_is_a_copy_of_wheels_only() -> None:
    assert is_wheel_copy("COPY /whl/*.whl /whl/")
    assert not is_wheel_copy("RUN pip install --no-deps /whl/*.whl")
    assert not is_wheel_copy("COPY requirements.txt .")
