"""pip-audit over the pinned requirements, honest about what it could not check.

pip-audit says "No known vulnerabilities found" even when it reached no vulnerability data (every package
skipped as "could not be audited"), as on a machine whose only way out is a package mirror. This wrapper
reads its JSON report instead: found vulnerabilities fail (exit 1); packages it could not check are listed
and the run says NOT AUDITED; with AUDIT_REQUIRED=1 (CI with internet access) that fails too (exit 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements/base.txt", "requirements/dev.txt", "requirements/local.txt", "requirements/bench.txt")


def run_pip_audit() -> dict:
    """Run pip-audit on the pinned files (no resolver, no install) and return its JSON report."""
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    for requirements in REQUIREMENTS:
        command += ["-r", str(ROOT / requirements)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"dependencies": [], "error": (done.stderr or done.stdout).strip()[-2000:]}


def summarize(report: dict, required: bool) -> tuple[int, list[str]]:
    """Judge a pip-audit JSON report: (exit code, lines to print)."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    lines = []
    for dep in vulnerable:
        ids = ", ".join(
            v["id"] + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
            for v in dep["vulns"]
        )
        lines.append(f"VULNERABLE {dep['name']} {dep['version']}: {ids}")
    if report.get("error"):
        lines.append(f"pip-audit failed: {report['error']}")
    if skipped:
        lines.append(
            f"NOT AUDITED: {len(skipped)} of {len(deps)} packages could not be checked "
            f"(no vulnerability data reachable), e.g. {skipped[0]['skip_reason']}"
        )
    if vulnerable:
        return 1, lines
    if skipped or report.get("error") or not deps:
        lines.append("pip-audit: no verdict for those packages; this is not a pass.")
        return (2 if required else 0), lines
    lines.append(f"pip-audit: {len(audited)} packages checked, no known vulnerabilities.")
    return 0, lines


def main() -> int:
    """Audit, print the verdict, return the exit code."""
    code, lines = summarize(run_pip_audit(), required=os.environ.get("AUDIT_REQUIRED") == "1")
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
