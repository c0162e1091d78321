#!/usr/bin/env bash
# Runs the named `make test-<stage>` targets one after the other (all of them, even after a
# failure), then prints one summary: per stage its outcome and test counts, and a closing
# "N passed, N failed" line over every test that ran. Exits non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=build/test-logs
mkdir -p "$logs"
total_pass=0
total_fail=0
failed_stages=0
lines=()

# Counts from the runner's own closing lines: ctest ("N tests failed out of M"), pytest
# ("3 failed, 40 passed, 1 error in 12.3s") and the fuzz stage ("fuzz: N passed, N failed").
count() {
  local log=$1 pass=0 fail=0 line
  while IFS= read -r line; do
    if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
      fail=$((fail + BASH_REMATCH[1])); pass=$((pass + BASH_REMATCH[2] - BASH_REMATCH[1]))
    elif [[ $line =~ ^fuzz:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
      pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
    elif [[ $line =~ ^=+\ .*\ in\ [0-9.]+s ]]; then
      [[ $line =~ ([0-9]+)\ passed ]] && pass=$((pass + BASH_REMATCH[1]))
      [[ $line =~ ([0-9]+)\ failed ]] && fail=$((fail + BASH_REMATCH[1]))
      [[ $line =~ ([0-9]+)\ errors? ]] && fail=$((fail + BASH_REMATCH[1]))
    fi
  done < "$log"
  echo "$pass $fail"
}

for stage in "$@"; do
  echo
  echo "==================== test-$stage ===================="
  start=$SECONDS
  make --no-print-directory "test-$stage" 2>&1 | tee "$logs/$stage.log"
  rc=${PIPESTATUS[0]}
  read -r pass fail < <(count "$logs/$stage.log")
  # A stage that died before its runner counted anything (configure or build error) counts as one failure.
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then fail=1; fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  if [[ $rc -eq 0 ]]; then
    outcome=ok
  else
    outcome=FAILED
    failed_stages=$((failed_stages + 1))
  fi
  lines+=("$(printf '  %-18s %-7s %4d passed %4d failed  (%ds, log %s)' "test-$stage" "$outcome" "$pass" "$fail" $((SECONDS - start)) "$logs/$stage.log")")
done

echo
echo "==================== summary ===================="
printf '%s\n' "${lines[@]}"
echo "tests: $total_pass passed, $total_fail failed"
[[ $failed_stages -eq 0 ]]
