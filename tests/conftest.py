"""Shared fixtures. Docker tests stand up the real engine, bases and index through bench's own code."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def read_lines(relative: str) -> list[str]:
    return (FIXTURES / relative).read_text().splitlines()
