"""The bench scripts' check of wrk's output: a burst with any answer that is not 2xx fails, loudly."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLEAN = """Running 4s test @ http://127.0.0.1:18930/api/exercises
  2 threads and 16 connections
  8123 requests in 4.00s, 9.10MB read
Requests/sec:   2030.12
Transfer/sec:      2.27MB
"""
ERRORS = CLEAN.replace("Requests/sec:", "  Non-2xx or 3xx responses: 8123\nRequests/sec:")


def all_2xx(tmp_path: Path, output: str) -> subprocess.CompletedProcess:
    (tmp_path / "wrk.txt").write_text(output)
    script = f'source "{ROOT}/bench/wrk_check.sh"; all_2xx "{tmp_path}/wrk.txt" exercises_filtered'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10)


def test_a_clean_burst_passes(tmp_path):
    result = all_2xx(tmp_path, CLEAN)
    assert result.returncode == 0 and result.stderr == ""


def test_a_burst_with_non_2xx_answers_fails_loudly(tmp_path):
    result = all_2xx(tmp_path, ERRORS)
    assert result.returncode == 1
    assert "BENCH FAILED: exercises_filtered" in result.stderr and "Non-2xx or 3xx responses: 8123" in result.stderr


def test_a_burst_without_a_result_fails(tmp_path):
    result = all_2xx(tmp_path, "unable to connect to 127.0.0.1:18930 Connection refused\n")
    assert result.returncode == 1 and "wrk gave no result" in result.stderr


def test_both_sides_of_the_paired_bench_get_the_same_gunicorn_tuning():
    script = (ROOT / "bench" / "paired.sh").read_text()
    launches = [line for line in script.splitlines() if 'bin/gunicorn"' in line]
    assert len(launches) == 2 and all('"${GUNICORN_TUNING[@]}"' in line for line in launches)
