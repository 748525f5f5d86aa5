/**
 * DICOM input: PET series (volume + geometry + SUV header), RT Structure Sets, and SUV loading.
 * Public entry points of `src/io/dicom`.
 */
export { readDicomSeries, assembleSeries } from './series.js';
export type { PetSeries, PetInstanceHeader, ReadSeriesOptions } from './series.js';
export { readRtstruct, rtstructFromDataset } from './rtstruct.js';
export type { RtStructureSet, RtRoi, RtContour } from './rtstruct.js';
export { readDicomFile, parseDicomBytes } from './parse.js';
export { pickPetHeader } from './header.js';
