"""axe-core in the browser tests: run the vendored `axe.min.js` on the page Playwright shows and
report its WCAG 2.1 AA violations in words a person can act on (rule, element, page).

The script comes from `tests/browser/vendor/axe-core/` (taken from the npm registry by
`make vendor-axe`, its checksum checked by `make vendor-check`); it is evaluated through the
DevTools protocol, so the site's own Content-Security-Policy never has to allow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

#: WCAG 2.0 and 2.1, levels A and AA: what the gate holds every page to.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact || "",
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    """One element failing one rule on one page."""

    where: str
    rule: str
    impact: str
    help: str
    target: str
    html: str
    summary: str

    def __str__(self) -> str:
        summary = " ".join(self.summary.split())
        return (
            f"{self.where}: [{self.rule}, {self.impact}] {self.help}\n"
            f"    element {self.target}: {self.html[:200]}\n"
            f"    {summary[:400]}"
        )


def axe_violations(page: Any, where: str) -> list[Violation]:
    """The WCAG 2.1 AA violations axe finds on the page as it is now; `where` names the page in
    the report (its URL, and the state it is in)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found = page.evaluate(_RUN, WCAG_AA_TAGS)
    return [
        Violation(
            where=where,
            rule=v["rule"],
            impact=v["impact"],
            help=v["help"],
            target=n["target"],
            html=n["html"],
            summary=n["summary"],
        )
        for v in found
        for n in v["nodes"]
    ]


def report(violations: list[Violation]) -> str:
    """All violations, one block each, for an assertion message."""
    return f"{len(violations)} WCAG 2.1 AA violation(s):\n" + "\n".join(map(str, violations))
