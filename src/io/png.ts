/**
 * PNG output of rendered pictures (MIPs, slices): writes the bytes produced by `src/imaging/mip.ts`.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { Picture } from '../imaging/mip.js';

/**
 * Writes a picture's PNG bytes to `file`.
 * @throws InputError naming the file when it cannot be written.
 */
export function writePng(picture: Pick<Picture, 'png'>, file: string): void {
  try {
    writeFileSync(file, picture.png);
  } catch (e) {
    throw new InputError(`cannot write PNG: ${(e as Error).message}`, { file });
  }
}
