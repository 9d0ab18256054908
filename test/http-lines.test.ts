/**
 * findLineEnd (a byte loop for short lines, Buffer.indexOf past 256 bytes) against the plain
 * definition, on random text with short and long lines, CRLF and bare LF, and any bounds.
 */
import { findLineEnd, prng } from '../lib';

/** The definition: the first LF in [from, end), minus a CR right before it; -1 without one. */
function reference(b: Buffer, from: number, end: number): number {
  for (let i = from; i < Math.min(end, b.length); i++) {
    if (b[i] === 0x0a) return i > from && b[i - 1] === 0x0d ? i - 1 : i;
  }
  return -1;
}

test('findLineEnd equals its definition for short and long lines and every bound', () => {
  const rnd = prng(5);
  let longLines = 0;
  for (let k = 0; k < 3000; k++) {
    const parts: string[] = [];
    while (parts.join('').length < 2000) {
      const len = rnd() < 0.3 ? Math.floor(rnd() * 900) : Math.floor(rnd() * 60);
      parts.push('x'.repeat(len) + (rnd() < 0.5 ? '\r\n' : rnd() < 0.5 ? '\n' : '\r'));
    }
    const b = Buffer.from(parts.join(''), 'latin1');
    const from = Math.floor(rnd() * b.length);
    const end = rnd() < 0.2 ? b.length + 10 : from + Math.floor(rnd() * (b.length - from + 1));
    const want = reference(b, from, end);
    if (want - from > 256) longLines++;
    expect([from, end, findLineEnd(b, from, end)]).toEqual([from, end, want]);
  }
  expect(longLines).toBeGreaterThan(100);
});
