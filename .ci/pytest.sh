#!/usr/bin/env bash
# Run the suite; exit 5 (no tests collected) is a failure here, not a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi
exit $rc
