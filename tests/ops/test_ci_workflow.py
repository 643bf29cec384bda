"""The GitHub Actions workflow for forks: valid against GitHub's workflow schema, and doing what README says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def validate(path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with the GitHub workflow schema it ships (no network)."""
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_workflow_matches_github_s_schema():
    done = validate(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_can_fail(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    broken["jobs"]["lint"]["stepz"] = broken["jobs"]["lint"].pop("steps")
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    assert validate(path).returncode != 0


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed (the schema check ran)")
def test_actionlint_where_it_is_installed():
    done = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout


def test_lint_and_tests_run_against_postgresql_and_redis_services():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert any("make lint" in step.get("run", "") for step in jobs["lint"]["steps"])
    test = jobs["test"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert test["services"]["redis"]["image"].startswith("redis:")
    runs = [step.get("run", "") for step in test["steps"]]
    assert any("make test" in run for run in runs) and any("fuzz" in run for run in runs)
    assert any("requirements/apt.txt" in run for run in runs)


def test_main_deploys_to_staging_and_a_tag_to_production_after_the_checks():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    staging, production = jobs["deploy-staging"], jobs["deploy-production"]
    assert staging["needs"] == ["lint", "test"] and production["needs"] == ["lint", "test"]
    assert "refs/heads/main" in staging["if"] and "refs/tags/v" in production["if"]
    assert (staging["environment"]["name"], production["environment"]["name"]) == ("staging", "production")
