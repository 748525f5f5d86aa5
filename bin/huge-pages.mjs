// Transparent huge pages for the whole-volume commands (bin/carto.js). A whole-body PET volume is
// 0.5 GB of float32; on Linux with 4 KiB pages, the first touch of each page of a fresh buffer is a
// page fault, and on the machines we measured that costs 1.5–1.8 s of CPU per 0.5 GB. NumPy avoids it
// by asking for huge pages (madvise MADV_HUGEPAGE) on large arrays; Node cannot call madvise, but
// glibc (2.35+) does it for every large allocation when the process starts with the tunable
// `glibc.malloc.hugetlb=1` (the kernel's transparent_hugepage setting must be `madvise` or `always`;
// with `never`, or on a C library without the tunable, it changes nothing). So bin/carto.js starts
// these commands once more with the tunable set. Results are the same; only page-fault time changes.
// Long-running services (`serve`, `worker`, `demo --serve`) are not relaunched: they keep their own
// signal handling with no process in between.

/** One-shot commands that read or write whole volumes. */
export const HUGE_PAGE_COMMANDS = new Set([
  'suv',
  'matv',
  'mip',
  'slices',
  'import',
  'run',
  'demo',
  'simulate',
]);

/** The glibc tunable that makes malloc advise huge pages for large (mmap'ed) allocations. */
export const HUGE_PAGE_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * The environment to start `carto <args>` again with, or null to run in this process: null off Linux,
 * for commands not in HUGE_PAGE_COMMANDS, for `demo --serve`, when GLIBC_TUNABLES already sets
 * glibc.malloc.hugetlb (whatever its value: the user's choice stands), or when CARTO_HUGE_PAGES=0.
 * @param {readonly string[]} args the command line after `carto`
 * @param {Readonly<Record<string, string | undefined>>} env the current environment
 * @param {string} platform process.platform
 * @returns {Record<string, string | undefined> | null}
 */
export function hugePageRelaunchEnv(args, env, platform) {
  if (platform !== 'linux' || env.CARTO_HUGE_PAGES === '0') return null;
  const command = args[0];
  if (command === undefined || !HUGE_PAGE_COMMANDS.has(command)) return null;
  if (command === 'demo' && args.includes('--serve')) return null;
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (tunables.includes('glibc.malloc.hugetlb')) return null;
  return { ...env, GLIBC_TUNABLES: tunables === '' ? HUGE_PAGE_TUNABLE : `${tunables}:${HUGE_PAGE_TUNABLE}` };
}
