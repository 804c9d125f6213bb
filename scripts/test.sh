#!/usr/bin/env bash
# The whole test suite (unit, integration, e2e) against real services, ending with the line
# `N passed, N failed` computed from jest's own JSON report.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/services.sh || exit 1
npm run --silent build || exit 1
report="$(mktemp -t cascade-jest-XXXXXX.json)"
npx jest --runInBand --json --outputFile="$report" "$@"
status=$?
node -e '
  const r = require(process.argv[1]);
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numRuntimeErrorTestSuites) console.log(`(${r.numRuntimeErrorTestSuites} test files failed to run)`);
' "$report" || { echo "0 passed, 1 failed"; exit 1; }
rm -f "$report"
exit $status
