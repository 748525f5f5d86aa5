/**
 * TotalSegmentator (v2, task "total", 117 classes) label numbers ↔ class names, for multi-label maps
 * (`--ml` output) and per-organ files (`segmentations/<class>.nii.gz`).
 * Source: TotalSegmentator v2 class map of the "total" task (Wasserthal et al., Radiol AI 2023;
 * wasserth/TotalSegmentator `map_to_binary.py`) — label numbers as published there.
 */

const VERTEBRAE = [
  'S1',
  'L5',
  'L4',
  'L3',
  'L2',
  'L1',
  'T12',
  'T11',
  'T10',
  'T9',
  'T8',
  'T7',
  'T6',
  'T5',
  'T4',
  'T3',
  'T2',
  'T1',
  'C7',
  'C6',
  'C5',
  'C4',
  'C3',
  'C2',
  'C1',
].map((v) => `vertebrae_${v}`);

const ribs = (side: string) => Array.from({ length: 12 }, (_, n) => `rib_${side}_${n + 1}`);

/** Class names of TotalSegmentator v2 "total", index = label number (index 0 = background). */
export const TOTALSEGMENTATOR_TOTAL_V2: readonly string[] = [
  'background',
  'spleen',
  'kidney_right',
  'kidney_left',
  'gallbladder',
  'liver',
  'stomach',
  'pancreas',
  'adrenal_gland_right',
  'adrenal_gland_left',
  'lung_upper_lobe_left',
  'lung_lower_lobe_left',
  'lung_upper_lobe_right',
  'lung_middle_lobe_right',
  'lung_lower_lobe_right',
  'esophagus',
  'trachea',
  'thyroid_gland',
  'small_bowel',
  'duodenum',
  'colon',
  'urinary_bladder',
  'prostate',
  'kidney_cyst_left',
  'kidney_cyst_right',
  'sacrum',
  ...VERTEBRAE,
  'heart',
  'aorta',
  'pulmonary_vein',
  'brachiocephalic_trunk',
  'subclavian_artery_right',
  'subclavian_artery_left',
  'common_carotid_artery_right',
  'common_carotid_artery_left',
  'brachiocephalic_vein_left',
  'brachiocephalic_vein_right',
  'atrial_appendage_left',
  'superior_vena_cava',
  'inferior_vena_cava',
  'portal_vein_and_splenic_vein',
  'iliac_artery_left',
  'iliac_artery_right',
  'iliac_vena_left',
  'iliac_vena_right',
  'humerus_left',
  'humerus_right',
  'scapula_left',
  'scapula_right',
  'clavicula_left',
  'clavicula_right',
  'femur_left',
  'femur_right',
  'hip_left',
  'hip_right',
  'spinal_cord',
  'gluteus_maximus_left',
  'gluteus_maximus_right',
  'gluteus_medius_left',
  'gluteus_medius_right',
  'gluteus_minimus_left',
  'gluteus_minimus_right',
  'autochthon_left',
  'autochthon_right',
  'iliopsoas_left',
  'iliopsoas_right',
  'brain',
  'skull',
  ...ribs('left'),
  ...ribs('right'),
  'sternum',
  'costal_cartilages',
];

/** Class name of a TotalSegmentator v2 "total" label, or undefined when out of range. */
export function totalSegmentatorClass(label: number): string | undefined {
  return Number.isInteger(label) && label >= 1 && label < TOTALSEGMENTATOR_TOTAL_V2.length
    ? TOTALSEGMENTATOR_TOTAL_V2[label]
    : undefined;
}

/** Label number of a TotalSegmentator v2 "total" class name (exact, case-insensitive), or undefined. */
export function totalSegmentatorLabel(name: string): number | undefined {
  const n = TOTALSEGMENTATOR_TOTAL_V2.findIndex((c) => c.toLowerCase() === name.toLowerCase());
  return n >= 1 ? n : undefined;
}
