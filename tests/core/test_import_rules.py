"""The import rules (docs/design.md): config -> apps -> grids -> core, no cycles, no private names.

- import-linter's contracts ([tool.importlinter] in pyproject.toml): the layers, core importing
  no app, no app importing demo or config, no cycle between the siblings of any package;
- no cycle between any two project modules, function-level imports included (a cycle hidden
  in a function is still a cycle);
- no module imports another module's private (_underscore) names, neither `from x import _y`
  nor `x._y` on a module it imported.

Static analysis only: nothing here imports the project or touches the database.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
# The project's packages: what import-linter's root_packages names.
PACKAGES = ("config", "core", "grids", "disputes", "petitions", "demo")


def _lint_imports() -> subprocess.CompletedProcess[str]:
    # --no-cache: the test leaves no .import_linter_cache behind.
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603


def test_import_linter_contracts_are_kept():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """The import cycles: each group of two or more modules that all reach one another (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        pending: str | None = start
        while pending is not None or work:
            if pending is not None:  # enter a module
                index[pending] = low[pending] = len(index)
                stack.append(pending)
                on_stack.add(pending)
                work.append((pending, iter(sorted(graph.find_modules_directly_imported_by(pending)))))
                pending = None
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    pending = other
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            if pending is not None:
                continue
            work.pop()  # every import of `module` seen
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def _cycle_report(graph: grimp.ImportGraph, group: list[str]) -> str:
    members = set(group)
    lines = [f"  cycle of {len(group)}: {', '.join(group)}"]
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer} (l.{detail['line_number']}) -> {imported}")
    return "\n".join(lines)


def test_no_import_cycle_between_project_modules(graph):
    cycles = strongly_connected(graph)
    assert not cycles, "Import cycles:\n" + "\n".join(_cycle_report(graph, group) for group in cycles)


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.one", "a.two", "a.three", "a.four"):
        graph.add_module(module)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.three")
    graph.add_import(importer="a.three", imported="a.one")
    graph.add_import(importer="a.four", imported="a.one")
    assert strongly_connected(graph) == [["a.one", "a.three", "a.two"]]


# --- Private names ---------------------------------------------------------------------------------

EXCLUDED_PARTS = {"tests", "migrations", ".venv", "node_modules", "var", "__pycache__"}


def project_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not EXCLUDED_PARTS & set(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a `from ... import` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_module(dotted: str) -> bool:
    path = ROOT / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def private_imports(path: Path) -> list[str]:
    """`from x import _y` and `x._y` (x a project module this file imported) in one file.

    Private modules (`_y.py`) are import-linter's (the private_modules contract): only names here.
    """
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    modules_bound: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_project(alias.name):
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    modules_bound[alias.asname or bound] = bound
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, path.name == "__init__.py")
            if not _is_project(source) or source == module:
                continue
            for alias in node.names:
                if _is_module(f"{source}.{alias.name}"):
                    modules_bound[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif _is_private(alias.name):
                    found.append(f"l.{node.lineno}: from {source} import {alias.name}")
    for node in ast.walk(tree):
        # x._y, and x.y._z on a package bound by `import x`.
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            dotted = _dotted(node.value)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if head in modules_bound:
                target = ".".join(filter(None, [modules_bound[head], rest]))
                if target != module and not _is_module(f"{target}.{node.attr}"):
                    found.append(f"l.{node.lineno}: {dotted}.{node.attr} ({target})")
    return found


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def test_no_module_imports_another_modules_private_names():
    found = {str(path.relative_to(ROOT)): hits for path in project_files() if (hits := private_imports(path))}
    assert not found, "Private names used across modules:\n" + "\n".join(
        f"  {path}: {'; '.join(hits)}" for path, hits in sorted(found.items())
    )


def test_the_private_name_scan_finds_them(tmp_path, monkeypatch):
    package = tmp_path / "core" / "sample"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "other.py").write_text("_hidden = 1\n")
    (package / "_inner.py").write_text("")
    (package / "user.py").write_text(
        "from core.sample.other import _hidden\n"
        "from . import other, _inner\n"
        "from .other import __doc__\n"
        "import core.sample.other as o\n"
        "print(other._hidden, o._hidden, other.visible, _inner)\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert private_imports(package / "user.py") == [
        "l.1: from core.sample.other import _hidden",
        "l.5: other._hidden (core.sample.other)",
        "l.5: o._hidden (core.sample.other)",
    ]
