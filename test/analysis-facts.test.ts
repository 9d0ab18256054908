/**
 * Facts the front door adds for the report, checked against tshark: TCP checksum verification
 * (tshark -o tcp.check_checksum:TRUE), and pcapng metadata (capinfos' view of SHB/IDB/ISB).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCaptureFile } from '../lib';
import { ROOT, SHARED_CAPTURES, sharedCaptureFiles, tsharkAvailable } from './support/tshark';

const maybe = tsharkAvailable() ? test : test.skip;

function tsharkColumns(file: string, args: string[]): string[][] {
  let out = '';
  try {
    out = execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? '';
  }
  return out.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

maybe('TCP checksum verdicts equal tshark\'s on every shared capture and the reference captures', async () => {
  const files = [...sharedCaptureFiles().map((f) => path.join(SHARED_CAPTURES, f)), ...fs.readdirSync(path.join(ROOT, 'captures')).filter((f) => f.endsWith('.pcapng')).map((f) => path.join(ROOT, 'captures', f))].filter((f) => fs.existsSync(f));
  let compared = 0;
  let good = 0;
  let bad = 0;
  let unverified = 0;
  for (const file of files) {
    const a = await analyzeCaptureFile(file);
    if (!a.frames.length) continue;
    const status = new Map(tsharkColumns(file, ['-o', 'tcp.check_checksum:TRUE', '-Y', 'tcp', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.checksum.status']).map(([n, s]) => [Number(n), s]));
    for (const f of a.frames) {
      const s = status.get(f.frame);
      // tshark: 0 bad, 1 good, 2 unverified (segment not captured whole).
      if (s === undefined || s === '2' || s === '') continue;
      // We give no verdict on malformed segments (header past the IP length); tshark still sums them.
      if (f.checksumOk === undefined) {
        unverified++;
        continue;
      }
      expect(`${file}#${f.frame}:${f.checksumOk}`).toBe(`${file}#${f.frame}:${s === '1'}`);
      compared++;
      if (s === '1') good++;
      else bad++;
    }
  }
  expect(compared).toBeGreaterThan(1000);
  expect(good).toBeGreaterThan(100);
  expect(bad).toBeGreaterThan(10);
  expect(unverified).toBeLessThan(compared / 100);
});

maybe('pcapng section and interface metadata as capinfos reads it', async () => {
  const file = path.join(ROOT, 'captures', 'first-visit-server-close.pcapng');
  const info = execFileSync('capinfos', [file], { encoding: 'utf8' });
  const a = await analyzeCaptureFile(file);
  const field = (name: string) => new RegExp(`^\\s*${name}\\s*[=:]\\s*(.*)$`, 'm').exec(info)?.[1].trim();
  expect(a.read.sections[0].os).toBe(field('Capture oper-sys'));
  expect(a.read.sections[0].application).toBe(field('Capture application'));
  expect(a.read.sections[0].hardware).toBe(field('Capture hardware'));
  const i = a.read.interfaces[0];
  expect(i.name).toBe(field('Name'));
  expect(i.description).toBe(field('Description'));
  expect(i.filter).toBe(field('Filter string'));
  expect(String(i.stats?.received)).toBe(field('Number of packets'));
});
