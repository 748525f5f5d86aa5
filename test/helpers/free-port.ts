/** Test servers (PostgreSQL clusters, Orthanc, the web app) listen on a free loopback port. */
import { createServer } from 'node:net';

/** A free TCP port on the loopback interface (127.0.0.1), as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
