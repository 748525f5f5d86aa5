/**
 * DICOM input: PET series (volume + geometry + SUV header), RT Structure Sets, SUV loading and SUV
 * factors. Public entry points of `src/io/dicom`.
 */
export {
  readDicomSeries,
  readDicomSeriesFrames,
  readSeriesHeaders,
  assembleSeries,
  assembleFrames,
} from './series.js';
export type { PetSeries, PetSeriesFrames, PetFrame, PetInstanceHeader, ReadSeriesOptions } from './series.js';
export { readRtstruct, rtstructFromDataset } from './rtstruct.js';
export type { RtStructureSet, RtRoi, RtContour } from './rtstruct.js';
export { readDicomFile, parseDicomBytes, parsePetImageBytes } from './parse.js';
export type { ParsedDicom } from './parse.js';
export { pickPetHeader } from './header.js';
export { petSuvHeader, petSuvFactors, suvComputeOptions } from './pet-header.js';
export { expandFrames, isMultiFrame, ENHANCED_PET_SOP_CLASS } from './enhanced.js';
export { loadPetSuv, suvUnit } from './load-pet-suv.js';
export type { PetSuv, LoadPetSuvOptions } from './load-pet-suv.js';
export { readSuvFactors, readHeaderJson } from './suv-factor.js';
export type { SuvFactorSource } from './suv-factor.js';
export { readCtSeries, checkSameFrameOfReference } from './ct.js';
export type { CtSeries } from './ct.js';
