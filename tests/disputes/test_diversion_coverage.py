"""`manage.py diversion_coverage`: the (area, category) pairs the diversion list sends nowhere."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disputes.models import DiversionRule
from tests.factories import CategoryFactory, DepartmentFactory


def coverage(*args: str) -> list[str]:
    out = StringIO()
    call_command("diversion_coverage", *args, stdout=out)
    return out.getvalue().splitlines()


def uncovered(lines: list[str]) -> set[tuple[str, str]]:
    """(area code, category code) of each listed pair."""
    return {(line.split("\t")[0], line.split("\t")[2]) for line in lines if "\t" in line}


@pytest.fixture
def rule_a(tree, category, departments):
    return DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])


def test_lists_the_uncovered_pairs_and_counts_them(tree, category, rule_a):
    lines = coverage()

    # Township A's rule covers its village and grid; township B has none.
    assert uncovered(lines) == {(tree.village_b.code, "neighbour"), (tree.grid_b.code, "neighbour")}
    assert f"{tree.village_b.code}\t{tree.village_b.name}\tneighbour\t{category.name}" in lines
    assert lines[-1] == "2 of 4 (area, category) pairs have no department."


def test_strict_fails_while_a_pair_is_uncovered(tree, category, rule_a):
    with pytest.raises(CommandError, match="2 uncovered pairs"):
        coverage("--strict")


def test_a_rule_for_the_missing_area_removes_the_pair(tree, category, rule_a, departments):
    assert (tree.village_b.code, "neighbour") in uncovered(coverage())
    DiversionRule.objects.create(area=tree.village_b, category=category, lead_department=departments["b"])

    lines = coverage("--strict")  # no error any more

    assert uncovered(lines) == set()
    assert lines[-1] == "0 of 4 (area, category) pairs have no department."


def test_a_rule_higher_up_covers_everything_below(tree, category, departments):
    assert len(uncovered(coverage())) == 4
    DiversionRule.objects.create(
        area=tree.county, category=category, lead_department=DepartmentFactory(area=tree.county)
    )

    lines = coverage("--strict")

    assert uncovered(lines) == set()
    assert lines[-1] == "0 of 4 (area, category) pairs have no department."


def test_each_active_category_is_checked_and_an_inactive_one_is_not(tree, category, rule_a):
    labour = CategoryFactory(code="labour", name="劳资纠纷")
    CategoryFactory(code="retired", name="旧类别", is_active=False)

    lines = coverage()

    assert (tree.grid_a.code, "labour") in uncovered(lines)
    assert not any(code == "retired" for _area, code in uncovered(lines))
    assert lines[-1] == "6 of 8 (area, category) pairs have no department."
    assert labour.is_active


def test_a_rule_whose_department_was_closed_does_not_count(tree, category, rule_a, departments):
    departments["a"].is_active = False
    departments["a"].save()

    lines = coverage()

    assert (tree.grid_a.code, "neighbour") in uncovered(lines)
    assert lines[-1] == "4 of 4 (area, category) pairs have no department."


def test_level_selects_the_areas_checked(tree, category, rule_a):
    lines = coverage("--level", "3")

    assert (tree.town_b.code, "neighbour") in uncovered(lines)
    assert (tree.town_a.code, "neighbour") not in uncovered(lines)
    assert lines[-1] == "3 of 6 (area, category) pairs have no department."
