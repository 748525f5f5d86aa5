// The journey-order rules and the plausible date range (src/clinical/timeline.ts), and the nearest-name
// helper used by the strict bundle schema (src/nearest-name.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  candidateConflict,
  daysBetween,
  implausibleDate,
  journeyConflict,
  lastPlausibleDate,
  maxPlausibleDayOffset,
  mustPrecede,
  type JourneyEntry,
  type JourneyStep,
} from '../../src/clinical/timeline.js';
import { editDistance, nearestName, unknownNameHint } from '../../src/nearest-name.js';

const e = (step: JourneyStep, day: number, source = step): JourneyEntry<string> => ({ step, day, source });

test('order rules: referral first, apheresis ≤ lymphodepletion ≤ infusion ≤ outcomes, death last', () => {
  assert.ok(mustPrecede('referral', 'other'));
  assert.ok(mustPrecede('apheresis', 'infusion'));
  assert.ok(mustPrecede('lymphodepletion', 'infusion'));
  assert.ok(mustPrecede('bridging', 'infusion'));
  for (const s of ['response', 'progression', 'follow_up', 'death'] as const)
    assert.ok(mustPrecede('infusion', s));
  for (const s of ['other', 'follow_up', 'progression', 'apheresis'] as const)
    assert.ok(mustPrecede(s, 'death'));
  assert.ok(!mustPrecede('death', 'death'));
  assert.ok(!mustPrecede('other', 'infusion'), 'a tracer injection or sample may come before the infusion');
  assert.ok(!mustPrecede('bridging', 'apheresis'));
});

test('a journey in order (same-day events allowed) has no conflict', () => {
  assert.equal(
    journeyConflict([
      e('apheresis', -28),
      e('bridging', -20),
      e('lymphodepletion', -5),
      e('other', -8),
      e('infusion', 0),
      e('response', 30),
      e('progression', 90),
      e('death', 120),
      e('follow_up', 120),
    ]),
    null,
  );
});

test('out-of-order journeys give the conflicting pair (later = the event that must come later)', () => {
  const deathFirst = journeyConflict([e('death', -5), e('infusion', 0)]);
  assert.deepEqual([deathFirst?.later.source, deathFirst?.earlier.source], ['death', 'infusion']);
  const afterDeath = journeyConflict([e('infusion', 0), e('death', 50), e('follow_up', 100)]);
  assert.deepEqual([afterDeath?.later.source, afterDeath?.earlier.source], ['death', 'follow_up']);
  const fuBefore = journeyConflict([e('infusion', 0), e('follow_up', -3)]);
  assert.equal(fuBefore?.later.source, 'follow_up');
  const aph = journeyConflict([e('infusion', 0), e('apheresis', 3)]);
  assert.deepEqual([aph?.later.source, aph?.earlier.source], ['infusion', 'apheresis']);
  assert.equal(candidateConflict(e('other', 10), [e('referral', 20)])?.later.source, 'other');
  assert.equal(candidateConflict(e('other', 10), [e('infusion', 20)]), null);
});

test('plausible dates: 1990-01-01 … today + 1 year', () => {
  const today = new Date('2026-12-06T10:00:00Z');
  assert.equal(lastPlausibleDate(today), '2027-12-06');
  assert.equal(implausibleDate('1990-01-01', today), null);
  assert.equal(implausibleDate('2027-12-06', today), null);
  assert.match(implausibleDate('1900-01-01', today) ?? '', /before 1990-01-01/);
  assert.match(implausibleDate('1989-12-31', today) ?? '', /before 1990-01-01/);
  assert.match(implausibleDate('2027-12-07', today) ?? '', /after 2027-12-06/);
  assert.match(implausibleDate('2999-01-01', today) ?? '', /after 2027-12-06/);
  assert.equal(maxPlausibleDayOffset(today), daysBetween('1990-01-01', '2027-12-06'));
  assert.equal(daysBetween('2024-02-27', '2025-02-27'), 366);
});

test('nearest name: edit distance, case ignored first, nothing suggested when far', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(
    nearestName('matvThresholdSUV', ['suvPeak', 'matvThresholdSuv', 'matvCutoffMl']),
    'matvThresholdSuv',
  );
  assert.equal(nearestName('weight', ['patient_id', 'weight_kg', 'age']), 'weight_kg');
  assert.equal(nearestName('dya', ['date', 'day']), 'day');
  assert.equal(nearestName('completely_different', ['day', 'date']), null);
  assert.equal(nearestName('x', []), null);
  assert.equal(unknownNameHint('knot', ['knots', 'method']), 'did you mean `knots`?');
  assert.equal(unknownNameHint('zzzzzz', ['a', 'b']), 'known: a, b');
});
