/** `carto users` — centres and local accounts of the registry (run on the server's database). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DATABASE_HELP, databaseOption, databaseTarget } from '../options.js';
import { InputError } from '../../errors.js';
import { ROLES, type Role } from '../../registry/model.js';
import { RegistryStore } from '../../registry/store.js';
import { hashPassword } from '../../server/auth.js';
import { commandGroup, formatTable, printJson } from '../shared.js';

function readPassword(opts: { passwordEnv?: string; passwordStdin?: boolean }): string {
  if (opts.passwordStdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  const name = opts.passwordEnv ?? 'CARTO_PASSWORD';
  const v = process.env[name];
  if (!v)
    throw new InputError(`no password: set ${name} or use --password-stdin`, { field: '--password-env' });
  return v;
}

export function register(program: Command): void {
  const users = commandGroup(program, 'users', 'Registry centres and user accounts');
  users
    .command('add')
    .description('Add a local user (password hashed with argon2id; never given on the command line)')
    .requiredOption('--username <name>', 'login name (3–64 of letters, digits, . _ @ -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--centre <code>', 'centre code (required for data_manager and clinician)')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--password-env <VAR>', 'environment variable holding the password', 'CARTO_PASSWORD')
    .option('--password-stdin', 'read the password from standard input')
    .option('--json', 'print the new user as JSON')
    .addHelpText(
      'after',
      '\nRoles: admin (all centres), data_manager and clinician (own centre, read/write),\n' +
        'analyst (all centres, read-only, pseudonymised).\n' +
        'Example:\n  CARTO_PASSWORD=… carto users add --username dm-amc --role data_manager --centre AMC',
    )
    .action(
      async (opts: {
        username: string;
        role: string;
        centre?: string;
        db?: string;
        passwordEnv?: string;
        passwordStdin?: boolean;
        json?: boolean;
      }) => {
        if (!(ROLES as readonly string[]).includes(opts.role))
          throw new InputError(`unknown role; use one of ${ROLES.join(', ')}`, {
            field: '--role',
            value: opts.role,
          });
        const password = readPassword(opts);
        let hash: string;
        try {
          hash = await hashPassword(password);
        } catch (e) {
          // e.g. "password must have at least 10 characters": name where the password came from
          throw new InputError((e as Error).message, {
            field: opts.passwordStdin ? '--password-stdin' : '--password-env',
          });
        }
        const store = await RegistryStore.open(databaseTarget(opts.db));
        try {
          const u = await store.createUser({
            username: opts.username,
            passwordHash: hash,
            role: opts.role as Role,
            centreCode: opts.centre ?? null,
          });
          const out = { username: u.username, role: u.role, centre: opts.centre ?? null };
          if (opts.json) printJson(out);
          else
            process.stdout.write(
              `${formatTable(['username', 'role', 'centre'], [[out.username, out.role, out.centre]])}\n`,
            );
        } finally {
          await store.close();
        }
      },
    );
  users
    .command('add-centre')
    .description('Add a participating centre')
    .requiredOption('--code <code>', 'short code, e.g. AMC')
    .requiredOption('--name <name>', 'full name')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--json', 'print the centre as JSON')
    .addHelpText('after', '\nExample:\n  carto users add-centre --code AMC --name "Amsterdam UMC"')
    .action(async (opts: { code: string; name: string; db?: string; json?: boolean }) => {
      const store = await RegistryStore.open(databaseTarget(opts.db));
      try {
        const c = await store.createCentre({ code: opts.code, name: opts.name });
        if (opts.json) printJson({ code: c.code, name: c.name, pseudoCode: c.pseudoCode });
        else
          process.stdout.write(
            `${formatTable(['code', 'name', 'analyst code'], [[c.code, c.name, c.pseudoCode]])}\n`,
          );
      } finally {
        await store.close();
      }
    });
}
