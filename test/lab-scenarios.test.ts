/**
 * The report's statements on every scenario capture (test/scenarios), checked against what the
 * scenario itself did (its facts file, written by the builder from its own actions and the
 * servers' logs) and, for every frame a sentence names, against tshark.
 */
import * as fs from 'fs';
import * as path from 'path';
import { allTopics, analyzeCaptureFile, buildLab, CloseReason, labChecks, LabModel, teardowns, topicText, connectionRoles, keepAlive } from '../lib';
import { ScenarioFacts } from './scenarios/facts';
import { tsharkFrames, wrongCitations } from './support/citations';
import { tsharkAvailable } from './support/tshark';

const DIR = path.join(__dirname, 'scenarios', 'captures');
const scenarios = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.facts.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as ScenarioFacts)
  : [];

const labs = new Map<string, LabModel>();
async function lab(s: ScenarioFacts): Promise<LabModel> {
  let l = labs.get(s.name);
  if (!l) labs.set(s.name, (l = buildLab(await analyzeCaptureFile(path.join(DIR, s.capture.file)), s.capture.file)));
  return l;
}

/** What each close the scenario caused may be called in the model. */
const CLOSE_KINDS: Record<string, Array<CloseReason['kind']>> = {
  'http10-server-close': ['http10'],
  'connection-close-header': ['connection-close'],
  'keepalive-timeout': ['server-idle'],
  'browser-exit': ['client-exit'],
  'client-exit': ['client-done', 'client-exit'],
  'client-abort-after-seek': ['media-abort', 'client-abort'],
  // The browser closed a connection on its own, the page still open: an idle close, or one mid-response.
  'client-abort': ['client-idle', 'client-abort', 'media-abort'],
  'capture-stopped-first': ['not-captured'],
  'tls-rejected': [],
};

test('the corpus is there', () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(15);
});

describe.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  const server = s.servers[0];

  test('the lab is the conversation with the student’s page, found by content', async () => {
    const l = await lab(s);
    expect(l.scope.server).toEqual({ addr: server.address, port: server.port });
    expect(l.scope.client).toBe(s.link.clientAddress);
    const pageSeen = s.page && s.requests.some((r) => r.uri === s.page!.uri && r.port === server.port && r.captured);
    const pageResponseSeen = s.page && (pageSeen || s.name === 'mid-exchange-start' || s.name === 'orphan-response');
    if (pageResponseSeen && s.capture.snaplen < 1000) {
      // The page's text was cut away: the lab is found by the browser's requests, and nothing is claimed about the page.
      expect(['browser-page', 'browser-http', 'any-http']).toContain(l.scope.rule);
      expect(labChecks(l).identity.status).toBe('unknown');
    } else if (pageResponseSeen) {
      expect(l.scope.rule).toBe('profile-page');
      expect(l.page?.profile).toMatchObject(s.page!.profile);
      expect(labChecks(l).identity.status).toBe('pass');
    }
    // Nothing of another server is in the lab's connections.
    for (const c of l.connections) expect(`${c.orientation.server.addr}:${c.orientation.server.port}`).toBe(`${server.address}:${server.port}`);
  });

  test('the page’s assets by role, whatever their names', async () => {
    const l = await lab(s);
    if (!l.page) return;
    for (const a of s.assets) {
      const asked = s.requests.some((r) => r.uri === a.uri && r.captured && r.port === server.port);
      if (!asked) continue;
      const role = a.role;
      const mine = l.page.assets.find((x) => x.role === role);
      expect(`${role} ${mine?.target}`).toBe(`${role} ${a.uri}`);
      expect(mine!.display).toBe(a.decodedUri);
    }
    const hasIcon = s.page?.hasIconLink;
    expect(l.page.assets.some((x) => x.role === 'icon')).toBe(!!hasIcon);
  });

  test('every captured request is in the model, in the client’s order where the scenario fixed it', async () => {
    const l = await lab(s);
    const want = s.requests.filter((r) => r.captured && r.port === server.port).map((r) => `${r.method} ${r.uri}`);
    const got = l.exchanges.filter((e) => e.request).map((e) => `${e.request!.method} ${e.request!.uri}`);
    if (s.requestsOrdered) expect(got).toEqual(want);
    else expect([...got].sort()).toEqual([...want].sort());
    // Every captured response has the status the server logged for its request.
    for (const e of l.exchanges) {
      if (!e.request || !e.response) continue;
      const logged = s.requests.filter((r) => r.uri === e.request!.uri && r.method === e.request!.method && r.captured && r.port === server.port).map((r) => r.status);
      expect(logged).toContain(e.response.code);
    }
  });

  test('client and server named from what they sent', async () => {
    const l = await lab(s);
    // A snapshot length of 96 bytes cuts the User-Agent away: then nothing may be claimed.
    if (s.capture.snaplen < 1000) expect(l.client === undefined || l.client.kind === (s.client.kind === 'browser' ? 'browser' : 'tool')).toBe(true);
    else if (s.client.userAgent) expect(l.client?.kind).toBe(s.client.kind === 'browser' ? 'browser' : 'tool');
    else if (l.exchanges.some((e) => e.request)) expect(l.client).toBeUndefined();
    if (s.capture.snaplen >= 1000) expect(l.server.raw).toBe(server.serverHeader ?? undefined);
    if (l.exchanges.some((e) => e.response)) expect(l.versions.responses).toContain(`HTTP/${server.httpVersion}`);
    const t = topicText(allTopics(l));
    if (s.client.kind !== 'browser') expect(t).not.toMatch(/浏览器（|浏览器发出|浏览器在|浏览器请求|浏览器共|浏览器：/);
  });

  test('closes explained by the evidence the scenario produced', async () => {
    const l = await lab(s);
    const allowed = new Set(s.closes.flatMap((c) => CLOSE_KINDS[c.reason]));
    if (s.capture.stoppedBefore) allowed.add('not-captured');
    for (const c of l.connections) {
      const r = c.close.reason;
      // A client that closes while a response is unfinished gave up on it: the server's log must say the response was not completed.
      if (r.kind === 'media-abort' || r.kind === 'client-abort') {
        expect(s.requests.filter((q) => q.uri === r.exchange.request!.uri && q.captured).some((q) => q.complete === false)).toBe(true);
        continue;
      }
      expect(`connection ${c.stream}: ${r.kind}`).toMatch(new RegExp(`: (${[...allowed].join('|')})$`));
    }
    const ka = s.closes.find((c) => c.reason === 'keepalive-timeout');
    if (ka) {
      const idle = l.connections.filter((c) => c.close.reason.kind === 'server-idle');
      expect(idle.length).toBeGreaterThan(0);
      for (const c of idle) {
        const r = c.close.reason as Extract<CloseReason, { kind: 'server-idle' }>;
        // A connection that never carried a request got no Keep-Alive declaration to compare with.
        if (server.advertisesKeepAliveTimeout && !r.unused) expect(r.advertised).toBe(server.keepAliveTimeoutSeconds);
        if (r.unused) expect(r.advertised).toBeUndefined();
        expect(r.idle).toBeGreaterThanOrEqual(server.keepAliveTimeoutSeconds! - 0.05);
      }
      expect(c0(l).by).toBe('server');
    }
    const text = topicText([...teardowns(l, 100), ...keepAlive(l), ...connectionRoles(l)]);
    if (!ka) expect(text).not.toMatch(/按空闲超时关闭|服务器空闲超时/);
    if (!s.closes.some((c) => c.reason === 'client-abort-after-seek')) expect(text).not.toMatch(/跳转了进度/);
    if (server.httpVersion !== '1.0') expect(text).not.toMatch(/以 HTTP\/1\.0 回答/);
  });

  test('the capture itself: filter, snaplen, truncation, link', async () => {
    const l = await lab(s);
    const t = topicText(allTopics(l));
    if (s.capture.format === 'pcapng') expect(l.capture.interfaces[0].filter).toBe(s.capture.filter ?? undefined);
    else {
      expect(l.capture.filterRecorded).toBe(false);
      expect(t).toMatch(/未知（pcap 格式不记录）|文件里不记录捕获过滤器/);
      expect(t).not.toMatch(/本次抓包使用的捕获过滤器是/);
    }
    if (s.capture.snaplen < 1000) {
      expect(l.capture.truncated.frames).toBeGreaterThan(0);
      expect(t).toMatch(/被截断/);
    } else expect(l.capture.truncated.frames).toBe(0);
    expect(l.link.loopback).toBe(s.link.kind === 'loopback');
    if (s.link.kind !== 'loopback') expect(t).not.toMatch(/回环|同一台主机/);
    if (s.link.kind === 'veth') expect(l.link.mss.every((m) => m.impliedMtu === s.link.mtu)).toBe(true);
  });

  test('other traffic, refused connections and TLS attempts are named and kept out of the lab', async () => {
    const l = await lab(s);
    for (const o of s.otherTraffic) {
      if (o.kind === 'http') expect(l.other.tcp.some((g) => g.kind === 'http' && g.server.port === o.port && g.requests > 0)).toBe(true);
      else expect(l.other.packets.some((p) => p.dstPort === o.port || p.srcPort === o.port)).toBe(true);
    }
    for (const r of s.refused) expect(l.other.tcp.some((g) => g.kind === 'refused' && g.server.port === r.port)).toBe(true);
    for (const x of s.tls) if (x.clientHelloSent) expect(l.other.tcp.some((g) => (g.kind === 'tls-to-http' || g.kind === 'tls') && g.server.port === x.port)).toBe(true);
    if (!s.tls.length) expect(l.other.tcp.some((g) => g.kind === 'tls' || g.kind === 'tls-to-http')).toBe(false);
  });

  test('loss, pipelining and handshakes as the scenario made them', async () => {
    const l = await lab(s);
    if (s.loss && s.loss.dropped > 0) {
      // Every segment the router dropped was sent again: as a retransmission, or as an "out-of-order" segment filling its gap.
      const resent = l.connections.reduce((n, c) => n + c.loss.retransmissions.filter((f) => !c.loss.unneeded.includes(f)).length + c.loss.gapFills.length, 0);
      expect(resent).toBeGreaterThanOrEqual(s.loss.dropped);
    }
    if (!s.loss && !s.derivedFrom) for (const c of l.connections) expect(c.loss.gapFills).toEqual([]);
    if (s.derivedFrom?.how === 'duplicate-block') {
      const dup = s.derivedFrom.duplicateFrame!;
      const c = l.connections.find((x) => x.frames.some((f) => f.frame === dup))!;
      expect(c.loss.duplicateRecords.map((f) => f.frame)).toContain(dup);
      expect(c.loss.retransmissions.map((f) => f.frame)).not.toContain(dup);
    }
    if (s.pipelined) {
      const ex = l.exchanges.filter((e) => e.request);
      expect(ex.map((e) => `${e.request!.method} ${e.request!.uri}`)).toEqual(s.pipelined.requests.map((r) => r.split(' ').slice(0, 2).join(' ')));
      expect(ex.every((e) => e.response)).toBe(true);
      expect(ex.slice(1).every((e) => e.pipelined)).toBe(true);
      const head = ex.find((e) => e.request!.method === 'HEAD');
      if (head) expect(head.response!.bodyLength).toBe(0);
    }
    const opened = s.connections.filter((c) => c.port === server.port);
    const hs = labChecks(l).handshake.status;
    if (s.capture.startedAfter && opened.length && opened.every((c) => !c.handshakeCaptured)) expect(hs).toBe('fail');
    if (!s.capture.startedAfter && l.connections.length) expect(hs).toBe('pass');
  });

  const maybe = tsharkAvailable() ? test : test.skip;
  maybe('every frame a sentence names carries what the sentence says (tshark)', async () => {
    const l = await lab(s);
    const frames = tsharkFrames(path.join(DIR, s.capture.file), [...new Set(s.servers.map((x) => x.port))]);
    const blocks = allTopics(l);
    const cites = blocks.flatMap((b) => (b as { cites?: unknown[] }).cites ?? []);
    expect(cites.length).toBeGreaterThan(5);
    expect(wrongCitations(blocks, frames)).toEqual([]);
  });
});

function c0(l: LabModel) {
  return l.connections.find((c) => c.close.reason.kind === 'server-idle')!.close;
}
