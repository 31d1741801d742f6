#!/usr/bin/env bash
# Run every benchmark in benchmarks/ (bench_*.py), one after the other, in one command:
#
#     benchmarks/run_all.sh            # full sizes
#     benchmarks/run_all.sh --quick    # tiny sizes, for scripts that have a --quick mode
#
# Uses the project's virtual environment when there is one (.venv), else `python`.
# A benchmark that fails does not stop the others; the exit status is non-zero if any failed.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python}"
if [[ -x "$root/.venv/bin/python" && -z "${PYTHON:-}" ]]; then
  python="$root/.venv/bin/python"
fi
quick=0
for arg in "$@"; do
  [[ "$arg" == "--quick" ]] && quick=1
done
failed=()
for script in "$here"/bench_*.py; do
  [[ -e "$script" ]] || continue
  name="$(basename "$script")"
  args=()
  if [[ $quick == 1 ]]; then
    if grep -q -- "--quick" "$script"; then
      args+=(--quick)
    else
      echo "== $name: skipped (no --quick mode)"
      continue
    fi
  fi
  echo "== $name ${args[*]:-}"
  start=$(date +%s)
  if "$python" "$script" "${args[@]}"; then
    echo "== $name: done in $(( $(date +%s) - start )) s"
  else
    echo "== $name: FAILED (exit $?)" >&2
    failed+=("$name")
  fi
  echo
done
if (( ${#failed[@]} )); then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
