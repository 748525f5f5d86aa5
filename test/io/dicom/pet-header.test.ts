/**
 * The typed PET header model (src/io/dicom/pet-header.ts): the shapes each field accepts (numbers,
 * numeric strings, value arrays, padded strings, backslash-separated text, private tags in any case,
 * a sequence as one item), the stored InputError naming the file, field and value, and that a
 * malformed field fails only when the SUV computation needs it — in the computation's own order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { computeSuvFactors } from '../../../src/imaging/suv.js';
import { readField } from '../../../src/imaging/suv-input.js';
import type { HeaderField } from '../../../src/imaging/suv-input.js';
import { petSuvFactors, petSuvHeader, suvComputeOptions } from '../../../src/io/dicom/pet-header.js';
import { projectRoot } from '../../helpers/shared-data.js';

type Header = Record<string, unknown> & { RadiopharmaceuticalInformationSequence: Record<string, unknown>[] };
const FILE = 'scan/IM0001.dcm';

function fixture(name: string): Header {
  return JSON.parse(
    readFileSync(join(projectRoot, 'test', 'fixtures', 'dicom', `${name}.json`), 'utf8'),
  ) as Header;
}
function rp(h: Header): Record<string, unknown> {
  return h.RadiopharmaceuticalInformationSequence[0]!;
}
/** The stored error of a field: an InputError whose message names the file, field and value. */
function storedError<T>(f: HeaderField<T>, ...patterns: RegExp[]): void {
  assert.equal(f.value, undefined);
  assert.ok(f.error instanceof InputError, 'expected a stored InputError');
  for (const re of patterns) assert.match(f.error.message, re);
  assert.throws(
    () => readField(f),
    (err: unknown) => err === f.error,
  );
}
function throwsInput(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

describe('petSuvHeader: accepted shapes', () => {
  test('numbers as numbers, numeric strings, padded strings or the first of an array', () => {
    for (const w of [80, '80', ' 80 ', '80.0', [80, 81], ['80']]) {
      const h = petSuvHeader({ PatientWeight: w }, { file: FILE });
      assert.equal(readField(h.patientWeight), 80, JSON.stringify(w));
      assert.deepEqual(h.patientWeight.raw, w);
    }
    const ds = petSuvHeader({ PatientSize: '1.8E0' });
    assert.equal(readField(ds.patientSize), 1.8);
  });

  test('empty, blank, null and empty-array values are absent (no value, no error)', () => {
    for (const v of ['', '   ', null, []]) {
      const h = petSuvHeader({ PatientWeight: v, Units: v });
      assert.equal(readField(h.patientWeight), undefined, JSON.stringify(v));
      assert.equal(h.patientWeight.error, undefined);
      assert.equal(readField(h.units), undefined);
    }
    const none = petSuvHeader({});
    assert.equal(none.patientWeight.raw, undefined);
    assert.equal(readField(none.radiopharmaceutical), undefined);
  });

  test('text: trimmed, NUL padding removed, numbers as text, first value of an array', () => {
    const h = petSuvHeader({
      Units: 'BQML\0',
      DecayCorrection: ' START ',
      Manufacturer: ['GE', 'x'],
      Modality: 7,
    });
    assert.equal(readField(h.units), 'BQML');
    assert.equal(readField(h.decayCorrection), 'START');
    assert.equal(readField(h.manufacturer), 'GE');
    assert.equal(readField(h.modality), '7');
  });

  test('multi-valued text: array or backslash-separated, trimmed and upper-cased', () => {
    const a = petSuvHeader({ CorrectedImage: ['attn', ' DECY '] });
    const b = petSuvHeader({ CorrectedImage: 'ATTN\\decy' });
    assert.deepEqual(readField(a.correctedImage), ['ATTN', 'DECY']);
    assert.deepEqual(readField(b.correctedImage), ['ATTN', 'DECY']);
    assert.deepEqual(readField(petSuvHeader({ SeriesType: 'WHOLE BODY\\IMAGE' }).seriesType), [
      'WHOLE BODY',
      'IMAGE',
    ]);
  });

  test('private tags are found in any case of their hex digits', () => {
    const h = petSuvHeader({ '7053100a': 1, '70531000': '0.000123', '0009100d': '20250301101500' });
    assert.equal(readField(h.philipsSuvScaleFactor), 0.000123);
    assert.equal(readField(h.gePetScanDateTime), Date.UTC(2025, 2, 1, 10, 15));
    const upper = petSuvHeader({ '0009100D': '20250301101500.000000' });
    assert.equal(readField(upper.gePetScanDateTime), Date.UTC(2025, 2, 1, 10, 15));
  });

  test('DA/TM/DT become floating ms; series and acquisition date-times with their fallbacks', () => {
    const h = petSuvHeader({
      SeriesDate: '20250301',
      SeriesTime: '101500.5',
      AcquisitionTime: '10:16:00',
      DecayCorrectionDateTime: '20250301101500+0100',
    });
    assert.equal(readField(h.seriesDateTime), Date.UTC(2025, 2, 1, 10, 15, 0, 500));
    // AcquisitionDate absent: the acquisition is placed on SeriesDate; old "HH:MM:SS" accepted.
    assert.equal(readField(h.acquisitionDateTime), Date.UTC(2025, 2, 1, 10, 16));
    const dcdt = readField(h.decayCorrectionDateTime)!;
    assert.equal(dcdt.text, '20250301101500+0100');
    assert.equal(readField(dcdt.ms), Date.UTC(2025, 2, 1, 10, 15)); // offset ignored: one clock
    const dt = petSuvHeader({ AcquisitionDateTime: '20250302080000', AcquisitionTime: 'ignored' });
    assert.equal(readField(dt.acquisitionDateTime), Date.UTC(2025, 2, 2, 8));
    assert.equal(readField(petSuvHeader({ SeriesTime: '101500' }).seriesDateTime), undefined); // no date
  });

  test('radiopharmaceutical item: an array of items or one item; dose, half-life, times, nuclide code', () => {
    const item = rp(fixture('bqml-start'));
    for (const seq of [[item], item]) {
      const h = petSuvHeader({ RadiopharmaceuticalInformationSequence: seq });
      assert.equal(h.radiopharmaceutical.raw, item);
      const r = readField(h.radiopharmaceutical)!;
      assert.equal(readField(r.totalDose), 350e6);
      assert.equal(readField(r.halfLifeS), 6586.2);
      assert.equal(readField(readField(r.startDateTime)!.ms), Date.UTC(2025, 2, 1, 9, 15));
      assert.equal(readField(readField(r.startTime)!.ms), (9 * 60 + 15) * 60_000);
      assert.equal(readField(r.nuclideCodeValue), 'C-111A1');
    }
  });

  test('injection date-time override: local ISO or DICOM DT, parsed once', () => {
    const iso = suvComputeOptions({ injectionDateTime: '2025-03-01T09:15:00', weightKg: 70 });
    assert.equal(readField(iso.injectionDateTime!), Date.UTC(2025, 2, 1, 9, 15));
    assert.equal(iso.weightKg, 70);
    const dt = suvComputeOptions({ injectionDateTime: '20250301091500' });
    assert.equal(readField(dt.injectionDateTime!), Date.UTC(2025, 2, 1, 9, 15));
    assert.equal('injectionDateTime' in suvComputeOptions({ suvType: 'lbm' }), false);
  });
});

describe('petSuvHeader: malformed values are stored errors naming file, field and value', () => {
  test('number fields', () => {
    const h = petSuvHeader({ PatientWeight: 'eighty', RescaleIntercept: { x: 1 } }, { file: FILE });
    storedError(h.patientWeight, /scan\/IM0001\.dcm/, /field PatientWeight/, /not a number/, /"eighty"/);
    storedError(h.rescaleIntercept, /scan\/IM0001\.dcm/, /field RescaleIntercept/, /expected a number/);
    storedError(petSuvHeader({ FrameReferenceTime: Infinity }).frameReferenceTimeMs, /not a finite number/);
  });

  test('text, sequence and date/time fields', () => {
    const h = petSuvHeader(
      {
        Units: { v: 'BQML' },
        CorrectedImage: ['ATTN', 3],
        SeriesDate: '20250301',
        SeriesTime: '25:99',
        RadiopharmaceuticalInformationSequence: ['not an item'],
        '00711022': '2025-03-01',
      },
      { file: FILE },
    );
    storedError(h.units, /scan\/IM0001\.dcm/, /field Units/, /expected a text value/);
    storedError(h.correctedImage, /field CorrectedImage/, /expected text values/);
    storedError(h.seriesDateTime, /scan\/IM0001\.dcm/, /field SeriesTime/, /"2599"|"25:99"/);
    storedError(h.radiopharmaceutical, /field RadiopharmaceuticalInformationSequence/, /sequence items/);
    storedError(h.siemensDecayDateTime, /Siemens Decay Correction DateTime \(0071,1022\)/, /"2025-03-01"/);
    assert.equal(readField(h.seriesTime), '25:99'); // the text is fine; its parse is not
  });

  test('a date/time whose text is fine but whose parse is not keeps the two apart', () => {
    const item = { RadiopharmaceuticalStartTime: '9h15' };
    const r = readField(
      petSuvHeader({ RadiopharmaceuticalInformationSequence: [item] }, { file: FILE }).radiopharmaceutical,
    )!;
    const tm = readField(r.startTime)!;
    assert.equal(tm.text, '9h15');
    storedError(
      tm.ms,
      /scan\/IM0001\.dcm/,
      /field RadiopharmaceuticalStartTime/,
      /malformed DICOM time/,
      /"9h15"/,
    );
  });

  test('a malformed injection override names the option and its value', () => {
    const o = suvComputeOptions({ injectionDateTime: '2025-03-01T09:15:00Z' });
    storedError(o.injectionDateTime!, /field injectionDateTime/, /no zone/, /"2025-03-01T09:15:00Z"/);
  });
});

describe('a malformed field fails only when the SUV computation needs it', () => {
  const clean = petSuvFactors([fixture('bqml-start')], {}, [{ file: FILE }]);

  test('PatientSize and ActualFrameDuration are not needed for SUVbw with the series time: same factors', () => {
    const h = { ...fixture('bqml-start'), PatientSize: 'tall', ActualFrameDuration: 'long', '70531000': 'x' };
    const r = petSuvFactors([h], {}, [{ file: FILE }]);
    assert.deepEqual(r, clean);
  });

  test('the same PatientSize is refused, naming the file and value, when SUVbsa needs it', () => {
    const h = { ...fixture('bqml-start'), PatientSize: 'tall' };
    throwsInput(
      () => petSuvFactors([h], { suvType: 'bsa' }, [{ file: FILE }]),
      /scan\/IM0001\.dcm/,
      /PatientSize/,
      /"tall"/,
    );
  });

  test('a malformed injection override is not read for values already in SUV (GML)', () => {
    const gml = { ...fixture('bqml-start'), Units: 'GML' };
    const r = petSuvFactors([gml], { injectionDateTime: 'yesterday' });
    assert.equal(r.factors[0]!.scaleFactor, 1);
    assert.deepEqual(r.meta.overrides, ['injectionDateTime']);
    throwsInput(
      () => petSuvFactors([fixture('bqml-start')], { injectionDateTime: 'yesterday' }),
      /injectionDateTime/,
      /"yesterday"/,
    );
  });

  test('order kept: a long-lived nuclide with only a start time is refused before that time is parsed', () => {
    const h = fixture('zr89-time-only');
    rp(h)['RadiopharmaceuticalStartTime'] = '9h15';
    throwsInput(
      () => petSuvFactors([h], {}, [{ file: FILE }]),
      /long-lived nuclide/,
      /RadiopharmaceuticalStartDateTime/,
    );
    // With a date-time override the start time is never parsed.
    const r = petSuvFactors([h], { injectionDateTime: '2025-02-27T10:15:00' }, [{ file: FILE }]);
    assert.ok(r.factors[0]!.scaleFactor > 0);
    // A short-lived nuclide reaches the parse, and the error names the file, field and value.
    const f = fixture('time-only');
    rp(f)['RadiopharmaceuticalStartTime'] = '9h15';
    throwsInput(
      () => petSuvFactors([f], {}, [{ file: FILE }]),
      /scan\/IM0001\.dcm/,
      /RadiopharmaceuticalStartTime/,
      /"9h15"/,
    );
  });

  test('computeSuvFactors on typed headers equals petSuvFactors on the records', () => {
    const h = fixture('bqml-start');
    assert.deepEqual(computeSuvFactors([petSuvHeader(h, { file: FILE })]), clean);
  });
});
