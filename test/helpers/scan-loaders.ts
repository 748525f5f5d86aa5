/**
 * Test helper: the scan image cache's real loaders (src/pipeline/scan-images.ts), counting their calls,
 * so a test can tell whether a scan was decoded.
 */
import { loadScanSuv, scanLabelMap, type ScanImageLoaders } from '../../src/pipeline/scan-images.js';

/** The real loaders, counting their calls. */
export function countingLoaders(): ScanImageLoaders & { calls: { suv: number; labels: number } } {
  const calls = { suv: 0, labels: 0 };
  return {
    calls,
    suv: (src) => {
      calls.suv++;
      return loadScanSuv(src);
    },
    labels: (src, vois, suv) => {
      calls.labels++;
      return scanLabelMap(src, vois, suv);
    },
  };
}
