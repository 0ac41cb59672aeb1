"""The repository itself: what a fresh clone gets must work on another machine."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_tracked_symlink_leaves_the_checkout():
    """A worktree's `.venv -> /elsewhere/.venv` once got committed: a clone then had no virtualenv to install
    into."""
    listing = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines() if line.startswith("120000 ")]
    outside = [p for p in links if not (ROOT / p).resolve().is_relative_to(ROOT)]
    assert outside == []
    for name in (".venv", "web/node_modules", "web/dist"):
        assert (
            not subprocess.run(
                ["git", "ls-files", "--error-unmatch", name], cwd=ROOT, capture_output=True
            ).returncode
            == 0
        ), name
