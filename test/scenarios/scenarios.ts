/**
 * The scenarios: each one a way a student really makes a capture (README.md beside this file says what each is
 * for). Every scenario builds its own namespace(s), site copy, server, capture and client, and records its facts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Netns } from '../support/netns';
import type { CloseFact, LinkFacts, OtherTrafficFact, RequestFact, ScenarioFacts } from './facts';
import {
  Browser,
  Capture,
  CaptureSpec,
  curlFacts,
  FinishParts,
  httpServer,
  makeSite,
  nginxServer,
  nodeSiteServer,
  pythonServer,
  Run,
  Server,
  Site,
  SITE,
  SiteSpec,
  sleep,
  visit,
  networkIdle,
} from './run';
import { routedBetween, sh, vethBetween } from '../support/netns';

export interface ScenarioDef {
  name: string;
  summary: string;
  /** a derived scenario rewrites this scenario's capture (built first when missing) */
  from?: string;
  /** cheap enough for CI to rebuild end to end */
  cheap?: boolean;
  build(r: Run): Promise<ScenarioFacts>;
}

const loopbackLink = (ns: Netns, address: string): LinkFacts => ({
  kind: 'loopback', namespaces: [ns.name], mtu: Number(ns.run('cat', ['/sys/class/net/lo/mtu']).trim()), family: address.includes(':') ? 6 : 4,
  clientAddress: address, serverAddress: address, offloads: null,
});

interface Ctx {
  r: Run;
  ns: Netns;
  site: Site;
  srv: Server;
  browser: Browser;
  url: string;
  cap: Capture | null;
}

interface BrowserLab {
  summary: string;
  site?: SiteSpec;
  server(ns: Netns, root: string, r: Run): Promise<Server>;
  capture(srv: Server): CaptureSpec;
  /** URL the browser opens (default: the server's) */
  pageUrl?(srv: Server): string;
  address?: string;
  /** start the capture before the page (default) or only after the first load */
  startCapture?: 'before' | 'after-load';
  beforePage?(c: Ctx): Promise<void>;
  load?(c: Ctx): Promise<void>;
  afterPage?(c: Ctx): Promise<void>;
  /** how the scenario ends: close the browser, stop the capture first, or idle until the server closes */
  end: 'browser-exit' | 'capture-first' | 'server-idle';
  closes(c: Ctx): CloseFact[];
  more?(c: Ctx): Partial<FinishParts>;
}

/** Chromium loads the student's page from one server inside one namespace, captured on that namespace's lo/any. */
async function browserLab(r: Run, o: BrowserLab): Promise<ScenarioFacts> {
  const ns = r.ns();
  const site = makeSite(path.join(r.tmp, 'site'), o.site);
  const srv = await r.server(o.server(ns, site.dir, r));
  const url = o.pageUrl ? o.pageUrl(srv) : srv.url;
  const c: Ctx = { r, ns, site, srv, browser: null as unknown as Browser, url, cap: null };
  const startCap = async () => {
    c.cap = await r.startCapture(ns, o.capture(srv));
  };
  if (o.startCapture !== 'after-load') await startCap();
  c.browser = await r.chromium(ns);
  if (o.beforePage) await o.beforePage(c);
  r.event(`loading ${url}`);
  if (o.load) await o.load(c);
  else await visit(c.browser.page, url);
  r.event(o.load ? 'load step done' : 'page loaded, audio played, network quiet');
  if (o.startCapture === 'after-load') await startCap();
  if (o.afterPage) await o.afterPage(c);
  await c.browser.page.evaluate(() => document.querySelector('audio')?.pause()).catch(() => undefined);
  let browserClosedAt = 0;
  if (o.end === 'capture-first') {
    await c.cap!.stop();
    r.event('capture stopped (connections still open)');
    browserClosedAt = Date.now();
    await c.browser.close();
    r.event('browser closed after the capture stopped');
  } else {
    if (o.end === 'server-idle') {
      const ka = srv.facts.keepAliveTimeoutSeconds ?? 5;
      r.event(`idling until the server closes its keep-alive connections (timeout ${ka} s)`);
      const deadline = Date.now() + ka * 1000 + 15000;
      while (srv.connections.some((x) => x.closedAt === null) && Date.now() < deadline) await sleep(200);
      r.event(`server closed ${srv.connections.filter((x) => x.by === 'server').length} connection(s)`);
    }
    browserClosedAt = Date.now();
    await c.browser.close();
    r.event('browser closed');
    await sleep(700);
    await c.cap!.stop();
    r.event('capture stopped');
  }
  r.markProbe();
  r.probe(ns, srv, site);
  const more = o.more ? o.more(c) : {};
  await srv.stop();
  return r.finish({
    summary: o.summary,
    link: loopbackLink(ns, o.address ?? srv.facts.address),
    client: c.browser.facts,
    servers: [srv],
    site,
    pageUrl: url,
    closes: [...earlyClientCloses(srv, Math.min(browserClosedAt, c.cap!.facts.stoppedAt)), ...o.closes(c)],
    ...more,
  });
}

/**
 * Connections the client closed on its own before `before` (the browser's exit, or the capture's end), as the
 * server logged them: a close fact naming their ports — after a seek when they carried an abandoned response.
 */
function earlyClientCloses(srv: Server, before: number, why: 'after-seek' | 'own' = 'own'): CloseFact[] {
  const early = srv.connections.filter((x) => x.by === 'client' && x.closedAt !== null && x.closedAt < before);
  if (!early.length) return [];
  const carried = (port: number) => srv.requests.filter((q) => q.remote?.port === port);
  const abandoned = early.filter((x) => carried(x.remote.port).some((q) => q.complete === false));
  const facts: CloseFact[] = [];
  const list = (xs: typeof early) => xs.map((x) => `${x.remote.port}: ${carried(x.remote.port).map((q) => `${q.method} ${q.uri}${q.range ? ` (${q.range})` : ''}${q.complete === false ? ' abandoned' : ''}`).join(', ') || 'no request'}`).join('; ');
  const seek = why === 'after-seek' ? abandoned : [];
  const own = early.filter((x) => !seek.includes(x));
  if (seek.length)
    facts.push({ scope: 'connections whose response the browser abandoned after a seek', reason: 'client-abort-after-seek', by: 'client', seconds: null, clientPorts: seek.map((x) => x.remote.port), detail: `Chromium drops a media response it no longer needs after a seek and asks for the new position with a new Range request (${list(seek)})` });
  if (own.length)
    facts.push({ scope: 'connections the browser closed on its own before the end', reason: 'client-abort', by: 'client', seconds: null, clientPorts: own.map((x) => x.remote.port), detail: `closed by the browser while the page stayed open (${list(own)})` });
  return facts;
}

const dumpcapLo = (filter: string | null): CaptureSpec => ({ tool: 'dumpcap', iface: 'lo', filter });
const browserExit = (detail = 'the browser is closed at the end: it closes its remaining keep-alive connections together'): CloseFact => ({
  scope: 'lab connections still open at the end', reason: 'browser-exit', by: 'client', seconds: null, clientPorts: null, detail,
});
const keepAliveLong = 30;
const UDP_DATAGRAMS = 12;

export const SCENARIOS: ScenarioDef[] = [
  {
    name: 'python-http10',
    summary: 'python3 -m http.server (HTTP/1.0, closes after each response) serving the site on 127.0.0.1:8000; Chromium',
    cheap: true,
    build: (r) =>
      browserLab(r, {
        summary: 'python3 -m http.server (HTTP/1.0, closes after each response) serving the site on 127.0.0.1:8000; Chromium',
        server: (ns, root) => pythonServer(ns, { root, address: '127.0.0.1', port: 8000 }),
        capture: () => dumpcapLo('tcp port 8000'),
        end: 'browser-exit',
        closes: () => [
          {
            scope: 'every connection that carried a response', reason: 'http10-server-close', by: null, seconds: null, clientPorts: null,
            detail: 'SimpleHTTPRequestHandler speaks HTTP/1.0 without keep-alive: one request per connection, closed right after the response. Python shuts the socket down after writing the response, and Chromium, knowing the connection cannot be reused, closes it as soon as the body has arrived: which FIN comes first is a race',
          },
          browserExit('a connection the browser opened but never used (a preconnect), if any, is closed by the browser when it exits'),
        ],
      }),
  },
  {
    name: 'any-nofilter-noise',
    summary: 'dumpcap on "any" with no filter while a curl loop fetches another server (port 8081) and UDP datagrams go to port 9999; Chromium loads the student page from http-server on 8080',
    build: async (r) => {
      let other: Server;
      let loop: import('child_process').ChildProcess;
      let udpCount = 0;
      let udpDone: Promise<unknown> = Promise.resolve();
      const t = { loopStart: 0 };
      return browserLab(r, {
        summary: 'dumpcap on "any" with no filter while a curl loop fetches another server (port 8081) and UDP datagrams go to port 9999; Chromium loads the student page from http-server on 8080',
        server: async (ns, root, run) => {
          const otherRoot = path.join(run.tmp, 'other');
          fs.mkdirSync(otherRoot);
          fs.writeFileSync(path.join(otherRoot, 'index.html'), '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>状态页</title></head><body><h1>服务状态</h1><p>一切正常。</p></body></html>\n');
          other = await run.server(pythonServer(ns, { root: otherRoot, address: '127.0.0.1', port: 8081, role: 'other' }));
          return httpServer(ns, { root, address: '127.0.0.1', port: 8080, keepAliveSeconds: 5 });
        },
        capture: () => ({ tool: 'dumpcap', iface: 'any', filter: null }),
        beforePage: async (c) => {
          // Background traffic the student did not mean to capture, running before the page loads.
          loop = c.ns.spawn('sh', ['-c', 'while :; do curl -s -o /dev/null http://127.0.0.1:8081/; sleep 0.4; done'], { stdio: 'ignore' });
          t.loopStart = Date.now();
          c.r.defer(() => loop.kill('SIGKILL'));
          const udp = c.ns.spawn('/usr/bin/python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${UDP_DATAGRAMS}):\n    s.sendto(b"wirenote-noise %d\\n" % i, ("127.0.0.1", 9999)); time.sleep(0.25)`], { stdio: 'ignore' });
          udpDone = new Promise((res) => udp.once('exit', (code) => {
            if (code === 0) udpCount = UDP_DATAGRAMS;
            res(code);
          }));
          c.r.defer(() => udp.kill('SIGKILL'));
          await sleep(1500);
          c.r.event('curl loop to 127.0.0.1:8081 and UDP datagrams to 127.0.0.1:9999 running');
        },
        afterPage: async (c) => {
          await sleep(1500);
          await udpDone;
          // Stop the loop while the capture still runs: every request it made is in the file.
          loop.kill('SIGKILL');
          await new Promise((res) => (loop.exitCode !== null || loop.signalCode !== null ? res(null) : loop.once('exit', res)));
          await sleep(500);
          c.r.event('curl loop stopped');
        },
        end: 'browser-exit',
        closes: () => [browserExit()],
        more: (c) => {
          const cap = c.cap!.facts;
          const otherReqs = other.requests.filter((q) => q.at >= cap.startedAt && q.at <= cap.stoppedAt);
          const traffic: OtherTrafficFact[] = [
            { kind: 'http', client: `curl ${curlFacts().version} in a shell loop every 0.4 s`, address: '127.0.0.1', port: 8081, count: otherReqs.length, startedBeforePage: true, uri: '/', hasProfile: false },
            { kind: 'udp', client: 'python3 socket.sendto, nobody listening (the kernel answers ICMP port unreachable)', address: '127.0.0.1', port: 9999, count: udpCount, startedBeforePage: true, uri: null, hasProfile: false },
          ];
          return { otherTraffic: traffic, servers: [c.srv, other] };
        },
      });
    },
  },
  {
    name: 'snaplen-96',
    summary: 'tcpdump -s 96 on lo (classic pcap, every packet cut to 96 bytes); http-server on 127.0.0.1:8080; Chromium',
    cheap: true,
    build: (r) =>
      browserLab(r, {
        summary: 'tcpdump -s 96 on lo (classic pcap, every packet cut to 96 bytes); http-server on 127.0.0.1:8080; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => ({ tool: 'tcpdump', iface: 'lo', filter: 'tcp port 8080', snaplen: 96 }),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'any-sll2-tcpdump',
    summary: 'tcpdump -i any (Linux cooked v2 headers, classic pcap) with the filter "tcp port 8080"; http-server; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'tcpdump -i any (Linux cooked v2 headers, classic pcap) with the filter "tcp port 8080"; http-server; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => ({ tool: 'tcpdump', iface: 'any', filter: 'tcp port 8080' }),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'https-mistakes',
    summary: 'Chromium first opens https://127.0.0.1:8080/ (TLS ClientHello to the HTTP server → 400), then https://127.0.0.1/ (closed port 443: SYN → RST), then the plain http://127.0.0.1:8080/',
    build: (r) => {
      let tlsUrl = '';
      let refusedUrl = '';
      let tlsEnd = 0;
      return browserLab(r, {
        summary: 'Chromium first opens https://127.0.0.1:8080/ (TLS ClientHello to the HTTP server → 400), then https://127.0.0.1/ (closed port 443: SYN → RST), then the plain http://127.0.0.1:8080/',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => dumpcapLo('tcp port 8080 or tcp port 443'),
        beforePage: async (c) => {
          tlsUrl = 'https://127.0.0.1:8080/';
          refusedUrl = 'https://127.0.0.1/';
          for (const u of [tlsUrl, refusedUrl]) {
            const err = await c.browser.page.goto(u).then(() => 'loaded', (e: Error) => e.message.split('\n')[0]);
            c.r.event(`opened ${u}: ${err}`);
            await sleep(500);
            if (u === tlsUrl) tlsEnd = Date.now();
          }
        },
        end: 'browser-exit',
        closes: () => [
          { scope: 'the TLS attempts on port 8080', reason: 'tls-rejected', by: null, seconds: null, clientPorts: null, detail: "Node's HTTP parser rejects the ClientHello bytes: http-server answers 400 Bad Request and drops the connection; the browser sends a TLS alert and FIN, and which FIN comes first is a race (the server may also RST)" },
          browserExit(),
        ],
        more: (c) => {
          // The TLS connections close in a race (see closes): the server's view of who closed first is not a fact.
          const tlsConns = c.srv.connections.filter((x) => x.openedAt < tlsEnd);
          for (const x of tlsConns) x.by = null;
          return {
            tls: [
              { address: '127.0.0.1', port: 8080, answer: 'http 400', clientHelloSent: true, url: tlsUrl, connections: tlsConns.length },
              { address: '127.0.0.1', port: 443, answer: 'refused', clientHelloSent: false, url: refusedUrl, connections: null },
            ],
            refused: [{ address: '127.0.0.1', port: 443, family: 4, reason: 'closed port', by: `Chromium opening ${refusedUrl}` }],
          };
        },
      });
    },
  },
  {
    name: 'chinese-names-no-icon',
    summary: 'assets named 标志.jpg and 自我介绍.mp3, no <link rel="icon"> (the browser asks for /favicon.ico → 404); another student; http-server; Chromium',
    cheap: true,
    build: (r) =>
      browserLab(r, {
        summary: 'assets named 标志.jpg and 自我介绍.mp3, no <link rel="icon"> (the browser asks for /favicon.ico → 404); another student; http-server; Chromium',
        site: { profile: { major: '计算机科学与技术', studentId: '2213056', name: '李雪' }, title: '李雪的主页', logo: '标志.jpg', audio: '自我介绍.mp3', icon: null },
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => dumpcapLo('tcp port 8080'),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'logo-named-icon',
    summary: 'the logo is icon.jpg shown by <img src="icon.jpg">; the real icon is favicon.png via <link rel="shortcut icon">; http-server; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'the logo is icon.jpg shown by <img src="icon.jpg">; the real icon is favicon.png via <link rel="shortcut icon">; http-server; Chromium',
        site: { profile: { major: '软件工程', studentId: '2120311', name: '王芳' }, logo: 'icon.jpg', icon: { file: 'favicon.png', rel: 'shortcut icon', source: 'png' } },
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => dumpcapLo('tcp port 8080'),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'curl-client',
    summary: 'curl (no browser) fetches the page and its three assets over one keep-alive connection; http-server on 127.0.0.1:8080',
    cheap: true,
    build: async (r) => {
      const ns = r.ns();
      const site = makeSite(path.join(r.tmp, 'site'));
      const srv = await r.server(httpServer(ns, { root: site.dir, address: '127.0.0.1', port: 8080 }));
      const cap = await r.startCapture(ns, dumpcapLo('tcp port 8080'));
      const urls = ['/', ...site.assets.map((a) => a.uri)].map((u) => srv.url.replace(/\/$/, '') + u);
      // One curl process, several URLs: curl reuses the connection and sends them one after another.
      ns.run('curl', ['-s', '--http1.1', ...urls.flatMap((u) => ['-o', '/dev/null', u])]);
      r.event(`curl fetched ${urls.join(' ')}`);
      await cap.stop();
      r.event('capture stopped');
      r.markProbe();
      r.probe(ns, srv, site);
      await srv.stop();
      return r.finish({
        summary: 'curl (no browser) fetches the page and its three assets over one keep-alive connection; http-server on 127.0.0.1:8080',
        link: loopbackLink(ns, '127.0.0.1'),
        client: curlFacts(),
        servers: [srv],
        site,
        pageUrl: srv.url,
        requestsOrdered: true,
        closes: [{ scope: 'the one connection', reason: 'client-exit', by: 'client', seconds: null, clientPorts: null, detail: 'curl closes its connection when it exits after the last response' }],
      });
    },
  },
  {
    name: 'early-stop',
    summary: 'capture stopped while the keep-alive connections are still open (no FIN captured); http-server with a 30 s keep-alive; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'capture stopped while the keep-alive connections are still open (no FIN captured); http-server with a 30 s keep-alive; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080, keepAliveSeconds: keepAliveLong }),
        capture: () => dumpcapLo('tcp port 8080'),
        end: 'capture-first',
        closes: () => [{ scope: 'all lab connections', reason: 'capture-stopped-first', by: null, seconds: null, clientPorts: null, detail: 'the capture was stopped while the connections were open (keep-alive 30 s, browser still open)' }],
        more: () => ({ stoppedBefore: 'any connection closed: no FIN or RST of a lab connection is in the capture' }),
      }),
  },
  {
    name: 'late-start',
    summary: 'capture started after the first page load: the reload travels over keep-alive connections opened before the capture (no handshake captured); http-server keep-alive 30 s; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'capture started after the first page load: the reload travels over keep-alive connections opened before the capture (no handshake captured); http-server keep-alive 30 s; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080, keepAliveSeconds: keepAliveLong }),
        capture: () => dumpcapLo('tcp port 8080'),
        startCapture: 'after-load',
        afterPage: async (c) => {
          c.r.event('reloading the page (same profile) after the capture started');
          await visit(c.browser.page, c.url, { reload: true });
        },
        end: 'browser-exit',
        closes: () => [browserExit()],
        more: () => ({ startedAfter: 'the first page load: its connections (keep-alive 30 s) were already open' }),
      }),
  },
  {
    name: 'classic-pcap',
    summary: 'tcpdump with its defaults (classic pcap, no interface/filter metadata in the file) and the filter "tcp port 8080"; http-server; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'tcpdump with its defaults (classic pcap, no interface/filter metadata in the file) and the filter "tcp port 8080"; http-server; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080 }),
        capture: () => ({ tool: 'tcpdump', iface: 'lo', filter: 'tcp port 8080' }),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'keepalive-timeout',
    summary: 'the seed situation: http-server (Keep-Alive: timeout=5) closes the idle connections itself after 5 s, then the browser is closed; dumpcap; Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'the seed situation: http-server (Keep-Alive: timeout=5) closes the idle connections itself after 5 s, then the browser is closed; dumpcap; Chromium',
        server: (ns, root) => httpServer(ns, { root, address: '127.0.0.1', port: 8080, keepAliveSeconds: 5 }),
        capture: () => dumpcapLo('tcp port 8080'),
        end: 'server-idle',
        closes: () => [{ scope: 'all lab connections', reason: 'keepalive-timeout', by: 'server', seconds: 5, clientPorts: null, detail: "Node's keepAliveTimeout (5 s) after the last response; a connection that never carried a request is closed by the server's 5.5 s socket timeout" }],
      }),
  },
  {
    name: 'nginx-reload',
    summary: 'nginx serving the site (ETag, Last-Modified, no Cache-Control); Chromium loads it, then reloads in the same profile → conditional GET and 304',
    build: (r) =>
      browserLab(r, {
        summary: 'nginx serving the site (ETag, Last-Modified, no Cache-Control); Chromium loads it, then reloads in the same profile → conditional GET and 304',
        server: (ns, root, run) => nginxServer(ns, { root, address: '127.0.0.1', port: 8080, confDir: path.join(run.tmp, 'nginx') }),
        capture: () => dumpcapLo('tcp port 8080'),
        afterPage: async (c) => {
          c.r.event('reloading in the same profile');
          await visit(c.browser.page, c.url, { reload: true });
        },
        end: 'browser-exit',
        closes: () => [browserExit('nginx keeps connections 65 s (keepalive_timeout 65, not advertised); the browser closes them when it exits')],
      }),
  },
  {
    name: 'node-gzip-chunked',
    summary: 'a small Node server on port 3000 sends the page with Content-Encoding: gzip and Transfer-Encoding: chunked (assets plain, no Range); Chromium',
    build: (r) =>
      browserLab(r, {
        summary: 'a small Node server on port 3000 sends the page with Content-Encoding: gzip and Transfer-Encoding: chunked (assets plain, no Range); Chromium',
        site: { profile: { major: '网络工程', studentId: '2011427', name: '陈思远' } },
        server: (ns, root) => nodeSiteServer(ns, { root, address: '127.0.0.1', port: 3000, gzipPage: true }),
        capture: () => dumpcapLo('tcp port 3000'),
        end: 'browser-exit',
        closes: () => [browserExit()],
      }),
  },
  {
    name: 'ipv6-localhost',
    summary: 'http-server listening on :: (all addresses, IPv6 and IPv4-mapped); Chromium opens http://localhost:8080/ and connects to ::1',
    build: (r) =>
      browserLab(r, {
        summary: 'http-server listening on :: (all addresses, IPv6 and IPv4-mapped); Chromium opens http://localhost:8080/ and connects to ::1',
        server: (ns, root) => httpServer(ns, { root, address: '::1', listen: '::', port: 8080 }),
        pageUrl: () => 'http://localhost:8080/',
        capture: () => dumpcapLo('tcp port 8080'),
        end: 'browser-exit',
        closes: () => [browserExit()],
        more: (c) => {
          const seen = [...new Set(c.srv.connections.map((x) => x.remote.address))];
          if (seen.length !== 1 || seen[0] !== '::1') throw new Error(`the browser reached the server from ${seen}, not only ::1`);
          return {};
        },
      }),
  },
  {
    name: 'veth-loss',
    summary: 'client and server in two namespaces joined by veth pairs through a router namespace (MTU 1500, offloads off); nft in the router drops every 25th server data segment; capture on the client side; http-server on 10.77.2.1:8080; Chromium',
    build: async (r) => {
      const summary = 'client and server in two namespaces joined by veth pairs through a router namespace (MTU 1500, offloads off); nft in the router drops every 25th server data segment; capture on the client side; http-server on 10.77.2.1:8080; Chromium';
      const cli = r.ns('cli');
      const router = r.ns('rtr');
      const srvNs = r.ns('srv');
      const link = routedBetween(cli, router, srvNs);
      const site = makeSite(path.join(r.tmp, 'site'), { profile: { major: '通信工程', studentId: '2112087', name: '赵一鸣' } });
      const srv = await r.server(httpServer(srvNs, { root: site.dir, address: link.serverAddress, port: 8080 }));
      const rule = 'tcp sport 8080 meta length > 200 numgen inc mod 25 == 7 counter name dropped drop';
      router.run('nft', ['-f', '-'], `table inet wn_loss {\n  counter dropped { }\n  chain loss {\n    type filter hook forward priority 0; policy accept;\n    ${rule}\n  }\n}\n`);
      r.event(`nft forward chain in ${router.name}: ${rule}`);
      const cap = await r.startCapture(cli, { tool: 'dumpcap', iface: link.clientIf, filter: 'tcp port 8080' });
      const browser = await r.chromium(cli);
      await visit(browser.page, srv.url);
      r.event('page loaded, audio played, network quiet');
      await browser.page.evaluate(() => document.querySelector('audio')?.pause()).catch(() => undefined);
      await browser.close();
      r.event('browser closed');
      await sleep(700);
      await cap.stop();
      r.event('capture stopped');
      const dropped = Number(/packets (\d+)/.exec(router.run('nft', ['list', 'counter', 'inet', 'wn_loss', 'dropped']))![1]);
      router.run('nft', ['delete', 'table', 'inet', 'wn_loss']);
      r.event(`nft dropped ${dropped} server segments`);
      r.markProbe();
      r.probe(cli, srv, site);
      await srv.stop();
      return r.finish({
        summary,
        link: { kind: 'veth', namespaces: [cli.name, srvNs.name, router.name], mtu: link.mtu, family: 4, clientAddress: link.clientAddress, serverAddress: link.serverAddress, offloads: link.offloads },
        client: browser.facts,
        servers: [srv],
        site,
        pageUrl: srv.url,
        closes: [browserExit()],
        loss: { namespace: router.name, rule, dropped, beforeCapturePoint: true },
      });
    },
  },
  {
    name: 'pipelined-head',
    summary: 'three requests (GET /, HEAD /logo.jpg, GET /icon.jpg with Connection: close) written in one TCP segment by a raw Node socket to nginx on [::1]:8080; nginx answers in order and closes',
    build: async (r) => {
      const ns = r.ns();
      const site = makeSite(path.join(r.tmp, 'site'));
      const srv = await r.server(nginxServer(ns, { root: site.dir, address: '::1', port: 8080, confDir: path.join(r.tmp, 'nginx') }));
      const cap = await r.startCapture(ns, dumpcapLo('tcp port 8080'));
      const out = ns.run(process.execPath, [path.join(__dirname, 'clients', 'pipeline.js'), '--host', '::1', '--port', '8080']);
      const res = JSON.parse(out);
      r.event(`raw socket from port ${res.localPort} wrote ${res.requests.length} requests in one write (${res.bytesWritten} bytes), read ${res.bytesRead} bytes until the server closed`);
      await cap.stop();
      r.event('capture stopped');
      r.markProbe();
      r.probe(ns, srv, site);
      await srv.stop();
      return r.finish({
        summary: 'three requests (GET /, HEAD /logo.jpg, GET /icon.jpg with Connection: close) written in one TCP segment by a raw Node socket to nginx on [::1]:8080; nginx answers in order and closes',
        link: loopbackLink(ns, '::1'),
        client: { kind: 'script', software: 'node-net', version: process.version, userAgent: null, freshProfile: null, flags: [] },
        servers: [srv],
        site,
        pageUrl: srv.url,
        requestsOrdered: true,
        pipelined: { requests: res.requests, oneWrite: true, localPort: res.localPort },
        closes: [{ scope: 'the one connection', reason: 'connection-close-header', by: 'server', seconds: null, clientPorts: null, detail: 'the third request says Connection: close; nginx answers it with Connection: close and closes after it' }],
      });
    },
  },
  {
    name: 'mid-exchange-start',
    summary: 'the capture starts after the request for / left: the Node server holds its response until the capture runs, then sends it slowly; the assets follow normally; Chromium',
    build: (r) => {
      let nav: Promise<unknown> = Promise.resolve();
      return browserLab(r, {
        summary: 'the capture starts after the request for / left: the Node server holds its response until the capture runs, then sends it slowly; the assets follow normally; Chromium',
        site: { profile: { major: '信息安全', studentId: '2110925', name: '孙悦' } },
        server: (ns, root) => nodeSiteServer(ns, { root, address: '127.0.0.1', port: 3000, holdPage: true }),
        capture: () => dumpcapLo('tcp port 3000'),
        startCapture: 'after-load',
        load: async (c) => {
          nav = c.browser.page.goto(c.url, { waitUntil: 'load' });
          await c.srv.waitFor((e) => e.ev === 'holding', 15000);
          c.r.event('the server holds the response to GET / (request received)');
        },
        afterPage: async (c) => {
          c.srv.send('go');
          c.r.event('the server sends the page (in 4 pieces, 150 ms apart)');
          await nav;
          await c.browser.page.evaluate(async () => {
            const a = document.querySelector('audio');
            if (a) await a.play().catch(() => undefined);
          });
          await networkIdle(c.browser.page, 1200);
          c.r.event('page loaded, network quiet');
        },
        end: 'browser-exit',
        closes: () => [browserExit()],
        more: () => ({ startedAfter: 'the request for / was sent and received (the server held the response until the capture ran)' }),
      });
    },
  },
  {
    name: 'seek-ranges',
    summary: 'a 267 s audio (the intro 16 times, 1 MB) over a slow veth link (tbf rate 400 kbit/s on the server side); Chromium plays it and seeks three times by script (currentTime = 200, 100, 260, 2 s apart) → several Range requests, earlier ones abandoned; http-server on 10.77.0.2:8080',
    build: async (r) => {
      const summary = 'a 267 s audio (the intro 16 times, 1 MB) over a slow veth link (tbf rate 400 kbit/s on the server side); Chromium plays it and seeks three times by script (currentTime = 200, 100, 260, 2 s apart) → several Range requests, earlier ones abandoned; http-server on 10.77.0.2:8080';
      const cli = r.ns('cli');
      const srvNs = r.ns('srv');
      const link = vethBetween(cli, srvNs);
      const rate = 'tbf rate 400kbit burst 16kb latency 100ms';
      srvNs.run('tc', ['qdisc', 'add', 'dev', link.serverIf, 'root', ...rate.split(' ')]);
      r.event(`tc qdisc on ${link.serverIf}: ${rate}`);
      // 16 copies of the intro back to back: a valid CBR MP3 stream (no Xing header), 16 times as long — long enough
      // that a seek lands beyond what Chromium waits for on the running download (it then sends a new Range request).
      const intro = fs.readFileSync(path.join(SITE, 'intro.mp3'));
      const longAudio = path.join(r.tmp, 'long.mp3');
      fs.writeFileSync(longAudio, Buffer.concat(Array(16).fill(intro)));
      const site = makeSite(path.join(r.tmp, 'site'), { profile: { major: '数字媒体技术', studentId: '2115530', name: '周婷' }, audioFile: longAudio });
      const srv = await r.server(httpServer(srvNs, { root: site.dir, address: link.serverAddress, port: 8080, keepAliveSeconds: keepAliveLong }));
      const cap = await r.startCapture(cli, { tool: 'dumpcap', iface: link.clientIf, filter: 'tcp port 8080' });
      const browser = await r.chromium(cli);
      const page = browser.page;
      await page.goto(srv.url, { waitUntil: 'load' });
      await page.evaluate(() => document.querySelector('audio')!.play().catch(() => undefined));
      r.event('page loaded; audio playing');
      const seeks = [200, 100, 260];
      for (const t of seeks) {
        await sleep(2000);
        await page.evaluate((x) => {
          document.querySelector('audio')!.currentTime = x;
        }, t);
        r.event(`audio.currentTime = ${t}`);
      }
      await sleep(1500);
      await networkIdle(page, 1500, 30000);
      await page.evaluate(() => document.querySelector('audio')!.pause());
      r.event('audio paused, network quiet');
      const browserClosedAt = Date.now();
      await browser.close();
      r.event('browser closed');
      await sleep(700);
      await cap.stop();
      r.event('capture stopped');
      srvNs.run('tc', ['qdisc', 'del', 'dev', link.serverIf, 'root']);
      r.markProbe();
      r.probe(cli, srv, site);
      await srv.stop();
      const audio = srv.requests.filter((q) => q.uri === site.assets.find((a) => a.role === 'audio')!.uri);
      if (audio.filter((q) => q.range).length < 3) throw new Error(`only ${audio.length} audio requests (${JSON.stringify(audio)}): the seeks made too few Range requests`);
      return r.finish({
        summary,
        link: { kind: 'veth', namespaces: [cli.name, srvNs.name], mtu: link.mtu, family: 4, clientAddress: link.clientAddress, serverAddress: link.serverAddress, offloads: `${link.offloads}; tc qdisc add dev ${link.serverIf} root ${rate}` },
        client: browser.facts,
        servers: [srv],
        site,
        pageUrl: srv.url,
        closes: [
          ...earlyClientCloses(srv, browserClosedAt, 'after-seek'),
          browserExit(),
        ],
      });
    },
  },
  {
    name: 'orphan-response',
    from: 'python-http10',
    summary: 'python-http10 with the frame carrying "GET /" removed (editcap, by frame number): the page response has no captured request (HTTP/1.0: that connection carried nothing else)',
    build: async (r) => {
      const src = sourceOf(r, 'python-http10');
      const frame = tsharkFirst(src.file, 'http.request.method == "GET" && http.request.uri == "/"');
      const dst = path.join(r.outDir, 'orphan-response.pcapng');
      sh('editcap', [src.file, dst, String(frame)]);
      const f: ScenarioFacts = JSON.parse(JSON.stringify(src.facts));
      const page = f.requests.find((q) => q.method === 'GET' && q.uri === '/' && q.captured)!;
      page.captured = false;
      return writeDerived(r, f, {
        file: 'orphan-response.pcapng',
        summary: 'python-http10 with the frame carrying "GET /" removed (editcap, by frame number): the page response has no captured request (HTTP/1.0: that connection carried nothing else)',
        derivedFrom: { from: 'python-http10', how: 'drop-frames', frames: [frame], carried: 'the request GET / (one segment, as tshark shows it in the source)', duplicateFrame: null },
      });
    },
  },
  {
    name: 'duplicated-block',
    from: 'keepalive-timeout',
    summary: 'keepalive-timeout with the pcapng block of the page response (status line frame) written twice in a row: the same segment appears twice',
    build: async (r) => {
      const src = sourceOf(r, 'keepalive-timeout');
      const get = tsharkFirst(src.file, 'http.request.method == "GET" && http.request.uri == "/"');
      const frame = tsharkFirst(src.file, `frame.number > ${get} && tcp.stream == ${tsharkField(src.file, get, 'tcp.stream')} && tcp.payload[0:5] == 48:54:54:50:2f`);
      const dst = path.join(r.outDir, 'duplicated-block.pcapng');
      fs.writeFileSync(dst, duplicatePacketBlock(fs.readFileSync(src.file), frame));
      const f: ScenarioFacts = JSON.parse(JSON.stringify(src.facts));
      return writeDerived(r, f, {
        file: 'duplicated-block.pcapng',
        summary: 'keepalive-timeout with the pcapng block of the page response (status line frame) written twice in a row: the same segment appears twice',
        derivedFrom: { from: 'keepalive-timeout', how: 'duplicate-block', frames: [frame], carried: 'the first segment of the response to GET / (HTTP/1.1 200 OK)', duplicateFrame: frame + 1 },
      });
    },
  },
];

// ---------------------------------------------------------------- derived scenarios

function sourceOf(r: Run, name: string): { facts: ScenarioFacts; file: string } {
  const facts = JSON.parse(fs.readFileSync(path.join(r.outDir, `${name}.facts.json`), 'utf8')) as ScenarioFacts;
  return { facts, file: path.join(r.outDir, facts.capture.file) };
}

/** The first frame number tshark shows for a display filter (the builder locates what it rewrites; facts say so). */
function tsharkFirst(file: string, filter: string): number {
  const out = sh('tshark', ['-2', '-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).trim().split('\n')[0];
  if (!out) throw new Error(`no frame matches ${filter} in ${file}`);
  return Number(out);
}

function tsharkField(file: string, frame: number, field: string): string {
  return sh('tshark', ['-2', '-n', '-r', file, '-Y', `frame.number == ${frame}`, '-T', 'fields', '-e', field]).trim();
}

/** Copy the n-th packet block (EPB/SPB/PB, 1-based) of a pcapng file right after itself. */
export function duplicatePacketBlock(buf: Buffer, n: number): Buffer {
  let le = true;
  let off = 0;
  let count = 0;
  while (off + 12 <= buf.length) {
    let type = buf.readUInt32LE(off);
    if (type === 0x0a0d0d0a) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
    type = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    const len = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    if (len < 12 || off + len > buf.length) throw new Error(`bad block at ${off}`);
    if (type === 6 || type === 3 || type === 2) {
      count++;
      if (count === n) {
        const block = buf.subarray(off, off + len);
        return Buffer.concat([buf.subarray(0, off + len), block, buf.subarray(off + len)]);
      }
    }
    off += len;
  }
  throw new Error(`only ${count} packet blocks, no block ${n}`);
}

function writeDerived(r: Run, f: ScenarioFacts, o: { file: string; summary: string; derivedFrom: ScenarioFacts['derivedFrom'] }): ScenarioFacts {
  f.name = r.name;
  f.summary = o.summary;
  f.capture.file = o.file;
  f.derivedFrom = o.derivedFrom;
  f.timeline = [...f.timeline, { at: Date.now(), event: `${o.derivedFrom!.how} ${o.derivedFrom!.frames.join(',')} of ${o.derivedFrom!.from}: ${o.derivedFrom!.carried}` }];
  fs.chmodSync(path.join(r.outDir, o.file), 0o644);
  fs.writeFileSync(path.join(r.outDir, `${r.name}.facts.json`), JSON.stringify(f, null, 2) + '\n');
  r.log(`${r.name}: wrote ${o.file} (${fs.statSync(path.join(r.outDir, o.file)).size} bytes) and ${r.name}.facts.json`);
  return f;
}

// helpers kept for later scenarios
export type { RequestFact };
