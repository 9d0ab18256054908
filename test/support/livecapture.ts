/**
 * Make real captures: run a scenario against a local server while tcpdump records loopback.
 * Needs root (or capture permission) and tcpdump; tests skip with a reason otherwise.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function canCapture(): string | undefined {
  if (spawnSync('tcpdump', ['--version']).status !== 0) return 'tcpdump is not installed';
  if (process.getuid && process.getuid() !== 0) return 'capturing on loopback needs root';
  return undefined;
}

export async function captureWhile(name: string, filter: string, scenario: () => Promise<void>, format: 'pcap' | 'pcapng' = 'pcap'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-cap-'));
  const file = path.join(dir, `${name}.${format}`);
  const args = ['-i', 'lo', '-U', '--immediate-mode', '-B', '65536', '-s', '0', '-w', file, ...(format === 'pcapng' ? ['--time-stamp-precision=nano'] : []), filter];
  const td = spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10000);
    td.stderr!.on('data', (d) => {
      err += d;
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    td.on('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
  });
  try {
    await scenario();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    const done = new Promise((r) => td.on('exit', r));
    td.kill('SIGINT');
    await done;
  }
  return file;
}
