/**
 * `GzipFile` (src/pipeline/scan-images.ts): the viewer's gzip files can be read while they are deflated.
 * A stream begun before the file is deflated gives its first compressed bytes before the whole is done
 * and, in all, bytes that inflate to the source; a stream begun afterwards gives the same bytes as
 * `whole`; a failing source rejects `started` and `whole`, and a stream ends with its error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GzipFile } from '../../src/pipeline/scan-images.js';

/** 6 MiB that deflate poorly (several 1 MiB output chunks): a fixed pseudo-random sequence. */
function noise(): Uint8Array {
  const out = new Uint8Array(6 << 20);
  let a = 7;
  for (let q = 0; q < out.length; q++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    out[q] = a >>> 24;
  }
  return out;
}

/** Every byte of `stream`, and the order of its first chunk against `whole`'s resolution. */
async function readAll(stream: Readable, events: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    if (chunks.length === 0) events.push('first chunk');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('GzipFile: a gzip file readable while it is deflated', () => {
  test('a stream begun before the end gets its first bytes early; all inflate to the source', async () => {
    const source = noise();
    const file = new GzipFile(() => Promise.resolve(source));
    await file.started;
    assert.equal(file.done, false);
    const events: string[] = [];
    const streamed = readAll(file.stream(), events);
    const whole = await file.whole;
    events.push('whole');
    const bytes = await streamed;
    assert.deepEqual(events, ['first chunk', 'whole']);
    assert.ok(Buffer.from(whole).equals(bytes), 'the stream gives the bytes of whole');
    assert.ok(gunzipSync(bytes).equals(Buffer.from(source)), 'and they inflate to the source');
    assert.equal(file.done, true);
    // begun afterwards: the same bytes
    assert.ok((await readAll(file.stream(), [])).equals(bytes));
  });

  test('a failing source: started and whole reject with its error, a stream ends with it', async () => {
    const file = new GzipFile(() => Promise.reject(new Error('D.nii.gz: cannot read file')));
    await assert.rejects(file.started, /D\.nii\.gz: cannot read file/);
    await assert.rejects(file.whole, /D\.nii\.gz: cannot read file/);
    await assert.rejects(readAll(file.stream(), []), /D\.nii\.gz: cannot read file/);
  });
});
