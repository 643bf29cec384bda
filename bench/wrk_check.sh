# Sourced by the bench scripts (and tests/test_bench.py): checks of a wrk run's output.
# wrk counts every answer as a request: a burst of 401s or 500s would read as throughput. Any answer that is
# not 2xx fails the bench, loudly, with wrk's own count.
all_2xx() { # wrk-output-file label
  if ! grep -q '^Requests/sec:' "$1"; then
    echo "BENCH FAILED: $2: wrk gave no result:" >&2; cat "$1" >&2; return 1
  fi
  if grep -q 'Non-2xx or 3xx responses' "$1"; then
    echo "BENCH FAILED: $2: answers that are not 2xx would be counted as throughput:" >&2
    grep 'Non-2xx or 3xx responses' "$1" >&2
    return 1
  fi
}
