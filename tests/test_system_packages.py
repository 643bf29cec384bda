"""`make test`'s first step: the Debian packages of requirements/apt.txt, installed when root, else named."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "requirements" / "system-packages.sh"
MISSING = "spotter-no-such-package"


def run(list_file: Path, *prefix: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, "bash", str(SCRIPT), str(list_file)], capture_output=True, text=True, timeout=60, cwd="/"
    )


def test_the_listed_packages_are_installed():
    result = run(ROOT / "requirements" / "apt.txt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""  # nothing to install: apt-get is not run


def test_without_root_a_missing_package_is_named_with_the_command_and_nothing_runs():
    with tempfile.TemporaryDirectory() as folder:  # readable by nobody (pytest's tmp_path is not)
        os.chmod(folder, 0o755)
        listing = Path(folder) / "apt.txt"
        listing.write_text(f"# a comment\n\nchromium\n{MISSING}\n")
        listing.chmod(0o644)
        as_nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") if os.geteuid() == 0 else ()
        result = run(listing, *as_nobody)
    assert result.returncode == 1
    assert f"not installed: {MISSING}" in result.stderr
    assert f"sudo apt-get update && sudo apt-get install -y {MISSING}" in result.stderr
    assert "chromium" not in result.stderr  # installed ones are not named
