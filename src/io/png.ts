/**
 * PNG, the one encoder of pictures (fast-png): 8-bit RGB pixels to PNG bytes, and writing them to a
 * file. The pictures themselves are drawn by src/report/images.ts.
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { InputError } from '../errors.js';

/**
 * PNG bytes of an 8-bit RGB picture.
 * @param rgb pixels row-major from the top-left, 3 bytes each (length 3 · widthPx · heightPx)
 */
export function encodeRgbPng(rgb: Uint8Array, widthPx: number, heightPx: number): Uint8Array {
  return encode({ width: widthPx, height: heightPx, data: rgb, channels: 3, depth: 8 });
}

/**
 * Writes a picture's PNG bytes to `file`.
 * @throws InputError naming the file when it cannot be written.
 */
export function writePng(picture: { png: Uint8Array }, file: string): void {
  try {
    writeFileSync(file, picture.png);
  } catch (e) {
    throw new InputError(`cannot write PNG: ${(e as Error).message}`, { file });
  }
}
