/**
 * `acceptsGzip` of the scan image routes (src/server/routes/scan-images.ts): which Accept-Encoding headers
 * (RFC 9110 §12.5.3) accept the gzip content coding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip } from '../../src/server/routes/scan-images.js';

test('a browser header, x-gzip, a wildcard and a positive q accept gzip', () => {
  assert.equal(acceptsGzip('gzip, deflate, br, zstd'), true);
  assert.equal(acceptsGzip('br;q=1.0, GZIP;q=0.5'), true);
  assert.equal(acceptsGzip('x-gzip'), true);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip(['br', 'gzip']), true);
});

test('no header, other codings only, and q=0 do not', () => {
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(''), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip('deflate, br'), false);
  assert.equal(acceptsGzip('gzip;q=0, br'), false);
  assert.equal(acceptsGzip('gzip; q=0.000'), false);
  assert.equal(acceptsGzip('gzipped'), false);
});

test('gzip listed with q=0 is refused even when * is accepted', () => {
  assert.equal(acceptsGzip('gzip;q=0, *'), false);
  assert.equal(acceptsGzip('*;q=0'), false);
});
