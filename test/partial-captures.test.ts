/**
 * Captures that hold only part of the story — started mid-exchange, a response whose request is
 * not in the file, a block written twice, a hand-made capture of one orphan response — through
 * `wirenote report` (the notebooks executed in one process), `wirenote batch`, and the checklist:
 * no crash, the report says what is missing, and no requirement is marked met without its evidence.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeCaptureBuffer, buildLab, labChecks } from '../lib';
import { Conn, F, pcap, timed } from './support/pcap-builder';
import { ROOT } from './support/tshark';

const CLI = path.join(ROOT, 'lib', 'bin', 'wirenote.js');
const SCEN = path.join(__dirname, 'scenarios', 'captures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-partial-'));

/** Ten packets: a connection already open, one response with no captured request, then its close. */
function orphanCapture(): Buffer {
  const c = new Conn('127.0.0.1', '127.0.0.1', 40000, 8080, 700, 9000);
  const body = '<!DOCTYPE html><html><body><p>专业：网络工程</p><p>学号：2000001</p><p>姓名：测试</p><img src="logo.jpg"></body></html>';
  const head = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n`;
  const res = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body, 'utf8')]);
  const frames = [c.s(F.ACK | F.PSH, res), c.c(F.ACK), c.c(F.ACK), c.s(F.ACK), c.c(F.ACK), c.s(F.ACK), c.c(F.ACK | F.FIN), c.s(F.ACK | F.FIN), c.c(F.ACK), c.s(F.ACK)];
  return pcap(timed(frames));
}

const files: Record<string, string> = {
  orphan: path.join(tmp, 'orphan-10.pcap'),
  'mid-exchange': path.join(SCEN, 'mid-exchange-start.pcapng'),
  'orphan-response': path.join(SCEN, 'orphan-response.pcapng'),
  'duplicated-block': path.join(SCEN, 'duplicated-block.pcapng'),
};
fs.writeFileSync(files.orphan, orphanCapture());

test('the hand-made orphan capture: the response is described, its request said to be missing, nothing checked without evidence', () => {
  const lab = buildLab(analyzeCaptureBuffer(fs.readFileSync(files.orphan)), 'orphan-10.pcap');
  expect(lab.counts.orphanResponses).toBe(1);
  expect(lab.counts.requests).toBe(0);
  const c = labChecks(lab);
  expect(c.identity.status).toBe('pass'); // the page's text is in the response
  expect(c.handshake.status).toBe('fail');
  expect(c.audio.status).toBe('fail'); // the page has no <audio>
  expect(c.logo.status).not.toBe('pass'); // <img> names logo.jpg, which was never requested here
});

describe.each(Object.entries(files))('%s', (name, file) => {
  const out = path.join(tmp, `report-${name}`);
  let run: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    run = spawnSync(process.execPath, [CLI, 'report', '--capture', file, '--out', out, '--no-pdf'], { encoding: 'utf8', env: { ...process.env, LANG: 'C' }, maxBuffer: 64 << 20 });
  }, 180000);

  test('wirenote report runs the notebooks and writes the report', () => {
    expect({ status: run.status, stderr: String(run.stderr).slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(fs.existsSync(path.join(out, '实验报告.md'))).toBe(true);
    expect(fs.existsSync(path.join(out, '实验报告.html'))).toBe(true);
  });

  test('the report says what the capture lacks', () => {
    const md = fs.readFileSync(path.join(out, '实验报告.md'), 'utf8');
    if (name === 'orphan' || name === 'orphan-response' || name === 'mid-exchange') expect(md).toMatch(/的请求没有被捕获/);
    if (name === 'orphan' || name === 'mid-exchange') expect(md).toMatch(/没有捕获到三次握手|抓包开始前就已建立|抓包前/);
    if (name === 'duplicated-block') expect(md).toMatch(/重复写入的记录/);
    expect(md).not.toMatch(/undefined|NaN|\[object Object\]/);
  });
});

test('wirenote batch over the same captures: one row each, verdicts as the checklist gives them', () => {
  const dir = path.join(tmp, 'batch');
  fs.mkdirSync(dir);
  for (const f of Object.values(files)) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  const base = path.join(tmp, 'summary');
  const r = spawnSync(process.execPath, [CLI, 'batch', dir, '--out', base], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const csv = fs.readFileSync(`${base}.csv`, 'utf8').trim().split('\n');
  expect(csv).toHaveLength(1 + Object.keys(files).length);
  const row = csv.find((l) => l.startsWith('orphan-10.pcap'))!.split(',');
  const header = csv[0].split(',');
  const col = (t: string) => row[header.indexOf(t)];
  expect(col('HTTP 请求')).toBe('0');
  expect(col('三次握手')).toBe('✗');
  expect(col('MP3 音频')).toBe('✗');
  expect(col('JPEG LOGO')).not.toBe('✓');
});
