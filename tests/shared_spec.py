"""Where the shared specification's examples are: `../shared/spec/examples` beside the
repository (as CI lays it out), or `$EAPCASE_SHARED_DIR/spec/examples`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("EAPCASE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
EXAMPLES = SHARED / "spec" / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.jsonl")) or [
    "callback-over-christmas",
    "couples-review",
    "email-24-hours",
    "outreach-and-consent",
]
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"the shared spec examples are not at {EXAMPLES} (set EAPCASE_SHARED_DIR)",
)
