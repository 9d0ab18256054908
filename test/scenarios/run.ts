/**
 * The parts a scenario is built from: a namespace, a server (http-server, python3 http.server, nginx, a small
 * Node server) that logs what it did, a capture tool (dumpcap → pcapng, tcpdump → pcap), Debian Chromium driven
 * by playwright-core, curl. Each part records its own facts (facts.ts) as it runs; `Run.finish` writes the
 * capture and its facts.
 */
import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import type { BrowserContext, Page } from 'playwright-core';
import { Netns, sh } from '../support/netns';
import type {
  AssetFacts,
  CaptureFacts,
  ClientFacts,
  CloseFact,
  ConnectionFact,
  LinkFacts,
  LossFact,
  OtherTrafficFact,
  PageFacts,
  PipelineFacts,
  Profile,
  RefusedFact,
  RequestFact,
  RewriteFacts,
  ScenarioFacts,
  ServerFacts,
  TlsAttemptFact,
} from './facts';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SITE = path.join(ROOT, 'site');
export const SERVERS = path.join(__dirname, 'servers');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--autoplay-policy=no-user-gesture-required', '--mute-audio',
];
const DEFAULT_SNAPLEN = 262144;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function version(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = re.exec(`${r.stdout || ''}${r.stderr || ''}`);
  return m ? m[1] : 'unknown';
}

// ---------------------------------------------------------------- the site

export interface SiteSpec {
  profile?: Profile;
  title?: string;
  logo?: string; // file name of the <img> (default logo.jpg)
  audio?: string; // file name of the <audio> (default intro.mp3)
  /** the icon link: null = none; file = its href; source = which bytes ('icon.jpg' | 'png') */
  icon?: { file: string; rel: string; source: 'icon.jpg' | 'png' } | null;
  /** replace the audio bytes (e.g. a longer MP3 for seeks) */
  audioFile?: string;
}

export interface Site {
  dir: string;
  page: Omit<PageFacts, 'url'>;
  /** assets without contentType/status (the server's answer is probed after the capture) */
  assets: AssetFacts[];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A 16×16 PNG (one colour), made here so no tool is needed. */
function tinyPng(): Buffer {
  const zlib = require('zlib') as typeof import('zlib');
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(16, 0);
  ihdr.writeUInt32BE(16, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.concat(Array.from({ length: 16 }, () => Buffer.concat([Buffer.from([0]), Buffer.from(Array(16).fill([0x20, 0x60, 0xc0]).flat())])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

export const SEED_PROFILE: Profile = { major: '物联网工程', studentId: '2111194', name: '胡博程' };

/** A copy of site/ in `dir`, with the spec's names, profile and icon link. */
export function makeSite(dir: string, spec: SiteSpec = {}): Site {
  fs.mkdirSync(dir, { recursive: true });
  const profile = spec.profile ?? SEED_PROFILE;
  const title = spec.title ?? '我的个人介绍';
  const logo = spec.logo ?? 'logo.jpg';
  const audio = spec.audio ?? 'intro.mp3';
  const icon = spec.icon === undefined ? { file: 'icon.jpg', rel: 'icon', source: 'icon.jpg' as const } : spec.icon;
  const iconType = icon && icon.source === 'png' ? 'image/png' : 'image/jpeg';
  const html = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${esc(title)}</title>
${icon ? `    <link rel="${esc(icon.rel)}" href="${esc(icon.file)}" type="${iconType}">\n` : ''}</head>
<body>
    <h1>${esc(title)}</h1>
    <p>专业：${esc(profile.major)}</p>
    <p>学号：${esc(profile.studentId)}</p>
    <p>姓名：${esc(profile.name)}</p>
    <img src="${esc(logo)}" alt="我的LOGO" width="300">
    <audio controls src="${esc(audio)}">
        你的浏览器不支持音频标签。
    </audio>
</body>
</html>
`;
  fs.writeFileSync(path.join(dir, 'index.html'), html);
  fs.copyFileSync(path.join(SITE, 'logo.jpg'), path.join(dir, logo));
  fs.copyFileSync(spec.audioFile ?? path.join(SITE, 'intro.mp3'), path.join(dir, audio));
  const assets: AssetFacts[] = [];
  const asset = (role: AssetFacts['role'], file: string | null, uriName: string, referencedBy: string): AssetFacts => {
    const uri = '/' + encodeURIComponent(uriName);
    return { role, file, uri, decodedUri: decodeURIComponent(uri), referencedBy, contentType: null, size: file ? fs.statSync(path.join(dir, file)).size : null, status: 0 };
  };
  if (icon) {
    if (icon.source === 'png') fs.writeFileSync(path.join(dir, icon.file), tinyPng());
    else fs.copyFileSync(path.join(SITE, 'icon.jpg'), path.join(dir, icon.file));
  }
  assets.push(asset('logo', logo, logo, 'img'));
  assets.push(asset('audio', audio, audio, 'audio'));
  if (icon) assets.push(asset('icon', icon.file, icon.file, `link rel=${icon.rel}`));
  else assets.push(asset('favicon', null, 'favicon.ico', 'none (browser default)'));
  // Fixed file times: ETag / Last-Modified are the same on every rebuild.
  const t = new Date('2025-09-01T08:00:00Z');
  for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), t, t);
  return {
    dir,
    page: { uri: '/', profile, title, hasIconLink: !!icon, iconLinkRel: icon ? icon.rel : null, size: Buffer.byteLength(html) },
    assets,
  };
}

// ---------------------------------------------------------------- servers

interface RawRequest {
  method: string;
  uri: string;
  status: number | null;
  range: string | null;
  conditional: boolean | null;
  remote: { address: string; port: number } | null;
  at: number;
  connId: number | null;
  complete: boolean | null;
}

export interface Server {
  facts: ServerFacts;
  /** base URL as clients use it */
  url: string;
  requests: RawRequest[];
  connections: { id: number; remote: { address: string; port: number }; openedAt: number; closedAt: number | null; by: 'server' | 'client' | null; requests: number }[];
  /** resolves when the server logged an event matching `pred` */
  waitFor(pred: (ev: any) => boolean, ms?: number): Promise<any>;
  send(line: string): void;
  stop(): Promise<void>;
}

function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void) {
  readline.createInterface({ input: stream }).on('line', onLine);
}

async function stopChild(child: ChildProcess, sig: NodeJS.Signals = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill(sig);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

/** A Node server from servers/ that logs JSON lines (instrument.js). */
async function nodeLoggedServer(ns: Netns, script: string, args: string[], facts: ServerFacts, urlHost: string): Promise<Server> {
  const child = ns.spawn(process.execPath, [path.join(SERVERS, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  const srv = blankServer(facts, urlHost, child);
  const pending = new Map<number, RawRequest[]>();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  lines(child.stdout!, (l) => {
    let ev: any;
    try {
      ev = JSON.parse(l);
    } catch {
      return;
    }
    if (ev.ev === 'conn') srv.connections.push({ id: ev.id, remote: { address: ev.remote, port: ev.rport }, openedAt: ev.at, closedAt: null, by: null, requests: 0 });
    else if (ev.ev === 'close') {
      const c = srv.connections.find((x) => x.id === ev.id);
      if (c) Object.assign(c, { closedAt: ev.at, by: ev.by, requests: ev.requests });
    } else if (ev.ev === 'req') {
      const r: RawRequest = { method: ev.method, uri: ev.url, status: null, range: ev.range, conditional: ev.conditional, remote: { address: ev.remote, port: ev.rport }, at: ev.at, connId: ev.id, complete: null };
      srv.requests.push(r);
      if (!pending.has(ev.id)) pending.set(ev.id, []);
      pending.get(ev.id)!.push(r);
    } else if (ev.ev === 'res' || ev.ev === 'abort') {
      const q = pending.get(ev.id) || [];
      const r = q.shift();
      if (r) Object.assign(r, { status: ev.status, complete: ev.ev === 'res' });
    }
    srv.emit(ev);
  });
  const listening = await srv.waitFor((e) => e.ev === 'listening', 10000).catch(() => {
    throw new Error(`${script} did not start: ${stderr}`);
  });
  if (listening.version) facts.version = listening.version;
  return srv;
}

function blankServer(facts: ServerFacts, urlHost: string, child: ChildProcess): Server & { emit(ev: any): void } {
  const waiters: { pred: (ev: any) => boolean; resolve: (ev: any) => void }[] = [];
  const seen: any[] = [];
  const srv = {
    facts,
    url: `http://${urlHost}:${facts.port}/`,
    requests: [] as RawRequest[],
    connections: [] as Server['connections'],
    emit(ev: any) {
      seen.push(ev);
      for (const w of [...waiters]) if (w.pred(ev)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    },
    waitFor(pred: (ev: any) => boolean, ms = 30000) {
      const old = seen.find(pred);
      if (old) return Promise.resolve(old);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (ev: any) => (clearTimeout(t), resolve(ev)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error('server event timed out'));
        }, ms);
        waiters.push(w);
      });
    },
    send(line: string) {
      child.stdin!.write(line + '\n');
    },
    stop: () => stopChild(child),
  };
  return srv;
}

export interface ServerSpec {
  root: string;
  address: string; // address clients use
  listen?: string; // address to bind (default = address)
  port: number;
  role?: 'lab' | 'other';
}

const hostInUrl = (a: string) => (a.includes(':') ? `[${a}]` : a);
const familyOf = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);

/** http-server 14 (npm, the seed's server) with Node's keep-alive. */
export function httpServer(ns: Netns, spec: ServerSpec & { keepAliveSeconds?: number; cacheSeconds?: number }): Promise<Server> {
  const ka = spec.keepAliveSeconds ?? 5;
  const cache = spec.cacheSeconds ?? -1;
  const facts: ServerFacts = {
    role: spec.role ?? 'lab', software: 'http-server', version: '', serverHeader: null, httpVersion: '1.1',
    address: spec.address, listenAddress: spec.listen ?? spec.address, port: spec.port, family: familyOf(spec.address),
    keepAliveTimeoutSeconds: ka, advertisesKeepAliveTimeout: true, closesAfterEachResponse: false, ranges: true, conditional: true,
    cacheControl: cache > 0 ? `max-age=${cache}` : 'no-cache, no-store, must-revalidate', page: { contentEncoding: null, transferEncoding: null }, pipelining: true,
  };
  return nodeLoggedServer(ns, 'http-server.js', ['--root', spec.root, '--host', facts.listenAddress, '--port', String(spec.port), '--keepalive', String(ka), '--cache', String(cache)], facts, hostInUrl(spec.address));
}

/** The small hand-written Node server (servers/node-site.js). */
export function nodeSiteServer(ns: Netns, spec: ServerSpec & { gzipPage?: boolean; holdPage?: boolean }): Promise<Server> {
  const facts: ServerFacts = {
    role: spec.role ?? 'lab', software: 'node-http', version: process.version, serverHeader: null, httpVersion: '1.1',
    address: spec.address, listenAddress: spec.listen ?? spec.address, port: spec.port, family: familyOf(spec.address),
    keepAliveTimeoutSeconds: 5, advertisesKeepAliveTimeout: true, closesAfterEachResponse: false, ranges: false, conditional: false,
    cacheControl: 'no-cache', page: { contentEncoding: spec.gzipPage ? 'gzip' : null, transferEncoding: spec.gzipPage ? 'chunked' : null }, pipelining: true,
  };
  const args = ['--root', spec.root, '--host', facts.listenAddress, '--port', String(spec.port)];
  if (spec.gzipPage) args.push('--gzip-page');
  if (spec.holdPage) args.push('--hold-page');
  return nodeLoggedServer(ns, 'node-site.js', args, facts, hostInUrl(spec.address));
}

/** `python3 -m http.server` (Debian's python3): HTTP/1.0, closes after each response, no Range. */
export async function pythonServer(ns: Netns, spec: ServerSpec): Promise<Server> {
  const py = '/usr/bin/python3';
  const pyVersion = version(py, ['--version'], /Python (\S+)/);
  const facts: ServerFacts = {
    role: spec.role ?? 'lab', software: 'python-http.server', version: pyVersion, serverHeader: `SimpleHTTP/0.6 Python/${pyVersion}`, httpVersion: '1.0',
    address: spec.address, listenAddress: spec.listen ?? spec.address, port: spec.port, family: familyOf(spec.address),
    keepAliveTimeoutSeconds: null, advertisesKeepAliveTimeout: false, closesAfterEachResponse: true, ranges: false, conditional: true,
    cacheControl: null, page: { contentEncoding: null, transferEncoding: null }, pipelining: false,
  };
  // -u: one log line per request as it happens (stamped when read).
  const child = ns.spawn(py, ['-u', '-m', 'http.server', String(spec.port), '--bind', facts.listenAddress, '--directory', spec.root], { stdio: ['ignore', 'pipe', 'pipe'] });
  const srv = blankServer(facts, hostInUrl(spec.address), child);
  const onLine = (l: string) => {
    if (/^Serving HTTP/.test(l)) srv.emit({ ev: 'listening' });
    const m = /^(\S+) - - \[[^\]]*\] "(\S+) (\S+) HTTP\/[\d.]+" (\d{3})/.exec(l);
    if (m) {
      const r: RawRequest = { method: m[2], uri: m[3], status: Number(m[4]), range: null, conditional: null, remote: null, at: Date.now(), connId: null, complete: null };
      srv.requests.push(r);
      srv.emit({ ev: 'req', url: r.uri });
    }
  };
  lines(child.stdout!, onLine);
  lines(child.stderr!, onLine);
  await srv.waitFor((e) => e.ev === 'listening', 10000);
  return srv;
}

/** nginx (Debian) with a config of its own in `confDir`: ETag/Last-Modified, Range, keep-alive 65 s. */
export async function nginxServer(ns: Netns, spec: ServerSpec & { confDir: string; keepAliveSeconds?: number }): Promise<Server> {
  const ver = version('nginx', ['-v'], /nginx\/(\S+)/);
  const ka = spec.keepAliveSeconds ?? 65;
  const listen = spec.listen ?? spec.address;
  const facts: ServerFacts = {
    role: spec.role ?? 'lab', software: 'nginx', version: ver, serverHeader: `nginx/${ver}`, httpVersion: '1.1',
    address: spec.address, listenAddress: listen, port: spec.port, family: familyOf(spec.address),
    keepAliveTimeoutSeconds: ka, advertisesKeepAliveTimeout: false, closesAfterEachResponse: false, ranges: true, conditional: true,
    cacheControl: null, page: { contentEncoding: null, transferEncoding: null }, pipelining: true,
  };
  const d = spec.confDir;
  fs.mkdirSync(path.join(d, 'logs'), { recursive: true });
  const log = path.join(d, 'logs', 'access.json');
  const conf = `worker_processes 1;
daemon off;
user root;
pid ${d}/nginx.pid;
error_log ${d}/logs/error.log warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  log_format wn escape=json '{"msec":"$msec","rt":"$request_time","remote":"$remote_addr","rport":"$remote_port","conn":"$connection","method":"$request_method","uri":"$request_uri","status":"$status","range":"$http_range","inm":"$http_if_none_match","ims":"$http_if_modified_since","done":"$request_completion"}';
  access_log ${log} wn;
  client_body_temp_path ${d}/tmp; proxy_temp_path ${d}/tmp; fastcgi_temp_path ${d}/tmp; uwsgi_temp_path ${d}/tmp; scgi_temp_path ${d}/tmp;
  sendfile off;
  keepalive_timeout ${ka};
  server {
    listen ${hostInUrl(listen)}:${spec.port};
    root ${spec.root};
    index index.html;
  }
}
`;
  fs.writeFileSync(path.join(d, 'nginx.conf'), conf);
  fs.mkdirSync(path.join(d, 'tmp'), { recursive: true });
  const child = ns.spawn('nginx', ['-c', path.join(d, 'nginx.conf'), '-p', d], { stdio: ['ignore', 'ignore', 'pipe'] });
  const srv = blankServer(facts, hostInUrl(spec.address), child);
  // nginx writes its log line when a request ends; read the file when asked.
  let read = 0;
  const poll = () => {
    if (!fs.existsSync(log)) return;
    const text = fs.readFileSync(log, 'utf8');
    for (const l of text.slice(read).split('\n')) {
      if (!l.trim()) continue;
      const e = JSON.parse(l);
      srv.requests.push({
        method: e.method, uri: e.uri, status: Number(e.status), range: e.range || null, conditional: !!(e.inm || e.ims),
        remote: { address: e.remote, port: Number(e.rport) }, at: Math.round((Number(e.msec) - Number(e.rt)) * 1000), connId: Number(e.conn), complete: e.done === 'OK',
      });
    }
    read = text.length;
  };
  const timer = setInterval(poll, 100);
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'bash', '-c', `exec 3<>/dev/tcp/${listen === '::' ? '::1' : listen}/${spec.port}`]);
    if (fs.existsSync(path.join(d, 'nginx.pid')) && r.status === 0) break;
    await sleep(100);
  }
  srv.stop = async () => {
    await stopChild(child, 'SIGQUIT');
    clearInterval(timer);
    poll();
    srv.requests.sort((a, b) => a.at - b.at);
  };
  return srv;
}

// ---------------------------------------------------------------- capture

export interface CaptureSpec {
  tool: 'dumpcap' | 'tcpdump';
  iface: string;
  filter: string | null;
  snaplen?: number;
  linkType?: string;
}

export interface Capture {
  facts: Omit<CaptureFacts, 'file' | 'startedAfter' | 'stoppedBefore'>;
  file: string;
  stop(): Promise<void>;
}

export async function startCapture(ns: Netns, tmp: string, spec: CaptureSpec): Promise<Capture> {
  const format = spec.tool === 'dumpcap' ? 'pcapng' : 'pcap';
  const file = path.join(tmp, `capture.${format}`);
  const snap = spec.snaplen ? ['-s', String(spec.snaplen)] : [];
  const lt = spec.linkType ? ['-y', spec.linkType] : [];
  // A 64 MB kernel buffer (as scripts/capture.js): with the default 2 MB the tools can drop 64 KB loopback
  // segments when the machine is busy. Drops are still read from the tool and recorded (capture.dropped).
  const args =
    spec.tool === 'dumpcap'
      ? ['-i', spec.iface, ...lt, ...snap, '-B', '64', ...(spec.filter ? ['-f', spec.filter] : []), '-w', file]
      : ['-i', spec.iface, ...lt, ...snap, '-B', '65536', '-U', '--immediate-mode', '-w', file, ...(spec.filter ? [spec.filter] : [])];
  const toolVersion = spec.tool === 'dumpcap' ? version('dumpcap', ['--version'], /Dumpcap \(Wireshark\) (\S+)/) : version('tcpdump', ['--version'], /tcpdump version (\S+)/);
  // dumpcap does not print the link type: its default is the first one `dumpcap -L` lists.
  let linkType = spec.linkType ?? '';
  if (!linkType && spec.tool === 'dumpcap') linkType = /^\s+(\S+)/m.exec(ns.run('dumpcap', ['-i', spec.iface, '-L']))![1];
  const child = ns.spawn(spec.tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${spec.tool} did not start: ${err}`)), 15000);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /link-type (\S+)/.exec(err);
      if (m && !linkType) linkType = m[1];
      if (/Capturing on|listening on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${spec.tool} exited (${code}): ${err}`));
    });
  });
  // The tool says it listens once its socket is open; give the ring a moment before traffic starts.
  await sleep(300);
  const cap: Capture = {
    file,
    facts: {
      format, tool: spec.tool, toolVersion, command: [spec.tool, ...args.map((a) => (a === file ? 'FILE' : a))], interface: spec.iface,
      linkType, filter: spec.filter, snaplen: spec.snaplen ?? DEFAULT_SNAPLEN, namespace: ns.name, startedAt: Date.now(), stoppedAt: 0, dropped: 0,
    },
    stop: async () => {
      if (cap.facts.stoppedAt) return;
      await sleep(300); // the last packets reach the ring
      cap.facts.stoppedAt = Date.now();
      await stopChild(child, 'SIGINT');
      // tcpdump: "N packets dropped by kernel"; dumpcap: "Packets received/dropped on interface 'lo': 57/0".
      const m = /(\d+) packets? dropped by kernel/.exec(err) ?? /received\/dropped on interface '.*': \d+\/(\d+) /.exec(err);
      if (!m) throw new Error(`${spec.tool} did not report its drops: ${err}`);
      cap.facts.dropped = Number(m[1]);
    },
  };
  return cap;
}

// ---------------------------------------------------------------- clients

export interface Browser {
  context: BrowserContext;
  page: Page;
  facts: ClientFacts;
  close(): Promise<void>;
}

/** Debian Chromium in the namespace (a wrapper runs it under `ip netns exec`), fresh profile, headless. */
export async function launchChromium(ns: Netns, tmp: string): Promise<Browser> {
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const wrapper = path.join(tmp, 'chromium-in-netns.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper,
    headless: true,
    args: CHROMIUM_FLAGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const page = context.pages()[0] || (await context.newPage());
  const ua = await page.evaluate(() => navigator.userAgent);
  let open = true;
  return {
    context,
    page,
    facts: { kind: 'browser', software: 'Chromium', version: context.browser()?.version() ?? version(CHROMIUM, ['--version'], /Chromium (\S+)/), userAgent: ua, freshProfile: true, flags: CHROMIUM_FLAGS },
    close: async () => {
      if (!open) return;
      open = false;
      await context.close();
    },
  };
}

/** Wait until no request has been in flight for `quietMs` (as scripts/capture.js). */
export function networkIdle(page: Page, quietMs = 1200, maxMs = 30000): Promise<void> {
  return new Promise((resolve) => {
    let inflight = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      if (inflight === 0) timer = setTimeout(done, quietMs);
    };
    const onReq = () => {
      inflight++;
      clearTimeout(timer);
    };
    const onEnd = () => {
      inflight = Math.max(0, inflight - 1);
      arm();
    };
    const hard = setTimeout(done, maxMs);
    function done() {
      clearTimeout(hard);
      clearTimeout(timer);
      page.off('request', onReq);
      page.off('requestfinished', onEnd);
      page.off('requestfailed', onEnd);
      resolve();
    }
    page.on('request', onReq);
    page.on('requestfinished', onEnd);
    page.on('requestfailed', onEnd);
    arm();
  });
}

/** Load the page, play the audio (Range: bytes=0- where the server has ranges), wait for quiet. */
export async function visit(page: Page, url: string, opts: { play?: boolean; quietMs?: number; reload?: boolean } = {}): Promise<void> {
  if (opts.reload) await page.reload({ waitUntil: 'load' });
  else await page.goto(url, { waitUntil: 'load' });
  if (opts.play !== false) {
    await page.evaluate(async () => {
      const a = document.querySelector('audio');
      if (a) await a.play().catch(() => undefined);
    });
  }
  await networkIdle(page, opts.quietMs ?? 1200);
}

export function curlVersion(): string {
  return version('curl', ['--version'], /^curl (\S+)/);
}

export function curlFacts(): ClientFacts {
  const v = curlVersion();
  return { kind: 'tool', software: 'curl', version: v, userAgent: `curl/${v}`, freshProfile: null, flags: [] };
}

// ---------------------------------------------------------------- one scenario

export interface FinishParts {
  summary: string;
  link: LinkFacts;
  client: ClientFacts;
  servers: Server[];
  site: Site | null;
  /** URL of the page as the client opened it */
  pageUrl: string | null;
  requestsOrdered?: boolean;
  /** requests not seen by any server log (e.g. raw pipelined ones are logged by the server too; TLS attempts none) */
  extraRequests?: RequestFact[];
  refused?: RefusedFact[];
  tls?: TlsAttemptFact[];
  closes: CloseFact[];
  loss?: LossFact | null;
  otherTraffic?: OtherTrafficFact[];
  startedAfter?: string | null;
  stoppedBefore?: string | null;
  derivedFrom?: RewriteFacts | null;
  pipelined?: PipelineFacts | null;
}

export class Run {
  readonly tmp: string;
  readonly timeline: { at: number; event: string }[] = [];
  private readonly cleanups: (() => unknown)[] = [];
  capture: Capture | null = null;

  constructor(readonly name: string, readonly outDir: string, readonly nsSuffix: string, readonly log: (m: string) => void) {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `wn-scenario-${name}-`));
    fs.chmodSync(this.tmp, 0o755);
    this.defer(() => fs.rmSync(this.tmp, { recursive: true, force: true }));
  }

  event(e: string): void {
    this.timeline.push({ at: Date.now(), event: e });
    this.log(`${this.name}: ${e}`);
  }

  defer(f: () => unknown): void {
    this.cleanups.push(f);
  }

  ns(role = ''): Netns {
    const ns = Netns.create(`wn-${this.name}${role ? '-' + role : ''}${this.nsSuffix}`);
    this.defer(() => ns.delete());
    return ns;
  }

  async server<T extends Server>(p: Promise<T>): Promise<T> {
    const s = await p;
    this.defer(() => s.stop());
    this.event(`${s.facts.software} ${s.facts.version} listening on ${s.facts.listenAddress} port ${s.facts.port}`);
    return s;
  }

  async startCapture(ns: Netns, spec: CaptureSpec): Promise<Capture> {
    const c = await startCapture(ns, this.tmp, spec);
    this.capture = c;
    this.defer(() => c.stop());
    this.event(`capture started: ${c.facts.command.join(' ')}`);
    return c;
  }

  async chromium(ns: Netns): Promise<Browser> {
    const b = await launchChromium(ns, this.tmp);
    this.defer(() => b.close());
    this.event(`Chromium ${b.facts.version} started (fresh profile)`);
    return b;
  }

  async cleanup(): Promise<void> {
    while (this.cleanups.length) {
      try {
        await this.cleanups.pop()!();
      } catch {
        /* keep cleaning */
      }
    }
  }

  /** Ask the lab server for each asset after the capture stopped: content type, size and status as it answers. */
  probe(ns: Netns, srv: Server, site: Site): void {
    for (const a of site.assets) {
      const out = ns.run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}\t%{content_type}\t%{size_download}', '-g', srv.url.replace(/\/$/, '') + a.uri]);
      const [code, type, size] = out.split('\t');
      a.status = Number(code);
      a.contentType = a.status === 200 ? type : null;
      if (a.status === 200 && a.size !== Number(size)) throw new Error(`${a.uri}: server sent ${size} bytes, file has ${a.size}`);
    }
  }

  finish(parts: FinishParts): ScenarioFacts {
    const cap = this.capture!;
    const inCapture = (t: number) => t >= cap.facts.startedAt && t <= cap.facts.stoppedAt;
    const requests: RequestFact[] = [];
    for (const s of parts.servers)
      for (const r of s.requests) {
        if (this.probeStarted && r.at >= this.probeStarted) continue; // the builder's own probes after the capture
        requests.push({ method: r.method, uri: r.uri, status: r.status, complete: r.complete, port: s.facts.port, range: r.range, conditional: r.conditional, remote: r.remote, at: r.at, captured: inCapture(r.at), source: 'server-log' });
      }
    requests.push(...(parts.extraRequests ?? []));
    requests.sort((a, b) => a.at - b.at);
    const connections: ConnectionFact[] = [];
    for (const s of parts.servers)
      for (const c of s.connections) {
        if (this.probeStarted && c.openedAt >= this.probeStarted) continue;
        connections.push({
          port: s.facts.port, remote: c.remote, openedAt: c.openedAt, closedAt: c.closedAt, requests: c.requests,
          handshakeCaptured: inCapture(c.openedAt), closeCaptured: c.closedAt !== null && inCapture(c.closedAt), closedBy: c.by,
        });
      }
    const ext = cap.facts.format;
    const file = `${this.name}.${ext}`;
    const facts: ScenarioFacts = {
      schema: 1,
      name: this.name,
      summary: parts.summary,
      capture: { file, ...cap.facts, startedAfter: parts.startedAfter ?? null, stoppedBefore: parts.stoppedBefore ?? null },
      link: parts.link,
      client: parts.client,
      servers: parts.servers.map((s) => s.facts),
      page: parts.site && parts.pageUrl ? { url: parts.pageUrl, ...parts.site.page } : null,
      assets: parts.site ? parts.site.assets : [],
      requests,
      requestsOrdered: parts.requestsOrdered ?? false,
      connections,
      refused: parts.refused ?? [],
      tls: parts.tls ?? [],
      closes: parts.closes,
      loss: parts.loss ?? null,
      otherTraffic: parts.otherTraffic ?? [],
      derivedFrom: parts.derivedFrom ?? null,
      pipelined: parts.pipelined ?? null,
      timeline: this.timeline,
    };
    fs.mkdirSync(this.outDir, { recursive: true });
    const dest = path.join(this.outDir, file);
    fs.copyFileSync(cap.file, dest);
    fs.chmodSync(dest, 0o644);
    fs.writeFileSync(path.join(this.outDir, `${this.name}.facts.json`), JSON.stringify(facts, null, 2) + '\n');
    this.log(`${this.name}: wrote ${file} (${fs.statSync(dest).size} bytes) and ${this.name}.facts.json`);
    return facts;
  }

  probeStarted = 0;
  markProbe(): void {
    this.probeStarted = Date.now();
  }
}

export { sh };
