/**
 * The lab itself: `npm run capture` for real (server + dumpcap/tcpdump + Debian Chromium), then
 * the new capture is checked with wirenote's own library and with tshark. Also: the server
 * refuses path traversal and never listens beyond loopback.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { analyzeCaptureFile, TH_FIN, TH_SYN, TH_ACK, HttpMessage, messageHeader } from '../lib';
import { ROOT, runTshark, tsharkAvailable } from './support/tshark';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startServer, LabError } = require('../scripts/lab/server');

const profile = JSON.parse(fs.readFileSync(path.join(ROOT, 'site', 'profile.json'), 'utf8'));

function reasonToSkip(): string | undefined {
  if (!fs.existsSync('/usr/bin/chromium')) return 'chromium is not installed';
  if (process.getuid && process.getuid() !== 0) return 'capturing needs root';
  if (!tsharkAvailable()) return 'tshark is not installed';
  return undefined;
}

function response(http: HttpMessage[], uri: string): HttpMessage | undefined {
  return http.find((m) => !m.isRequest && m.exchange.request?.uri === uri);
}

const skip = reasonToSkip();
(skip ? describe.skip : describe)('npm run capture (real browser, real capture)', () => {
  let file = '';
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-lab-'));

  beforeAll(() => {
    const r = spawnSync('npm', ['run', 'capture', '--', '--out', out, '--name', 'ci', '--port', '8080'], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) throw new Error(`npm run capture failed:\n${r.stdout}\n${r.stderr}`);
    file = path.join(out, fs.readdirSync(out).find((f) => /^ci\.pcap(ng)?$/.test(f))!);
  }, 150000);

  test('writes a pcapng capture and a JSON sidecar', () => {
    expect(file).toMatch(/\.pcapng$/);
    const side = JSON.parse(fs.readFileSync(path.join(out, 'ci.json'), 'utf8'));
    expect(side.browser).toMatch(/Chromium \d+/);
    expect(side.server).toMatch(/http-server/);
    expect(side.url).toBe('http://127.0.0.1:8080/');
  });

  test('page, logo, audio (Range → 206), icon; handshake and teardown — by wirenote', async () => {
    const a = await analyzeCaptureFile(file);
    expect(a.read.error).toBeUndefined();
    const page = response(a.http, '/');
    expect(page?.code).toBe(200);
    expect(messageHeader(page!, 'content-type')).toMatch(/^text\/html/);
    const html = page!.body!.toString('utf8');
    expect(html).toContain(profile.studentId);
    expect(html).toContain(profile.name);
    expect(html).toContain(profile.major);

    const conv = a.connections.find((c) => c.stream === page!.stream)!;
    const hs = a.frames.filter((f) => f.stream === conv.stream && f.flags & TH_SYN);
    expect(hs.some((f) => !(f.flags & TH_ACK))).toBe(true); // SYN
    expect(hs.some((f) => f.flags & TH_ACK)).toBe(true); // SYN-ACK
    expect(conv.completeness & 0b111).toBe(0b111); // SYN, SYN-ACK, ACK

    const logo = response(a.http, '/logo.jpg');
    expect(logo?.code).toBe(200);
    expect(messageHeader(logo!, 'content-type')).toBe('image/jpeg');
    const logoFrames = a.frames.filter((f) => f.reassembledIn === logo!.frame);
    expect(logoFrames.length).toBeGreaterThan(0); // the response spans several segments

    const audioReq = a.http.find((m) => m.isRequest && m.uri === '/intro.mp3' && messageHeader(m, 'range'));
    expect(audioReq).toBeDefined();
    const audio = audioReq!.exchange.response!;
    expect(audio.code).toBe(206);
    expect(messageHeader(audio, 'content-range')).toMatch(/^bytes \d+-\d+\/\d+$/);

    expect(a.http.some((m) => m.isRequest && (m.uri === '/icon.jpg' || m.uri === '/favicon.ico'))).toBe(true);

    const fins = a.frames.filter((f) => f.stream === conv.stream && f.flags & TH_FIN);
    expect(new Set(fins.map((f) => f.srcPort)).size).toBe(2); // FIN from both sides
    expect(a.frames.every((f) => f.srcPort === 8080 || f.dstPort === 8080)).toBe(true);
    expect(a.frames.length).toBe(a.totalFrames); // nothing but TCP
  });

  test('the same facts by tshark', () => {
    const t = runTshark(file, ['tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'http.request.uri', 'http.request.line', 'http.response.code', 'http.content_type', 'http.response.line', 'tcp.segment.count']);
    const rows = t.stdout.trim().split('\n').slice(1).map((l) => l.split('\t'));
    expect(rows.every((r) => r[0] === '8080' || r[1] === '8080')).toBe(true);
    expect(rows.some((r) => r[2] === '··········S·')).toBe(true);
    expect(rows.some((r) => r[2] === '·······A··S·')).toBe(true);
    expect(rows.filter((r) => r[2].endsWith('F')).map((r) => r[0]).sort()).toEqual(expect.arrayContaining(['8080']));
    expect(rows.some((r) => r[3] === '/' )).toBe(true);
    expect(rows.some((r) => r[5] === '200' && r[6] === 'image/jpeg' && Number(r[8]) > 1)).toBe(true);
    expect(rows.some((r) => r[3] === '/intro.mp3' && /Range: bytes=/.test(r[4]))).toBe(true);
    expect(rows.some((r) => r[5] === '206' && /Content-Range: bytes \d+-\d+\/\d+/i.test(r[7]))).toBe(true);
    expect(rows.some((r) => r[3] === '/icon.jpg' || r[3] === '/favicon.ico')).toBe(true);
  });
});

describe('the lab server', () => {
  let server: { url: string; port: number; close: () => Promise<void> };
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(() => server.close());

  function status(p: string): Promise<number> {
    return new Promise((resolve, reject) => {
      // Raw path: no client-side normalisation of "..".
      const req = http.request({ host: '127.0.0.1', port: server.port, path: p }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('serves the page with the seed caching headers', async () => {
    const res = await new Promise<http.IncomingMessage>((r) => http.get(server.url, r));
    res.resume();
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(res.headers['accept-ranges']).toBe('bytes');
  });

  test.each(['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc/passwd', '/profile.json/../../package.json'])(
    'path traversal %s is refused',
    async (p) => {
      const s = await status(p);
      expect(s).toBeGreaterThanOrEqual(400);
      expect(s).toBeLessThan(500);
    },
  );

  test('refuses to listen on a non-loopback address', () => {
    expect(() => startServer({ host: '0.0.0.0', port: 0 })).toThrow(LabError);
    expect(() => startServer({ host: '::', port: 0 })).toThrow(LabError);
  });

  test('the listening socket is bound to 127.0.0.1 only', () => {
    const r = spawnSync('ss', ['-ltnH', `sport = :${server.port}`], { encoding: 'utf8' });
    if (r.status !== 0) return;
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/127\.0\.0\.1:\d+/);
  });

  test('not reachable from another host (a network namespace of the test\'s own)', () => {
    if (process.getuid && process.getuid() !== 0) return;
    const ns = `wn${process.pid}`;
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    const setup = sh(
      `ip netns add ${ns} && ip link add ${ns}a type veth peer name ${ns}b && ip link set ${ns}b netns ${ns} && ` +
        `ip addr add 10.213.77.1/30 dev ${ns}a && ip link set ${ns}a up && ` +
        `ip netns exec ${ns} ip addr add 10.213.77.2/30 dev ${ns}b && ip netns exec ${ns} ip link set ${ns}b up && ip netns exec ${ns} ip link set lo up`,
    );
    try {
      expect(setup.status).toBe(0);
      // The host side answers pings from the namespace, but the lab server's port is closed there.
      const probe = sh(`ip netns exec ${ns} timeout 5 bash -c 'exec 3<>/dev/tcp/10.213.77.1/${server.port}' 2>&1; echo rc=$?`);
      expect(probe.stdout).toMatch(/refused|rc=1/);
    } finally {
      sh(`ip link del ${ns}a 2>/dev/null; ip netns del ${ns} 2>/dev/null`);
    }
  });
});

describe('npm run capture fails cleanly', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'capture.js'), '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-fail-')), ...args], { encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } });
  const count = (name: string) => Number(spawnSync('sh', ['-c', `pgrep -c -x ${name} || true`], { encoding: 'utf8' }).stdout.trim() || 0);

  test('port in use: a plain message, exit 1, nothing left running', async () => {
    const blocker = http.createServer(() => undefined);
    await new Promise<void>((r) => blocker.listen(18091, '127.0.0.1', () => r()));
    try {
      const before = count('dumpcap');
      const r = run(['--port', '18091']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/port 18091 on 127\.0\.0\.1 is already in use/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(count('dumpcap')).toBe(before);
    } finally {
      blocker.close();
    }
  });

  test('no Chromium: says what to install', () => {
    const r = run(['--port', '18092'], { WIRENOTE_CHROMIUM: '/nonexistent/chromium' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/apt-get install chromium/);
  });

  (skip ? test.skip : test)('Ctrl-C during the capture stops server, browser and capture', async () => {
    const { spawn } = await import('child_process');
    // Every process the capture starts carries its temporary folder (wirenote-capture-…) in its command line.
    const ours = () => Number(spawnSync('sh', ['-c', 'pgrep -c -f "[w]irenote-capture-" || true'], { encoding: 'utf8' }).stdout.trim() || 0);
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'capture.js'), '--port', '18093', '--teardown', 'server', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-int-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/idling until the server closes/.test(out)) {
          clearInterval(t);
          resolve();
        }
      }, 100);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(130);
    // Browser helper processes may take a moment to exit after the browser is closed.
    for (let i = 0; i < 50 && ours() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ours()).toBe(0);
    // The port is free again.
    const s = http.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(18093, '127.0.0.1', () => resolve()));
    s.close();
  }, 60000);
});
