/**
 * The lab server's rules (scripts/lab/server.js), one test per rule, with real HTTP requests to
 * a server that serves a folder this test lays out: no directory listing, no dotfiles, no way out
 * of the folder through a symbolic link, error pages that name no path of the machine, heads that
 * trickle in are cut off, only loopback Host names (DNS rebinding), a plain refusal of a
 * non-loopback address — and what already held: traversal refused, 431 for a URL over 16 KB.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './support/tshark';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startServer } = require('../scripts/lab/server');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-site-'));
fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><p>the lab page</p>');
fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1');
fs.mkdirSync(path.join(dir, '.git'));
fs.writeFileSync(path.join(dir, '.git', 'config'), '[core]');
fs.mkdirSync(path.join(dir, 'assets'));
fs.writeFileSync(path.join(dir, 'assets', 'a.txt'), 'asset');
fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd-link'));
fs.symlinkSync('/etc', path.join(dir, 'etc-link'));
fs.symlinkSync(path.join(dir, 'assets', 'a.txt'), path.join(dir, 'inside-link'));
fs.symlinkSync('loop-b', path.join(dir, 'loop-a'));
fs.symlinkSync('loop-a', path.join(dir, 'loop-b'));

let server: { port: number; close: () => Promise<void> };
beforeAll(async () => {
  server = await startServer({ root: dir, port: 0, headersTimeoutMs: 2000, requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw request (nothing normalised on the way): status line and body. */
function raw(request: string): Promise<{ status: number; body: string; text: string }> {
  return new Promise((resolve, reject) => {
    // Written, not ended: a client that half-closes may get no answer. The server closes (Connection: close, HTTP/1.0).
    const s: net.Socket = net.connect(server.port, '127.0.0.1', () => s.write(request));
    let text = '';
    const t = setTimeout(() => s.destroy(), 5000);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => clearTimeout(t));
    s.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4), text }));
  });
}
const get = (p: string, host = `127.0.0.1:${server.port}`) => raw(`GET ${p} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

test('serves the page', async () => {
  const r = await get('/');
  expect(r.status).toBe(200);
  expect(r.body).toContain('the lab page');
});

test('no directory listing', async () => {
  for (const p of ['/assets/', '/assets', '/etc-link/']) {
    const r = await get(p);
    expect([p, r.status]).not.toEqual([p, 200]);
    expect(r.body).not.toContain('a.txt');
    expect(r.body).not.toMatch(/Index of/i);
  }
  expect((await get('/assets/a.txt')).status).toBe(200);
});

test('no dotfiles or dot-directories', async () => {
  for (const p of ['/.env', '/.git/config', '/assets/../.env', '/%2eenv', '/.%65nv']) {
    const r = await get(p);
    expect([p, r.status]).toEqual([p, 404]);
    expect(r.body).not.toContain('SECRET');
  }
});

test('symbolic links inside the folder are not followed out of it', async () => {
  for (const p of ['/passwd-link', '/etc-link/passwd', '/etc-link/hostname']) {
    const r = await get(p);
    expect([p, r.status]).toEqual([p, 404]);
    expect(r.body).not.toContain('root:');
  }
  // A link that stays inside is fine.
  expect((await get('/inside-link')).body).toContain('asset');
});

test('error pages name no path of the machine', async () => {
  const cases = ['/loop-a', '/index.html%00.jpg', `/${'x'.repeat(8000)}`, '/%E0%A4%A', '/index.html/x'];
  for (const p of cases) {
    const r = await get(p);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect([p.slice(0, 30), r.body]).not.toEqual([p.slice(0, 30), expect.stringContaining(dir)]);
    expect(r.body).not.toMatch(/\/(work|tmp|home|root|usr)\/|node_modules|at [\w.]+ \(/);
  }
  expect((await get('/loop-a')).status).toBe(500); // a symbolic-link loop: a server error, said plainly
});

test('a head that trickles in a line at a time is cut off', async () => {
  const started = Date.now();
  const closed = await new Promise<{ ms: number; text: string }>((resolve) => {
    const s: net.Socket = net.connect(server.port, '127.0.0.1', () => s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`));
    let text = '';
    const t = setInterval(() => s.writable && s.write('X-Slow: a\r\n'), 500);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(t);
      resolve({ ms: Date.now() - started, text });
    });
  });
  // headersTimeout is 2 s here (10 s by default), checked every second.
  expect(closed.ms).toBeLessThan(8000);
  expect(closed.text).toMatch(/^HTTP\/1\.1 408|^$/);
}, 20000);

test('only Host names of this machine are answered (DNS rebinding)', async () => {
  for (const h of ['evil.example', `evil.example:${server.port}`, '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1', '[::2]', '0.0.0.0']) {
    const r = await get('/', h);
    expect([h, r.status]).toEqual([h, 421]);
    expect(r.body).toMatch(/only requests for localhost/);
  }
  for (const h of [`127.0.0.1:${server.port}`, 'localhost', `LOCALHOST:${server.port}`, '127.1.2.3', `[::1]:${server.port}`, 'localhost.']) {
    expect([h, (await get('/', h)).status]).toEqual([h, 200]);
  }
  // HTTP/1.1 without a Host is refused (400, by Node itself: RFC 9112 §3.2); HTTP/1.0 may omit it.
  expect((await raw('GET / HTTP/1.1\r\nConnection: close\r\n\r\n')).status).toBe(400);
  expect((await raw('GET / HTTP/1.0\r\n\r\n')).status).toBe(200);
});

test('path traversal is refused; a URL over 16 KB gets 431', async () => {
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc/passwd', '/assets/../../package.json', '/..\\package.json']) {
    const r = await get(p);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body).not.toContain('"name"');
  }
  expect((await get(`/${'a'.repeat(17000)}`)).status).toBe(431);
});

test('npm run serve refuses a non-loopback address in plain words', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.2']) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'serve.js'), '--host', host, '--port', '0'], { encoding: 'utf8', timeout: 10000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`refusing to serve on ${host.replace(/[.:]/g, '\\$&')}: use a loopback address`));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }
});
