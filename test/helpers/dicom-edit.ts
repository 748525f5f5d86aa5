/**
 * Test helper: copies a DICOM series folder, editing each file's dataset (dcmjs read → naturalised
 * dataset → edit → write), to build bad or identifying inputs without touching ../shared.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';

dcmjs.log.setLevel('silent');

/** Copies every file of `srcDir` into `dstDir`, applying `edit` to each naturalised dataset. */
export function copySeriesEdited(
  srcDir: string,
  dstDir: string,
  edit: (ds: Record<string, unknown>, index: number) => void,
): void {
  mkdirSync(dstDir, { recursive: true });
  readdirSync(srcDir)
    .sort()
    .forEach((f, i) => {
      const buf = readFileSync(join(srcDir, f));
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const dicomDict = dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: true });
      const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dicomDict.dict);
      edit(ds, i);
      dicomDict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
      writeFileSync(join(dstDir, f), Buffer.from(dicomDict.write()));
    });
}
