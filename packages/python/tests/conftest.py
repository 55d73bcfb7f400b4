"""Shared fixtures: where the golden corpus is.

The tests run against whichever `datafog_firewall` is importable; `scripts/test-python` installs
the built wheel into a fresh venv and runs them from outside the source tree, with
`DATAFOG_EXPECT_INSTALLED=1` so `test_install.py` checks that it really is the wheel.
"""

import json
import os
from pathlib import Path

import pytest

#: The repository root (these tests live in `packages/python/tests`); `DATAFOG_REPO` overrides.
REPO = Path(os.environ.get("DATAFOG_REPO") or Path(__file__).resolve().parents[3])
CORPUS = REPO / "tests" / "corpus"


def corpus_files(area: str) -> list:
    files = sorted((CORPUS / area).glob("*.json"))
    assert files, f"no corpus files in {CORPUS / area}"
    return files


def load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
