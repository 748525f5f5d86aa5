/**
 * `study.json` of a study bundle (docs/study-bundle.md "study.json"): its schema, strict at every level
 * (an unknown key is an error naming the nearest known key, never ignored), and its reader.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, parse, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { FLOW_MARKERS, type FlowStudySettings } from '../flow/study.js';
import { analysisSettingsSchema } from '../analysis/settings.js';
import { MAX_ERODE_MM } from '../imaging/morphology.js';
import { parseStrict } from './json-input.js';
import { pacsUrlProblem, parsePacsUrl } from '../io/dicomweb.js';
import type { StudySettings, Tracer } from './model.js';

/** Defaults of `study.json` `analysis` that the import and the report read (docs/study-bundle.md). */
export const DEFAULT_SETTINGS: StudySettings = {
  suvPeak: 'global',
  excludeEbvPositive: true,
  matvThresholdSuv: 2.5,
  qpcrReferenceTarget: 'GATA2',
};

/** Schema of `study.json` `flow` (docs/study-bundle.md "Flow cytometry"), also read by `carto fcs phenotype`. */
export const flowSettingsSchema = z
  .strictObject({
    compensate: z.boolean().default(true),
    cd4Gate: z.string().min(1).optional(),
    cd8Gate: z.string().min(1).optional(),
    populations: z
      .array(z.strictObject({ label: z.string().regex(/^[a-z0-9_]+$/), gate: z.string().min(1) }))
      .default([]),
    markers: z
      .partialRecord(
        z.enum(FLOW_MARKERS),
        z.strictObject({ channel: z.string().min(1), threshold: z.number().refine(Number.isFinite) }),
      )
      .default({}),
    mfi: z.array(z.enum(FLOW_MARKERS)).default([]),
  })
  .refine((f) => (f.cd4Gate === undefined) === (f.cd8Gate === undefined), {
    message: 'cd4Gate and cd8Gate go together (the CD4/CD8 ratio needs both)',
    path: ['cd4Gate'],
  })
  .refine((f) => f.mfi.every((m) => f.markers[m] !== undefined), {
    message: 'every mfi marker needs a channel in flow.markers',
    path: ['mfi'],
  })
  .refine((f) => (f.markers.CD45RA === undefined) === (f.markers.CCR7 === undefined), {
    message: 'memory subsets need both CD45RA and CCR7',
    path: ['markers'],
  });

/** The validated `flow` block as the flow phenotyping takes it (defaults filled in). */
export function toFlowSettings(f: z.infer<typeof flowSettingsSchema>): FlowStudySettings {
  return {
    compensate: f.compensate,
    cd4Gate: f.cd4Gate ?? null,
    cd8Gate: f.cd8Gate ?? null,
    populations: f.populations,
    markers: f.markers,
    mfi: f.mfi,
  };
}

/**
 * Schema of `study.json` `quantification` (docs/study-bundle.md "Quantification"): `earlFilter` 'none'
 * or 'EARL2→EARL1' (7 mm Gaussian post-filter of the SUV image, src/imaging/filter.ts), `organErosionMm`
 * the erosion of organ VOIs before their statistics (0…50 mm, src/imaging/morphology.ts).
 */
export const quantificationSettingsSchema = z.strictObject({
  earlFilter: z.enum(['none', 'EARL2→EARL1']).default('none'),
  organErosionMm: z.number().min(0).max(MAX_ERODE_MM).default(0),
});

/** Schema of the whole study.json: strict at every level. */
export const studyJsonSchema = z.strictObject({
  name: z.string().min(1),
  tracer: z.strictObject({
    name: z.string().min(1),
    nuclide: z.string().min(1),
    halfLifeS: z.number().positive(),
  }),
  /** Folders outside the bundle that its tables may point into (relative to the bundle or absolute). */
  dataRoots: z.array(z.string().min(1)).optional(),
  analysis: analysisSettingsSchema.optional(),
  flow: flowSettingsSchema.optional(),
  /** How scans are quantified (docs/study-bundle.md "Quantification"); part of each scan job's key. */
  quantification: quantificationSettingsSchema.optional(),
  /** The DICOMweb server (PACS) that `dicomweb:` scan paths name series on (docs/pacs.md). */
  pacs: z
    .strictObject({
      url: z.string().refine((u) => pacsUrlProblem(u) === null, {
        message: 'must be an http:// or https:// DICOMweb base URL without query, fragment or credentials',
      }),
    })
    .optional(),
});

/** What a bundle's study.json says. */
export interface StudyJson {
  name: string;
  tracer: Tracer;
  settings: StudySettings;
  flow: FlowStudySettings | null;
  /** Real (symlink-free) absolute paths of the declared `dataRoots`, in order. */
  dataRoots: string[];
  /** DICOMweb base URL of `pacs.url` (trailing slashes dropped), or null. */
  pacsUrl: string | null;
}

/**
 * Reads and validates `<dir>/study.json`.
 *
 * @param dir absolute bundle folder
 * @returns name, tracer, analysis settings (defaults filled in), flow block, real paths of the data roots,
 *   the PACS URL
 * @throws InputError naming study.json and the field for a missing file, invalid JSON, a value of the
 *   wrong type, an unknown key (with the nearest known key), or a data root that is not a folder or is
 *   the file-system root
 */
export function readStudyJson(dir: string): StudyJson {
  const file = join(dir, 'study.json');
  if (!existsSync(file)) throw new InputError('study.json is missing from the bundle', { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const s = parseStrict(studyJsonSchema, raw, { file });
  const dataRoots = (s.dataRoots ?? []).map((v, i) => {
    const field = `dataRoots[${i}]`;
    const p = isAbsolute(v) ? v : resolve(dir, v);
    if (!existsSync(p) || !statSync(p).isDirectory()) {
      throw new InputError(`data root is not a folder: ${p}`, { file, field, value: v });
    }
    const real = realpathSync(p);
    if (parse(real).root === real) {
      throw new InputError('a data root may not be the file-system root', { file, field, value: v });
    }
    return real;
  });
  return {
    name: s.name,
    tracer: { name: s.tracer.name, nuclide: s.tracer.nuclide, halfLifeS: s.tracer.halfLifeS },
    settings: {
      ...DEFAULT_SETTINGS,
      ...(s.analysis ?? {}),
      ...(s.quantification ? { quantification: s.quantification } : {}),
    },
    flow: s.flow ? toFlowSettings(s.flow) : null,
    dataRoots,
    pacsUrl: s.pacs ? parsePacsUrl(s.pacs.url, { file, field: 'pacs.url' }) : null,
  };
}
