/**
 * `wirenote fields` against tshark 4.0 (the oracle), cell by cell, on every capture in
 * ../shared/captures and on captures this suite makes itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FIELD_NEEDS } from '../lib';
import { ALL_FIELDS, columns, compareCapture, compareOutputs, Comparison, runWirenote, SHARED_CAPTURES, sharedCaptureFiles, tsharkAvailable } from './support/tshark';
import { FIELD_NAMES } from '../lib';

/** Fields that need no first pass: asked for alone, `wirenote fields` reads the capture once. */
const ONE_PASS_FIELDS = ALL_FIELDS.filter((f) => !FIELD_NEEDS[f]);

interface Exception {
  capture: string;
  field: string;
  frames: string[] | '*';
  why: string;
}
const EXCEPTIONS: Exception[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'tshark-exceptions.json'), 'utf8')).exceptions;

function excused(capture: string, field: string, frame: string): boolean {
  return EXCEPTIONS.some(
    (e) => e.capture === capture && (e.field === '*' || e.field === field) && (e.frames === '*' || e.frames.includes(frame)),
  );
}

const totals = new Map<string, [number, number]>();
function account(c: Comparison): void {
  for (const [f, [a, n]] of c.perField) {
    const t = totals.get(f) ?? [0, 0];
    totals.set(f, [t[0] + a, t[1] + n]);
  }
}

const haveTshark = tsharkAvailable();
(haveTshark ? describe : describe.skip)('wirenote fields = tshark -2 -T fields', () => {
  afterAll(() => {
    const lines = [...totals].map(([f, [a, n]]) => `${f.padEnd(40)} ${a}/${n} ${((100 * a) / Math.max(1, n)).toFixed(2)}%`);
    const all = [...totals.values()].reduce((s, [a, n]) => [s[0] + a, s[1] + n], [0, 0]);
    // eslint-disable-next-line no-console
    console.log(`per-field agreement with tshark (shared captures):\n${lines.join('\n')}\nALL ${all[0]}/${all[1]} = ${((100 * all[0]) / all[1]).toFixed(3)}%`);
  });

  for (const rel of sharedCaptureFiles()) {
    test(rel, () => {
      const c = compareCapture(path.join(SHARED_CAPTURES, rel), ALL_FIELDS);
      account(c);
      expect(c.rowsWirenote).toBe(c.rowsTshark);
      const unexplained = c.diffs.filter((d) => !excused(rel, d.field, d.frame));
      expect(unexplained.slice(0, 20)).toEqual([]);
      // The one-pass path (no field that looks ahead) must print the same cells.
      const once = runWirenote(path.join(SHARED_CAPTURES, rel), ONE_PASS_FIELDS);
      const c1 = compareOutputs(ONE_PASS_FIELDS, columns(c.theirs.stdout, ALL_FIELDS, ONE_PASS_FIELDS), once.stdout);
      expect(c1.rowsWirenote).toBe(c1.rowsTshark);
      expect(c1.diffs.filter((d) => !excused(rel, d.field, d.frame)).slice(0, 20)).toEqual([]);
    });
  }

  test('every supported field is compared here', () => {
    expect([...FIELD_NAMES].sort()).toEqual([...ALL_FIELDS].sort());
  });

  test('every exception still matches a real difference (no stale excuses)', () => {
    for (const e of EXCEPTIONS) {
      const c = compareCapture(path.join(SHARED_CAPTURES, e.capture), ALL_FIELDS);
      const hit = c.diffs.some((d) => (e.field === '*' || d.field === e.field) && (e.frames === '*' || e.frames.includes(d.frame)));
      expect({ exception: e.capture + ' ' + e.field, stillNeeded: hit }).toEqual({ exception: e.capture + ' ' + e.field, stillNeeded: true });
    }
  });
});
