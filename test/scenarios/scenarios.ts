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
  SiteSpec,
  sleep,
  visit,
  networkIdle,
} from './run';
import { routedBetween } from '../support/netns';

export interface ScenarioDef {
  name: string;
  summary: string;
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
  if (o.end === 'capture-first') {
    await c.cap!.stop();
    r.event('capture stopped (connections still open)');
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
    closes: o.closes(c),
    ...more,
  });
}

const dumpcapLo = (filter: string | null): CaptureSpec => ({ tool: 'dumpcap', iface: 'lo', filter });
const browserExit = (detail = 'the browser is closed at the end: it closes its remaining keep-alive connections together'): CloseFact => ({
  scope: 'lab connections still open at the end', reason: 'browser-exit', by: 'client', seconds: null, detail,
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
          { scope: 'every connection that carried a response', reason: 'http10-server-close', by: 'server', seconds: null, detail: 'SimpleHTTPRequestHandler speaks HTTP/1.0 and closes the connection right after each response (no keep-alive)' },
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
    name: 'https-mistakes',
    summary: 'Chromium first opens https://127.0.0.1:8080/ (TLS ClientHello to the HTTP server → 400), then https://127.0.0.1/ (closed port 443: SYN → RST), then the plain http://127.0.0.1:8080/',
    build: (r) => {
      let tlsUrl = '';
      let refusedUrl = '';
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
          }
        },
        end: 'browser-exit',
        closes: () => [
          { scope: 'the TLS attempts on port 8080', reason: 'tls-rejected', by: null, seconds: null, detail: "Node's HTTP parser rejects the ClientHello bytes: http-server answers 400 Bad Request and drops the connection; the browser sends a TLS alert and FIN, and which FIN comes first is a race (the server may also RST)" },
          browserExit(),
        ],
        more: () => ({
          tls: [
            { address: '127.0.0.1', port: 8080, answer: 'http 400', clientHelloSent: true, url: tlsUrl },
            { address: '127.0.0.1', port: 443, answer: 'refused', clientHelloSent: false, url: refusedUrl },
          ],
          refused: [{ address: '127.0.0.1', port: 443, family: 4, reason: 'closed port', by: `Chromium opening ${refusedUrl}` }],
        }),
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
        closes: [{ scope: 'the one connection', reason: 'client-exit', by: 'client', seconds: null, detail: 'curl closes its connection when it exits after the last response' }],
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
        closes: () => [{ scope: 'all lab connections', reason: 'capture-stopped-first', by: null, seconds: null, detail: 'the capture was stopped before any connection closed (keep-alive 30 s, browser still open)' }],
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
        closes: () => [{ scope: 'all lab connections', reason: 'keepalive-timeout', by: 'server', seconds: 5, detail: "Node's keepAliveTimeout (5 s) after the last response; a connection that never carried a request is closed by the server's 5.5 s socket timeout" }],
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
        closes: [{ scope: 'the one connection', reason: 'connection-close-header', by: 'server', seconds: null, detail: 'the third request says Connection: close; nginx answers it with Connection: close and closes after it' }],
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
];

// helpers kept for later scenarios
export type { RequestFact };
