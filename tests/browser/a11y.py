"""Accessibility checks with axe-core, for the browser tests.

`assert_accessible(page, label)` injects axe-core (the npm package pinned in
package.json; `make setup` runs `npm ci` when it is missing) into a Playwright
page, runs it and fails on any violation of impact "serious" or "critical",
listing for each the rule, its impact, the elements concerned and the help text.

Without node_modules/axe-core the check skips locally and fails under
REQUIRE_SERVICES=1 (CI), like every other missing service.
"""

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import require_service

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
# The rule sets axe reports against: WCAG 2.0/2.1/2.2 A and AA, and its own best practices.
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def axe_available() -> bool:
    return AXE_PATH.is_file()


def run_axe(page, *, options: dict | None = None) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations (all impacts)."""
    require_service(
        axe_available(),
        f"the accessibility check needs axe-core at {AXE_PATH} (run `make setup`, or `npm ci --ignore-scripts`)",
    )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Injected as a script tag's text would be blocked by the Content-Security-Policy;
        # evaluate() runs in the page through the DevTools protocol, which CSP does not restrict.
        page.evaluate(_axe_source())
    results = page.evaluate("options => window.axe.run(document, options)", options or RUN_OPTIONS)
    return results["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:10]:
            target = " ".join(" > ".join(part) if isinstance(part, list) else part for part in node["target"])
            lines.append(f"    {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page, label: str, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """Fail if axe finds a violation of the given impacts on the page; return all violations.

    `label` names the page in the failure message (e.g. "submit form, zh-Hans").
    """
    violations = run_axe(page)
    blocking = [v for v in violations if v.get("impact") in impacts]
    if blocking:
        pytest.fail(
            f"axe-core: {len(blocking)} serious/critical violation(s) on {label} ({page.url}):\n"
            + format_violations(blocking),
            pytrace=False,
        )
    return violations
