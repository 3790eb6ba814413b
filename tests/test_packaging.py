"""The wheel carries the schemas and templates, and code finds them in one configured place."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import einvoice
from einvoice import resources

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel once, offline, from the working tree."""
    out = tmp_path_factory.mktemp("wheel")
    # --no-index and --no-build-isolation: the build must work offline, with the venv's hatchling.
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out)]
    subprocess.run([*command, str(ROOT)], check=True, cwd=out)
    (built,) = out.glob("einvoice-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    """Return the names of the files inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _shipped_files(folder: str, pattern: str = "*") -> list[str]:
    """Return the files of a top-level folder as the wheel should name them."""
    return [
        f"einvoice/_data/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
        for path in sorted((ROOT / folder).rglob(pattern))
        if path.is_file() and not any(part.startswith(".") for part in path.parts)
    ]


def test_wheel_version_is_the_package_version(wheel: Path) -> None:
    """The wheel's version (pyproject.toml) and einvoice.__version__ agree."""
    assert wheel.name.startswith(f"einvoice-{einvoice.__version__}-")


def test_wheel_ships_the_templates(wheel_names: set[str]) -> None:
    """Every file of templates/ is in the wheel under einvoice/_data/templates/."""
    expected = _shipped_files("templates")
    assert "einvoice/_data/templates/README.md" in expected
    assert set(expected) <= wheel_names


def test_wheel_ships_the_schemas(wheel_names: set[str]) -> None:
    """Every XSD of schemas/ is in the wheel under einvoice/_data/schemas/."""
    expected = _shipped_files("schemas", "*.xsd")
    if not expected:
        pytest.skip("schemas/ holds no XSD yet")
    assert set(expected) <= wheel_names


def test_wheel_ships_the_code_but_not_the_tests(wheel_names: set[str]) -> None:
    """The package is in the wheel; tests and the development scripts are not."""
    assert {"einvoice/__init__.py", "einvoice/resources.py"} <= wheel_names
    assert not [name for name in wheel_names if name.startswith(("tests/", "scripts/"))]


@pytest.fixture
def fake_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Pretend einvoice lives in tmp_path/site/einvoice, with resource_root's cache cleared."""
    package = tmp_path / "site" / "einvoice"
    package.mkdir(parents=True)
    monkeypatch.delenv("EINVOICE_RESOURCE_DIR", raising=False)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    resources.resource_root.cache_clear()
    yield package
    resources.resource_root.cache_clear()


def test_installed_package_uses_its_data_folder(fake_package: Path) -> None:
    """An installed package finds schemas and templates in its own _data folder."""
    (fake_package / "_data" / "schemas").mkdir(parents=True)
    assert resources.resource_root() == fake_package / "_data"
    assert resources.schemas_dir() == fake_package / "_data" / "schemas"
    assert resources.templates_dir() == fake_package / "_data" / "templates"


def test_checkout_uses_the_top_level_folders(fake_package: Path) -> None:
    """Without _data/schemas, the folders beside the package (a source checkout) are used."""
    assert resources.resource_root() == fake_package.parent


def test_environment_override_wins(fake_package: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """EINVOICE_RESOURCE_DIR beats both the packaged and the checkout folders."""
    (fake_package / "_data" / "schemas").mkdir(parents=True)
    monkeypatch.setenv("EINVOICE_RESOURCE_DIR", str(tmp_path / "elsewhere"))
    assert resources.resource_root() == (tmp_path / "elsewhere").resolve()


def test_this_checkout_resolves_to_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the source tree, schemas/ and templates/ are the repository's own."""
    monkeypatch.delenv("EINVOICE_RESOURCE_DIR", raising=False)
    resources.resource_root.cache_clear()
    try:
        assert resources.templates_dir() == ROOT / "templates"
        assert resources.schemas_dir() == ROOT / "schemas"
    finally:
        resources.resource_root.cache_clear()


#: Absolute paths of one machine: a document that cites them is wrong on every other checkout.
_MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|Users|root)/\w")


def test_shipped_text_cites_no_absolute_path_of_one_machine() -> None:
    """Schemas, templates, docs, the READMEs and the code cite the spec as ../shared/…, never /work/shared/…."""
    folders = ("einvoice", "schemas", "templates", "docs", "bench", "scripts")
    files = [ROOT / "README.md", *(path for folder in folders for path in (ROOT / folder).rglob("*") if path.is_file())]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path.suffix in {".py", ".md", ".xsd", ".html", ".css", ".sh", ".toml", ".txt", ".j2"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _MACHINE_PATH.search(line)
    ]
    assert offenders == []
    assert _MACHINE_PATH.search("from /work/shared/spec/README.md")
    assert not _MACHINE_PATH.search("from ../shared/spec/README.md")
