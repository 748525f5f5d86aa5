/** Placeholder: the studies pages come with the server's study routes (issue 14 item 5). */
export function StudiesPage() {
  return (
    <>
      <h1>Studies</h1>
      <p>
        Studies (reports, tables, figures and per-patient scans) will be listed here from the server&apos;s
        study routes, which are being added to the API. Until then, run a study with <code>carto run</code>{' '}
        and open its report.
      </p>
    </>
  );
}
