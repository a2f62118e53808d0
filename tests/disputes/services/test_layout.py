"""The layout of the case engine: services and selectors import one way, never the tasks or petitions,
and no module takes another's private names. (import-linter checks the whole project; this keeps the
engine's own rules next to its tests.)"""

import ast
from pathlib import Path

import pytest

from disputes import links
from disputes.services import triage

ROOT = Path(__file__).resolve().parents[3]
ENGINE = sorted(
    [
        *(ROOT / "disputes" / "services").glob("*.py"),
        *(ROOT / "disputes" / "selectors").glob("*.py"),
        *(ROOT / "disputes" / name for name in ("links.py", "callbacks.py", "scale.py", "intake.py", "tasks.py")),
    ]
)


def imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(module, names, at module level) for each import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names], id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], id(node) in top) for a in node.names]
    return found


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("path", ENGINE, ids=module_of)
def test_imports_are_at_the_top_and_public(path):
    for module, names, at_top in imports(path):
        assert at_top, f"{module_of(path)} imports {module} inside a function"
        assert not [n for n in names if n.startswith("_")], f"{module_of(path)} takes private names of {module}"


@pytest.mark.parametrize("path", ENGINE, ids=module_of)
def test_the_engine_imports_no_petitions(path):
    assert not [m for m, _names, _top in imports(path) if m == "petitions" or m.startswith("petitions.")]


@pytest.mark.parametrize("path", [p for p in ENGINE if "services" in p.parts or "selectors" in p.parts], ids=module_of)
def test_services_and_selectors_do_not_import_the_tasks(path):
    """The tasks call the services; a service queues a task by its name (services.routing.routing_enqueue)."""
    assert "disputes.tasks" not in [m for m, _names, _top in imports(path)]


@pytest.mark.parametrize("path", [p for p in ENGINE if "selectors" in p.parts], ids=module_of)
def test_selectors_do_not_import_services(path):
    assert not [m for m, _names, _top in imports(path) if m.startswith("disputes.services")]


# --- Petitions' reads, registered (disputes.links) -----------------------------------------------------


@pytest.fixture
def no_petitions():
    saved = links._registered
    links.unregister_petitions()
    yield
    links._registered = saved


def test_without_petitions_nothing_is_open_and_nothing_visible(no_petitions):
    assert not links.petitions_registered()
    assert links.open_petitions_for(phones={"13900139000"}, id_numbers=set()) == ([], 0)
    assert links.petition_ids_visible_to(None, [1, 2]) == set()


def test_registered_reads_are_asked(no_petitions):
    asked = []

    def open_for(*, phones, id_numbers):
        asked.append((phones, id_numbers))
        return [7], 1

    links.register_petitions(open_for=open_for, visible_to=lambda user: None)
    assert links.open_petitions_for(phones={"13900139000"}, id_numbers={"x"}) == ([7], 1)
    assert asked == [({"13900139000"}, {"x"})]
    # Nobody to look for: not asked.
    assert links.open_petitions_for(phones=set(), id_numbers=set()) == ([], 0)
    assert len(asked) == 1


def test_petitions_register_when_the_project_starts():
    """petitions.apps.PetitionsConfig.ready hands its reads over; triage counts a party's open petitions."""
    assert links.petitions_registered()
    assert triage.links is links
