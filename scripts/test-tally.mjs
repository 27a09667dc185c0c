// Prints vitest's JSON reports (one or more runs) as one plain closing line: "Tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const files = process.argv.length > 2 ? process.argv.slice(2) : ['.reports/vitest.json'];
const total = { passed: 0, failed: 0, skipped: 0, all: 0 };
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  total.passed += report.numPassedTests;
  total.failed += report.numFailedTests;
  total.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  total.all += report.numTotalTests;
}
console.log(`Tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 || total.all === 0 ? 1 : 0);
