// node:test reporter that writes one JSON summary: counts of passed and failed tests
// (leaf tests only) and the names of skipped / todo tests. Used by run-tests.mjs.
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.details?.type === 'suite') continue;
    if (d.skip !== undefined || d.todo !== undefined) {
      skipped.push(`${d.file ?? ''} › ${d.name}`);
      continue;
    }
    if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield JSON.stringify({ passed, failed, skipped });
}
