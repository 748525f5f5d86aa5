/** `carto serve` — the registry and study HTTP API (src/server/app.ts) on SQLite or PostgreSQL. */
import type { Command } from 'commander';
import {
  DATABASE_HELP,
  IMAGES_HELP,
  imagesFolder,
  NO_IMAGES_HELP,
  databaseOption,
  databaseTarget,
  intOption,
} from '../options.js';
import { RegistryStore } from '../../registry/store.js';
import { buildApp } from '../../server/app.js';
import { viewerImagesBeside } from '../../pipeline/viewer-images.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the CAR T registry API and the stored studies (read-only) of one database\n' +
        '(JSON; OpenAPI at /api/openapi.json; docs/database.md)',
    )
    .option(
      '--db <target>',
      `${DATABASE_HELP}; the one \`carto run --db\` and \`carto import\` wrote`,
      databaseOption(),
    )
    .option(
      '--port <n>',
      'TCP port (0–65535; 0 picks a free one)',
      intOption('--port', { min: 0, max: 65535 }),
      8080,
    )
    .option('--host <addr>', 'address to listen on (loopback by default)', '127.0.0.1')
    .option('--images <dir>', IMAGES_HELP)
    .option('--no-images', NO_IMAGES_HELP)
    .option('--secure-cookies', 'mark the session cookie Secure (when served behind HTTPS)')
    .option('--json', 'print the listening address as JSON')
    .addHelpText(
      'after',
      '\nCreate a centre and users first with `carto users add-centre` and `carto users add`.\n' +
        'Examples:\n  carto serve --port 8080              # cartography.sqlite in the working folder\n' +
        '  carto serve --db postgres://carto@127.0.0.1:5432/registry',
    )
    .action(
      async (opts: {
        db?: string;
        port: number;
        host: string;
        images?: string | false;
        secureCookies?: boolean;
        json?: boolean;
      }) => {
        const port = opts.port;
        const target = databaseTarget(opts.db);
        const store = await RegistryStore.open(target);
        const chosen = imagesFolder(opts.images);
        const images = chosen === undefined ? viewerImagesBeside(target) : chosen;
        const app = await buildApp({
          store,
          secureCookies: Boolean(opts.secureCookies),
          logger: true,
          ...(images !== null ? { viewerImages: images } : {}),
        });
        const address = await app.listen({ port, host: opts.host });
        if (opts.json) process.stdout.write(`${JSON.stringify({ address })}\n`);
        else
          process.stdout.write(
            `registry and study API listening on ${address} (OpenAPI: ${address}/api/openapi.json)\n`,
          );
        const stop = () => {
          void app.close().then(() => store.close());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    );
}
