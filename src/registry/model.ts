/**
 * The registry's data model: centres, users and the CAR T patient journey (docs/references/clinical.md §1) from referral to
 * follow-up, as declarative entity specifications. One spec drives the database columns (migration
 * 001), the zod validation of API bodies, the analyst's pseudonymised view and the exports.
 *
 * No direct identifiers: a patient is a programme pseudonym plus age at referral (no name, no birth
 * date). Dates are ISO `YYYY-MM-DD` text; booleans are stored as 0/1 integers on both databases.
 * Derived quantities (CRS/ICANS grades, vein-to-vein time, best response, TTP/PFS/OS) are computed
 * (src/registry/outcomes.ts), never typed.
 */

export type FieldKind = 'text' | 'date' | 'int' | 'real' | 'bool' | 'enum' | 'list';

/** One field of an entity: API name (camelCase), column (snake_case), type and constraints. */
export interface FieldSpec {
  name: string;
  column: string;
  kind: FieldKind;
  required: boolean;
  values?: readonly string[];
  /** Inclusive bounds for int/real (units in the field name). */
  min?: number;
  max?: number;
  /** Free text that may identify a centre or person: hidden from the analyst role. */
  freeText?: boolean;
  description: string;
}

/** An entity attached to a patient (one table, many rows per patient unless `single`). */
export interface EntitySpec {
  /** URL segment and export name, e.g. `tumorboard-decisions`. */
  path: string;
  /** Database table. */
  table: string;
  /** Short label for exports and the timeline. */
  label: string;
  /** The date field that places a row on the patient's timeline. */
  dateField: string | null;
  /** At most one row per patient. */
  single?: boolean;
  fields: FieldSpec[];
}

function f(
  name: string,
  kind: FieldKind,
  required: boolean,
  description: string,
  extra: Partial<FieldSpec> = {},
): FieldSpec {
  const column = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return { name, column, kind, required, description, ...extra };
}

export const ROLES = ['admin', 'data_manager', 'clinician', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const HISTOLOGIES = [
  'DLBCL',
  'HGBCL',
  'tFL',
  'EBV+ DLBCL',
  'PMBCL',
  'FL',
  'MCL',
  'MZL',
  'ALL',
  'MM',
  'other',
] as const;
export const PRODUCTS = [
  'axi-cel',
  'tisa-cel',
  'liso-cel',
  'brexu-cel',
  'ide-cel',
  'cilta-cel',
  'point-of-care',
] as const;
export const RESPONSES = ['CR', 'PR', 'SD', 'PD'] as const;
export const DROPOUT_REASONS = [
  'rapid-progression',
  'death',
  'manufacturing-failure',
  'infection',
  'withdrawal',
  'ineligible',
  'other',
] as const;
export const DEATH_CAUSES = [
  'lymphoma',
  'crs',
  'icans',
  'infection',
  'secondary-malignancy',
  'other',
] as const;

/** The patient row itself (created at referral). */
export const PATIENT_FIELDS: FieldSpec[] = [
  f('pseudonym', 'text', true, 'programme pseudonym (letters, digits, -, _), unique across the programme'),
  f('ageAtReferral', 'int', true, 'age in whole years at referral', { min: 0, max: 120 }),
  f('sex', 'enum', false, 'M or F', { values: ['M', 'F'] }),
  f('referralDate', 'date', true, 'date of referral to the programme'),
  f('lineOfTherapy', 'int', true, 'line of therapy the CAR T would be (2 = second line)', {
    min: 1,
    max: 15,
  }),
  f('histology', 'enum', true, 'histology', { values: HISTOLOGIES }),
];

export const ENTITIES: EntitySpec[] = [
  {
    path: 'tumorboard-decisions',
    table: 'reg_tumorboard_decision',
    label: 'tumorboard',
    dateField: 'decisionDate',
    fields: [
      f('decisionDate', 'date', true, 'date of the tumorboard meeting'),
      f('accepted', 'bool', true, 'patient accepted for CAR T'),
      f('reason', 'enum', false, 'reason for not accepting', { values: DROPOUT_REASONS }),
      f('reasonText', 'text', false, 'free-text remark', { freeText: true }),
    ],
  },
  {
    path: 'apheresis',
    table: 'reg_apheresis',
    label: 'apheresis',
    dateField: 'apheresisDate',
    fields: [f('apheresisDate', 'date', true, 'date of leukapheresis')],
  },
  {
    path: 'products',
    table: 'reg_product',
    label: 'product',
    dateField: 'releaseDate',
    fields: [
      f('product', 'enum', true, 'CAR T product', { values: PRODUCTS }),
      f('lot', 'text', false, 'lot/batch number', { freeText: true }),
      f('releaseDate', 'date', false, 'date of release'),
      f('manufacturingFailure', 'bool', true, 'manufacturing failure or out-of-specification'),
      f('failureText', 'text', false, 'free-text description of the failure', { freeText: true }),
    ],
  },
  {
    path: 'bridging',
    table: 'reg_bridging',
    label: 'bridging',
    dateField: 'startDate',
    fields: [
      f('startDate', 'date', true, 'start of bridging'),
      f('bridgingType', 'enum', true, 'bridging category', {
        values: ['none', 'systemic', 'radiotherapy', 'combination'],
      }),
      f('regimen', 'text', false, 'systemic regimen', { freeText: true }),
      f('rtDoseGy', 'real', false, 'radiotherapy total dose (Gy)', { min: 0, max: 80 }),
      f('rtFractions', 'int', false, 'radiotherapy fractions', { min: 1, max: 50 }),
      f('rtLesions', 'int', false, 'number of irradiated lesions', { min: 0, max: 50 }),
    ],
  },
  {
    path: 'lymphodepletion',
    table: 'reg_lymphodepletion',
    label: 'lymphodepletion',
    dateField: 'startDate',
    fields: [
      f('startDate', 'date', true, 'first day of lymphodepleting chemotherapy'),
      f('regimen', 'enum', true, 'regimen', { values: ['flu-cy', 'bendamustine', 'other'] }),
    ],
  },
  {
    path: 'infusions',
    table: 'reg_infusion',
    label: 'infusion',
    dateField: 'infusionDate',
    single: true,
    fields: [
      f('infusionDate', 'date', true, 'CAR T infusion (day 0)'),
      f('doseCells', 'real', false, 'infused CAR+ T cells (cells)', { min: 0 }),
    ],
  },
  {
    path: 'toxicity-observations',
    table: 'reg_tox_observation',
    label: 'toxicity observation',
    dateField: 'observationDate',
    fields: [
      f('observationDate', 'date', true, 'day of observation'),
      f('maxTemperatureC', 'real', true, 'highest temperature (°C)', { min: 25, max: 45 }),
      f('feverMaskedByTreatment', 'bool', true, 'fever masked by antipyretics/tocilizumab/steroids'),
      f('hypotension', 'bool', true, 'hypotension needing treatment'),
      f('fluidsOnly', 'bool', true, 'hypotension treated with fluids only'),
      f('vasopressors', 'list', true, 'vasopressors by name'),
      f('oxygenDevice', 'enum', true, 'oxygen device', {
        values: [
          'none',
          'low-flow-nasal-cannula',
          'blow-by',
          'high-flow-nasal-cannula',
          'facemask',
          'non-rebreather',
          'venturi',
          'cpap',
          'bipap',
          'mechanical-ventilation',
        ],
      }),
      f('oxygenLPerMin', 'real', false, 'oxygen flow (L/min)', { min: 0, max: 100 }),
      f('diedOfCrs', 'bool', true, 'death due to CRS'),
      f('iceScore', 'int', false, 'ICE score 0–10', { min: 0, max: 10 }),
      f('iceNotPossible', 'bool', true, 'ICE could not be performed'),
      f('consciousness', 'enum', true, 'level of consciousness', {
        values: ['awake', 'awakens-to-voice', 'awakens-to-tactile', 'unarousable', 'stupor', 'coma'],
      }),
      f('globalAphasia', 'bool', true, 'awake with global aphasia'),
      f('seizure', 'enum', true, 'seizure', {
        values: ['none', 'rapidly-resolving', 'non-convulsive-eeg-resolving', 'prolonged-or-repetitive'],
      }),
      f('motor', 'enum', true, 'motor findings', { values: ['none', 'deep-focal-weakness'] }),
      f('cerebralOedema', 'enum', true, 'cerebral oedema', { values: ['none', 'focal', 'diffuse'] }),
      f('raisedIcpSigns', 'bool', true, 'signs of raised intracranial pressure'),
    ],
  },
  {
    path: 'toxicity-treatments',
    table: 'reg_tox_treatment',
    label: 'toxicity treatment',
    dateField: 'treatmentDate',
    fields: [
      f('treatmentDate', 'date', true, 'date given'),
      f('drug', 'enum', true, 'drug', {
        values: ['tocilizumab', 'steroids', 'anakinra', 'siltuximab', 'other'],
      }),
      f('doseMg', 'real', false, 'dose (mg)', { min: 0 }),
    ],
  },
  {
    path: 'adverse-events',
    table: 'reg_adverse_event',
    label: 'adverse event',
    dateField: 'onsetDate',
    fields: [
      f('term', 'text', true, 'CTCAE v5.0 term'),
      f('grade', 'int', true, 'CTCAE v5.0 grade 1–5', { min: 1, max: 5 }),
      f('onsetDate', 'date', true, 'onset'),
      f('resolutionDate', 'date', false, 'resolution'),
      f('attribution', 'enum', false, 'relation to CAR T', {
        values: ['unrelated', 'unlikely', 'possible', 'probable', 'definite'],
      }),
    ],
  },
  {
    path: 'lugano-assessments',
    table: 'reg_lugano_assessment',
    label: 'response assessment',
    dateField: 'assessmentDate',
    fields: [
      f('assessmentDate', 'date', true, 'date of the PET-CT'),
      f('deauville', 'int', false, 'Deauville 5-point score', { min: 1, max: 5 }),
      f('response', 'enum', true, 'Lugano 2014 response', { values: RESPONSES }),
    ],
  },
  {
    path: 'progressions',
    table: 'reg_progression',
    label: 'progression',
    dateField: 'progressionDate',
    single: true,
    fields: [f('progressionDate', 'date', true, 'date of progression or relapse')],
  },
  {
    path: 'subsequent-therapies',
    table: 'reg_subsequent_therapy',
    label: 'subsequent therapy',
    dateField: 'startDate',
    fields: [
      f('startDate', 'date', true, 'start'),
      f('category', 'enum', true, 'category', {
        values: ['chemotherapy', 'bispecific', 'radiotherapy', 'allo-sct', 'car-t', 'targeted', 'other'],
      }),
      f('detail', 'text', false, 'regimen detail', { freeText: true }),
    ],
  },
  {
    path: 'deaths',
    table: 'reg_death',
    label: 'death',
    dateField: 'deathDate',
    single: true,
    fields: [
      f('deathDate', 'date', true, 'date of death'),
      f('cause', 'enum', true, 'cause of death', { values: DEATH_CAUSES }),
      f('causeText', 'text', false, 'free-text detail', { freeText: true }),
    ],
  },
  {
    path: 'follow-ups',
    table: 'reg_follow_up',
    label: 'follow-up',
    dateField: 'followUpDate',
    fields: [f('followUpDate', 'date', true, 'date last known alive (contact)')],
  },
  {
    path: 'dropouts',
    table: 'reg_dropout',
    label: 'drop-out',
    dateField: 'dropoutDate',
    single: true,
    fields: [
      f('dropoutDate', 'date', true, 'date the patient left the CAR T pathway before infusion'),
      f('reason', 'enum', true, 'reason', { values: DROPOUT_REASONS }),
    ],
  },
  {
    path: 'secondary-malignancies',
    table: 'reg_secondary_malignancy',
    label: 'secondary malignancy',
    dateField: 'diagnosisDate',
    fields: [
      f('diagnosisDate', 'date', true, 'date of diagnosis'),
      f('malignancyType', 'text', true, 'type (e.g. MDS, T-cell lymphoma)'),
      f('carPositive', 'bool', false, 'tested CAR-positive'),
    ],
  },
  {
    path: 'biobank-samples',
    table: 'reg_biobank_sample',
    label: 'biobank sample',
    dateField: null,
    fields: [
      f('sampleType', 'enum', true, 'material', {
        values: ['pbmc', 'serum', 'plasma', 'tissue', 'bone-marrow', 'csf', 'product'],
      }),
      f('dayRelativeToInfusion', 'int', true, 'day relative to infusion (day 0)', { min: -365, max: 5475 }),
      f('location', 'text', false, 'storage location', { freeText: true }),
    ],
  },
  {
    path: 'study-links',
    table: 'reg_study_link',
    label: 'study link',
    dateField: null,
    fields: [
      f('kind', 'enum', true, 'linked record kind', { values: ['imaging', 'assay'] }),
      f('studyRef', 'text', true, 'scan or assay ID in the study store'),
    ],
  },
];

/** The entity spec for a URL segment, or undefined. */
export function entityByPath(path: string): EntitySpec | undefined {
  return ENTITIES.find((e) => e.path === path);
}

/** snake_case column of a camelCase field name. */
export function columnOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
