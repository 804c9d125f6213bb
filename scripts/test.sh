#!/usr/bin/env bash
# The whole test suite (unit, integration, e2e) against real services, ending with the line
# `N passed, N failed` computed from jest's own JSON report.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/node-runtime.sh || exit 1
bash scripts/services.sh || exit 1
npm run --silent build || exit 1
report="$(mktemp -t cascade-jest-XXXXXX.json)"
npx jest --runInBand --json --outputFile="$report" "$@"
status=$?
# Types (server and browser client) and the layering rules are part of the suite.
if ! npm run --silent lint; then
  echo "lint: failed (see above)"
  status=1
fi
node -e '
  const r = require(process.argv[1]);
  const skipped = r.numPendingTests + r.numTodoTests;
  // A test file that fails to load runs no test: count it as a failure, not as nothing.
  if (r.numRuntimeErrorTestSuites) console.log(`${r.numRuntimeErrorTestSuites} test file(s) failed to run`);
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || { echo "0 passed, 1 failed"; exit 1; }
rm -f "$report"
exit $status
