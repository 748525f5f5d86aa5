/**
 * Test helper: small study bundles on real reference data.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copySeriesEdited } from './dicom-edit.js';
import { sharedData } from './shared-data.js';

/** A one-patient bundle around a copy of the IBSI DRO_0_0 series (BQML, START), edited by `edit`. */
export function droBundle(
  dir: string,
  edit: (ds: Record<string, unknown>, i: number) => void = () => undefined,
): string {
  const b = join(dir, 'bundle');
  const dro = sharedData('imaging', 'ibsi-suv-dro', 'DRO_0_0');
  copySeriesEdited(join(dro, 'PT'), join(b, 'pt'), edit);
  cpSync(join(dro, 'mask', 'DRO_mask.nii.gz'), join(b, 'mask.nii.gz'));
  writeFileSync(
    join(b, 'study.json'),
    JSON.stringify({ name: 'DRO study', tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 } }),
  );
  writeFileSync(
    join(b, 'patients.csv'),
    'patient_id,cohort,age,sex,histology,bridging\nP01,1,60,F,DLBCL,none\n',
  );
  writeFileSync(join(b, 'events.csv'), 'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,100\n');
  writeFileSync(
    join(b, 'scans.csv'),
    'scan_id,patient_id,tracer,timepoint,path,format\nS1,P01,FDG,pre,pt,dicom\n',
  );
  writeFileSync(
    join(b, 'vois.csv'),
    'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\nS1,lesion,L1,L1,nodal,no,mask.nii.gz,1\n',
  );
  writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP01,0,0\n');
  return b;
}

/**
 * The DRO bundle with a second patient P02 (scan S2 on the same images) who is in no registry; `extra`
 * rows (CSV lines ending in a newline) are appended to scans.csv and vois.csv.
 */
export function twoPatientBundle(at: string, extra: { scans?: string; vois?: string } = {}): string {
  const b = droBundle(at);
  writeFileSync(
    join(b, 'patients.csv'),
    'patient_id,cohort,age,sex,histology,bridging\nP01,1,60,F,DLBCL,none\nP02,1,55,M,DLBCL,none\n',
  );
  writeFileSync(
    join(b, 'events.csv'),
    'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,100\nP02,infusion,0\nP02,last_follow_up,90\n',
  );
  writeFileSync(
    join(b, 'scans.csv'),
    'scan_id,patient_id,tracer,timepoint,path,format\nS1,P01,FDG,pre,pt,dicom\nS2,P02,FDG,pre,pt,dicom\n' +
      (extra.scans ?? ''),
  );
  writeFileSync(
    join(b, 'vois.csv'),
    'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\n' +
      'S1,lesion,L1,L1,nodal,no,mask.nii.gz,1\nS2,lesion,L1,L1,nodal,no,mask.nii.gz,1\n' +
      (extra.vois ?? ''),
  );
  writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP01,0,0\nP02,1,0\n');
  return b;
}
