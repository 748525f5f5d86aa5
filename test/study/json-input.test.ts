// study.json is strict at every level: an unknown key anywhere names the object holding it and the
// nearest known key (src/study/json-input.ts over src/study/study-json.ts's schema).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrict } from '../../src/study/json-input.js';
import { studyJsonSchema } from '../../src/study/study-json.js';
import { InputError } from '../../src/errors.js';

const base = { name: 'x', tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 } };

test('unknown keys at every level of study.json name the holder and the nearest known key', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [
      { flow: { populations: [{ label: 'cd8', gate: 'CD8', gat: 1 }] } },
      'flow.populations[0]',
      /`gat` \(did you mean `gate`\?\)/,
    ],
    [
      {
        flow: {
          markers: {
            CD45RA: { channel: 'x', threshold: 1, treshold: 2 },
            CCR7: { channel: 'y', threshold: 1 },
          },
        },
      },
      'flow.markers.CD45RA',
      /`treshold` \(did you mean `threshold`\?\)/,
    ],
    [
      { flow: { markers: { CD45R: { channel: 'x', threshold: 1 } } } },
      'flow.markers',
      /`CD45R` \(did you mean `CD45RA`\?\)/,
    ],
    [{ flow: { compensat: true } }, 'flow', /`compensat` \(did you mean `compensate`\?\)/],
    [
      { analysis: { normalTissue: { organ: ['x'] } } },
      'analysis.normalTissue',
      /`organ` \(did you mean `organs`\?\)/,
    ],
    [
      { analysis: { cytokineCurvModel: '4pl' } },
      'analysis',
      /`cytokineCurvModel` \(did you mean `cytokineCurveModel`\?\)/,
    ],
  ];
  for (const [extra, field, message] of cases) {
    assert.throws(
      () => parseStrict(studyJsonSchema, { ...base, ...extra }, { file: 'study.json' }),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.file === 'study.json' &&
        e.location.field === field &&
        /unknown key/.test(e.message) &&
        message.test(e.message),
      field,
    );
  }
});

test('every documented key is accepted and kept', () => {
  const full = {
    ...base,
    dataRoots: ['../images'],
    analysis: {
      suvPeak: 'local',
      excludeEbvPositive: false,
      matvThresholdSuv: 4,
      qpcrReferenceTarget: 'GATA2',
      cytokineCurveModel: '5pl',
      cytokineBelowLloq: 'omit',
      pvc: { method: 'lmm', scale: 'log-volume', referenceMl: 5, knots: 4, enabled: true },
      normalTissue: { organs: ['spleen'], curves: ['linear'] },
      uptakeDays: null,
      prePostRandom: 'patient',
      labScanMaxGapDays: 7,
    },
  };
  assert.deepEqual(parseStrict(studyJsonSchema, full, { file: 'study.json' }).analysis, full.analysis);
});
