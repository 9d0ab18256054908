/**
 * IPv4 addresses become text through a small direct-mapped cache: whatever collides or is
 * evicted, the text must be the address.
 */
import { formatIPv4, prng } from '../lib';

test('formatIPv4 gives the dotted quad for every address, cached or not', () => {
  const rnd = prng(9);
  const b = Buffer.alloc(4);
  const seen: Array<[number, string]> = [];
  const wrong: string[] = [];
  for (let i = 0; i < 100000; i++) {
    // Mostly fresh addresses (collisions in a 4096-slot cache), sometimes one seen before.
    const again = seen.length > 0 && rnd() < 0.3;
    const v = again ? seen[Math.floor(rnd() * seen.length)][0] : Math.floor(rnd() * 2 ** 32);
    b.writeUInt32BE(v >>> 0, 0);
    const want = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
    const got = formatIPv4(b, 0);
    if (got !== want) wrong.push(`${got} for ${want}`);
    if (!again && seen.length < 5000) seen.push([v, want]);
  }
  expect(wrong).toEqual([]);
  // 0.0.0.0 (a zero key, as the empty cache holds) is still formatted.
  expect(formatIPv4(Buffer.alloc(4), 0)).toBe('0.0.0.0');
});
