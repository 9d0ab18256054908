/**
 * A real capture cut by a snapshot length: `tcpdump -s 96` on the loopback of a network
 * namespace of the test's own, while a Node HTTP server and client in that namespace exchange
 * keep-alive GETs, a HEAD, a 404 and a POST. tshark marks the cut frames "Packet size limited
 * during capture" and still shows their request lines, status codes and captured header lines;
 * `wirenote fields` must print the same cells, and the messages must say they were cut.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeCaptureFile } from '../lib';
import { canCapture } from './support/livecapture';
import { compareCapture, REQUIRED_FIELDS, tsharkAvailable } from './support/tshark';
import { HTTP_FIELDS } from './support/synth';

const skip = canCapture() ?? (tsharkAvailable() ? undefined : 'tshark is not installed');
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

/** Server and client in one process: answers by path, then runs the requests on one keep-alive connection (and a second one). */
const SCENARIO = `
const http = require('http');
const body = 'x'.repeat(3000);
const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (d) => (n += d.length));
  req.on('end', () => {
    if (req.url === '/missing') { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not here'); return; }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Received': String(n) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
});
server.keepAliveTimeout = 500;
server.listen(80, '127.0.0.1', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const go = (method, p, data) => new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: 80, path: p, method, agent, headers: { 'User-Agent': 'wirenote-snaplen-test/1.0 (a long enough user agent to be cut)' } }, (res) => { res.resume(); res.on('end', resolve); });
    r.on('error', reject);
    r.end(data);
  });
  await go('GET', '/index.html');
  await go('HEAD', '/index.html');
  await go('GET', '/missing');
  await go('POST', '/form', 'a=' + 'b'.repeat(2000));
  await go('GET', '/' + 'long-uri-'.repeat(12));
  agent.destroy();
  const other = new http.Agent({ keepAlive: false });
  await new Promise((resolve) => http.get({ host: '127.0.0.1', port: 80, path: '/second', agent: other }, (res) => { res.resume(); res.on('end', resolve); }));
  setTimeout(() => server.close(() => process.exit(0)), 100);
});
`;

(skip ? describe.skip : describe)('a capture made with tcpdump -s 96', () => {
  const ns = `wnsnap${process.pid}`;
  let file = '';
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-snaplen-'));
    file = path.join(dir, 'snap96.pcap');
    const script = path.join(dir, 'scenario.js');
    fs.writeFileSync(script, SCENARIO);
    expect(sh(`ip netns add ${ns} && ip netns exec ${ns} ip link set lo up`).status).toBe(0);
    // tcpdump in the namespace, started and stopped by one shell: no process outlives the test.
    const r = sh(
      `ip netns exec ${ns} tcpdump -i lo -s 96 -U --immediate-mode -w ${file} tcp port 80 2>${dir}/td.err & td=$!; ` +
        `for i in $(seq 50); do grep -q listening ${dir}/td.err && break; sleep 0.1; done; ` +
        `ip netns exec ${ns} ${process.execPath} ${script}; rc=$?; sleep 0.3; kill -INT $td; wait $td; exit $rc`,
    );
    expect(r.status).toBe(0);
  }, 60000);
  afterAll(() => {
    sh(`ip netns del ${ns} 2>/dev/null`);
  });

  test('every cell equals tshark, HTTP and TCP fields', () => {
    const fields = [...new Set([...REQUIRED_FIELDS, ...HTTP_FIELDS])];
    const c = compareCapture(file, fields);
    expect(c.rowsTshark).toBeGreaterThan(20);
    expect(c.rowsWirenote).toBe(c.rowsTshark);
    expect(c.diffs.slice(0, 20)).toEqual([]);
    // The capture really was cut, and tshark still showed the requests.
    expect(c.theirs.stdout).toMatch(/\tGET\t/);
  });

  test('the messages are there, marked as cut', async () => {
    const a = await analyzeCaptureFile(file);
    const requests = a.http.filter((m) => m.isRequest);
    expect(requests.map((m) => m.method)).toEqual(['GET', 'HEAD', 'GET', 'POST', 'GET', 'GET']);
    expect(requests.every((m) => m.truncated !== undefined)).toBe(true);
    const codes = a.http.filter((m) => !m.isRequest).map((m) => m.code);
    expect(codes).toEqual(expect.arrayContaining([200, 404]));
    expect(a.http.filter((m) => !m.isRequest).every((m) => m.truncated !== undefined)).toBe(true);
  });
});
