/**
 * Developer tool: compare wirenote fields with tshark on every shared capture (or the files given)
 * and print the differences per field.  npx ts-node --transpile-only test/support/compare-all.ts [FILE…]
 */
import { compareCapture, SHARED_CAPTURES } from './tshark';
import * as fs from 'fs';
import * as path from 'path';
const files = process.argv.slice(2).length ? process.argv.slice(2) : fs.readFileSync(path.join(SHARED_CAPTURES, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).map(l => l.split('\t')[0]).filter(f => /\.(pcap|pcapng|bin)$/.test(f)).map(f => path.join(SHARED_CAPTURES, f));
let tc = 0, ta = 0; const fieldDiff = new Map<string, number>();
for (const f of files) {
  const c = compareCapture(f);
  tc += c.cells; ta += c.agree;
  const bad = c.diffs.length;
  if (bad) {
    console.log(`${path.relative(SHARED_CAPTURES, f)}: ${c.agree}/${c.cells} rows t=${c.rowsTshark} w=${c.rowsWirenote}`);
    const byField = new Map<string, typeof c.diffs>();
    for (const d of c.diffs) { if (!byField.has(d.field)) byField.set(d.field, []); byField.get(d.field)!.push(d); fieldDiff.set(d.field, (fieldDiff.get(d.field) ?? 0) + 1); }
    for (const [k, v] of byField) console.log(`   ${k}: ${v.length} e.g. frame ${v[0].frame} tshark=[${v[0].tshark}] ours=[${v[0].wirenote}]` + (v[1] ? ` | frame ${v[1].frame} t=[${v[1].tshark}] o=[${v[1].wirenote}]` : ''));
  }
}
console.log(`TOTAL ${ta}/${tc} = ${(100 * ta / tc).toFixed(3)}%`);
console.log([...fieldDiff].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' '));
