"""ops/audit.py: pip-audit's report judged honestly (nothing checked is no pass)."""

from __future__ import annotations

from ops.audit import summarize

SKIPPED = {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)"}
CLEAN = {"name": "flask", "version": "3.1.3", "vulns": []}
VULNERABLE = {"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["2.11.3"]}]}


def test_no_reachable_data_says_not_audited_and_never_no_vulnerabilities():
    code, lines = summarize({"dependencies": [SKIPPED, SKIPPED]}, required=False)
    text = "\n".join(lines)
    assert code == 0 and "NOT AUDITED: 2 of 2" in text and "not a pass" in text
    assert "no known vulnerabilities" not in text.lower()


def test_unreachable_data_fails_where_an_audit_is_required():
    assert summarize({"dependencies": [CLEAN, SKIPPED]}, required=True)[0] == 2


def test_a_vulnerability_fails_and_names_the_fix():
    code, lines = summarize({"dependencies": [CLEAN, VULNERABLE, SKIPPED]}, required=False)
    assert code == 1 and "VULNERABLE jinja2 2.0: PYSEC-1 (fixed in 2.11.3)" in lines


def test_a_clean_complete_audit_passes():
    code, lines = summarize({"dependencies": [CLEAN]}, required=True)
    assert code == 0 and lines == ["pip-audit: 1 packages checked, no known vulnerabilities."]


def test_pip_audit_failing_outright_is_no_pass():
    code, lines = summarize({"dependencies": [], "error": "boom"}, required=True)
    assert code == 2 and "pip-audit failed: boom" in lines
