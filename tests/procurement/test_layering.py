"""Apps depend only downward (DESIGN.md, "Layers"), as the import-linter contract in
pyproject.toml states; and that contract really catches an upward import."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PYPROJECT = Path(settings.BASE_DIR) / "pyproject.toml"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_keeps_the_layering_contract():
    result = lint_imports(Path(settings.BASE_DIR))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def write_module(root: Path, dotted: str, source: str = "") -> None:
    parts = dotted.split(".")
    for depth in range(1, len(parts) + 1):
        package = root.joinpath(*parts[:depth])
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
    if source:
        (root.joinpath(*parts) / "__init__.py").write_text(source)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("procurement.accounts", "payments"),
        ("payments", "catalog"),
        ("logistics", "orders"),
        ("catalog", "logistics"),
        ("orders", "procurement.views"),
        ("payments", "procurement.api"),
        ("procurement.accounts", "procurement.demo"),
    ],
)
def test_the_contract_refuses_an_upward_or_sideways_import(tmp_path, importer, imported):
    """A skeleton with the project's package names and one forbidden import breaks the contract."""
    with PYPROJECT.open("rb") as file:
        config = tomllib.load(file)["tool"]["importlinter"]
    for layer in config["contracts"][0]["layers"]:
        for name in layer.replace(":", "|").split("|"):
            write_module(tmp_path, name.strip().strip("()"))
    write_module(tmp_path, importer, f"import {imported}\n")
    (tmp_path / "pyproject.toml").write_bytes(PYPROJECT.read_bytes())

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert f"{importer} -> {imported}" in result.stdout
