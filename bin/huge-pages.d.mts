/** One-shot commands that read or write whole volumes (bin/huge-pages.mjs). */
export declare const HUGE_PAGE_COMMANDS: ReadonlySet<string>;
/** The glibc tunable that makes malloc advise huge pages for large (mmap'ed) allocations. */
export declare const HUGE_PAGE_TUNABLE: string;
/** The environment to start `carto <args>` again with, or null to run in this process (bin/huge-pages.mjs). */
export declare function hugePageRelaunchEnv(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  platform: string,
): Record<string, string | undefined> | null;
