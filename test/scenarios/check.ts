/**
 * Check a scenario's facts (facts.ts) against tshark and capinfos — never against wirenote — so the facts can be
 * trusted as the truth a report is asserted against. `checkFacts` returns the failed checks (empty: all true).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ScenarioFacts } from './facts';

interface Frame {
  no: number;
  stream: number | null;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  udpDport: number | null;
  flags: number;
  len: number;
  capLen: number;
  frameLen: number;
  payload: string;
  methods: string[];
  uris: string[];
  codes: number[];
  versions: string[];
  servers: string[];
  agents: string[];
  contentTypes: string[];
  contentLengths: number[];
  contentRanges: string[];
  /** response header lines as tshark shows them ("Name: value", no CRLF) */
  lines: string[];
  connection: string[];
  retrans: boolean;
  lost: boolean;
  iface: string;
  time: number;
  data: string;
}

const FIELDS = [
  'frame.number', 'tcp.stream', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.dstport', 'tcp.flags', 'tcp.len',
  'frame.cap_len', 'frame.len', 'tcp.payload', 'http.request.method', 'http.request.uri', 'http.response.code', 'http.response.version',
  'http.server', 'http.user_agent', 'http.content_type', 'http.content_length_header', 'http.response.line', 'http.connection',
  'tcp.analysis.retransmission', 'tcp.analysis.lost_segment', 'frame.interface_name', 'frame.time_epoch', 'http.file_data',
];

/** tshark's view of every frame (two-pass, every occurrence of a field joined with \u0001). */
function tsharkFrames(file: string, httpPorts: number[]): Frame[] {
  // Headers are dissected without waiting for the body: a response the client abandoned still shows its status line.
  const args = ['-2', '-n', '-o', 'tcp.reassemble_out_of_order:TRUE', '-o', 'http.desegment_body:FALSE', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=\u0001'];
  for (const p of httpPorts) args.push('-d', `tcp.port==${p},http`);
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const list = (s: string) => (s ? s.split('\u0001') : []);
  const num = (s: string) => (s === '' ? null : Number(s));
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const c = line.split('\t');
      const g = (name: string) => c[FIELDS.indexOf(name)] ?? '';
      return {
        no: Number(g('frame.number')), stream: num(g('tcp.stream')), src: g('ip.src') || g('ipv6.src'), dst: g('ip.dst') || g('ipv6.dst'),
        sport: num(g('tcp.srcport')), dport: num(g('tcp.dstport')), udpDport: num(g('udp.dstport')), flags: g('tcp.flags') ? parseInt(g('tcp.flags'), 16) : 0,
        len: Number(g('tcp.len') || 0), capLen: Number(g('frame.cap_len')), frameLen: Number(g('frame.len')), payload: g('tcp.payload'),
        methods: list(g('http.request.method')), uris: list(g('http.request.uri')), codes: list(g('http.response.code')).map(Number),
        versions: list(g('http.response.version')), servers: list(g('http.server')), agents: list(g('http.user_agent')),
        contentTypes: list(g('http.content_type')), contentLengths: list(g('http.content_length_header')).map(Number), contentRanges: list(g('http.response.line')).filter((l) => /^content-range:/i.test(l)).map((l) => l.replace(/\\r\\n$|\s+$/g, '')),
        lines: list(g('http.response.line')).map((l) => l.replace(/\\r\\n$|\s+$/g, '')),
        connection: list(g('http.connection')), retrans: g('tcp.analysis.retransmission') !== '', lost: g('tcp.analysis.lost_segment') !== '', iface: g('frame.interface_name'), time: Number(g('frame.time_epoch')),
        data: g('http.file_data'),
      };
    });
}

const SYN = 0x02;
const RST = 0x04;
const FIN = 0x01;
const ACK = 0x10;

/** The HTTP bodies tshark reassembles and decodes (tshark --export-objects http), as UTF-8 text. */
function exportedBodies(file: string, httpPorts: number[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wn-objects-'));
  try {
    const args = ['-2', '-n', '-o', 'tcp.reassemble_out_of_order:TRUE', '-r', file, '-q', '--export-objects', `http,${dir}`];
    for (const p of httpPorts) args.push('-d', `tcp.port==${p},http`);
    spawnSync('tshark', args, { encoding: 'utf8' });
    return fs.readdirSync(dir).map((n) => fs.readFileSync(path.join(dir, n), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The responses in one TCP stream, read from tshark's reassembled server byte stream (`-z follow,tcp,raw`) with the
 * message-length rules of RFC 9112 §6.3 (HEAD, 1xx, 204 and 304 have no body; else Content-Length). Used where
 * tshark 4.0's own HTTP dissection is known to be wrong: a HEAD response followed by a pipelined response (it takes
 * the HEAD's Content-Length as a body and swallows the next response).
 */
function followedResponses(file: string, stream: number, methods: string[]): Frame[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', `follow,tcp,raw,${stream}`], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const hex = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => l.trim())
    .join('');
  const bytes = Buffer.from(hex, 'hex');
  const out: Frame[] = [];
  let at = 0;
  for (const method of methods) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})/.exec(head[0]);
    if (!m) break;
    const h = (name: string) => head.slice(1).filter((l) => l.toLowerCase().startsWith(name + ':')).map((l) => l.slice(name.length + 1).trim());
    const code = Number(m[2]);
    const len = Number(h('content-length')[0] ?? 0);
    const bodyless = method === 'HEAD' || code === 204 || code === 304 || code < 200;
    out.push({
      no: 0, stream, src: '', dst: '', sport: null, dport: null, udpDport: null, flags: 0, len: 0, capLen: 0, frameLen: 0, payload: '', methods: [], uris: [],
      codes: [code], versions: [`HTTP/${m[1]}`], servers: h('server'), agents: [], contentTypes: h('content-type'), contentLengths: h('content-length').map(Number),
      contentRanges: h('content-range').map((v) => `Content-Range: ${v}`), lines: head.slice(1), connection: h('connection'), retrans: false, lost: false, iface: '', time: 0, data: '',
    });
    at = end + 4 + (bodyless ? 0 : len);
  }
  return out;
}

function capinfos(file: string): string {
  return spawnSync('capinfos', [file], { encoding: 'utf8' }).stdout;
}

const LINKTYPE_NAMES: Record<string, string> = { EN10MB: 'Ethernet', LINUX_SLL: 'Linux cooked-mode capture v1', LINUX_SLL2: 'Linux cooked-mode capture v2' };

/** Every check of one scenario's facts against tshark. Returns the failures (empty = the facts are true). */
export function checkFacts(dir: string, f: ScenarioFacts): string[] {
  const bad: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) bad.push(what);
  };
  const file = path.join(dir, f.capture.file);
  expect(fs.existsSync(file), `${f.capture.file} exists`);
  if (!fs.existsSync(file)) return bad;

  // --- the file and its metadata
  const magic = fs.readFileSync(file).subarray(0, 4).toString('hex');
  expect(f.capture.format === 'pcapng' ? magic === '0a0d0d0a' : ['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d'].includes(magic), `format ${f.capture.format} (magic ${magic})`);
  const info = capinfos(file);
  expect(info.includes(`File encapsulation:  ${LINKTYPE_NAMES[f.capture.linkType] ?? f.capture.linkType}`), `link type ${f.capture.linkType}`);
  if (f.capture.format === 'pcapng') {
    expect(new RegExp(`^\\s+Name = ${f.capture.interface}$`, 'm').test(info), `pcapng interface name ${f.capture.interface}`);
    const filt = /^\s+Filter string = (.*)$/m.exec(info);
    expect(f.capture.filter === null ? !filt : !!filt && filt[1] === f.capture.filter, `pcapng if_filter ${JSON.stringify(f.capture.filter)} (file: ${filt && filt[1]})`);
    expect(new RegExp(`^\\s+Capture length = ${f.capture.snaplen}$`, 'm').test(info), `pcapng snaplen ${f.capture.snaplen}`);
  } else {
    expect(info.includes(`Packet size limit:   file hdr: ${f.capture.snaplen} bytes`), `pcap header snaplen ${f.capture.snaplen}`);
  }

  expect(f.capture.dropped === 0, `the capture tool dropped no packets (${f.capture.dropped})`);
  const lab = f.servers[0];
  const ports = f.servers.map((s) => s.port);
  const frames = tsharkFrames(file, ports);
  expect(frames.length > 0, 'the capture has frames');
  expect(frames.every((x) => x.capLen <= f.capture.snaplen), `no frame longer than snaplen ${f.capture.snaplen}`);
  if (f.capture.snaplen < 262144) expect(frames.some((x) => x.capLen < x.frameLen), 'snaplen truncated some frames');
  else expect(frames.every((x) => x.capLen === x.frameLen), 'no frame truncated');
  if (f.capture.filter === null && f.otherTraffic.some((o) => o.kind === 'udp')) expect(frames.some((x) => x.udpDport !== null), 'unfiltered capture holds UDP');

  // --- requests the servers logged: each captured one is in tshark's request lines, in order (per port)
  const reqFrames = frames.flatMap((x) => x.methods.map((m, i) => ({ frame: x, method: m, uri: x.uris[i], port: x.dport })));
  for (const port of ports) {
    const want = f.requests.filter((q) => q.captured && q.port === port).map((q) => `${q.method} ${q.uri}`);
    const seen = reqFrames.filter((q) => q.port === port).map((q) => `${q.method} ${q.uri}`);
    if (f.requestsOrdered) expect(JSON.stringify(seen) === JSON.stringify(want), `requests to ${port} in order: want ${want} / tshark ${seen}`);
    else {
      // The browser's order between connections is its own; the multiset must match exactly.
      expect(JSON.stringify([...seen].sort()) === JSON.stringify([...want].sort()), `requests to ${port}: want ${[...want].sort()} / tshark ${[...seen].sort()}`);
    }
    const notCaptured = f.requests.filter((q) => !q.captured && q.port === port).length;
    if (notCaptured && !f.derivedFrom) expect(f.capture.startedAfter !== null, `requests before the capture are explained by startedAfter`);
  }
  // The responses tshark dissects (by port); in a pipelined stream, those read from its byte stream instead.
  let responses = frames.filter((x) => x.codes.length);
  if (f.pipelined) {
    const first = frames.find((x) => x.sport === f.pipelined!.localPort || x.dport === f.pipelined!.localPort);
    expect(!!first, 'the pipelined connection is in the capture');
    if (first) {
      const one = frames.filter((x) => x.stream === first.stream && x.methods.length);
      expect(one.length === 1 && JSON.stringify(one[0].methods.map((m, i) => `${m} ${one[0].uris[i]}`)) === JSON.stringify(f.pipelined.requests.map((l) => l.replace(/ HTTP\/1\.1$/, ''))), `the ${f.pipelined.requests.length} pipelined requests are in one frame (tshark: ${one.map((x) => x.methods)})`);
      const port = first.sport === f.pipelined.localPort ? first.dport : first.sport;
      const mine = followedResponses(file, first.stream!, f.pipelined.requests.map((l) => l.split(' ')[0])).map((x) => ({ ...x, sport: port }));
      expect(mine.length === f.pipelined.requests.length, `one response per pipelined request in the stream (${mine.length})`);
      responses = [...responses.filter((x) => x.stream !== first.stream), ...mine];
    }
  }
  // Status codes of captured requests (as a multiset) are among tshark's response codes from that port.
  for (const port of ports) {
    const codes = responses.filter((x) => x.sport === port).flatMap((x) => x.codes);
    // A response the client abandoned may never have left the server's buffer: only finished ones must be there.
    const want = f.requests.filter((q) => q.captured && q.port === port && q.status !== null && q.complete !== false).map((q) => q.status!);
    const pool = [...codes];
    for (const w of want) {
      const i = pool.indexOf(w);
      expect(i >= 0, `status ${w} from port ${port} is in tshark's responses (${codes})`);
      if (i >= 0) pool.splice(i, 1);
    }
  }

  // --- who talks: the lab server's status-line version and Server header, the client's User-Agent
  const labResponses = responses.filter((x) => x.sport === lab.port);
  const labRequests = frames.filter((x) => x.dport === lab.port && x.methods.length);
  if (labResponses.length && f.capture.snaplen >= 1500) {
    expect(labResponses.every((x) => x.versions.every((v) => v === `HTTP/${lab.httpVersion}`)), `lab server speaks HTTP/${lab.httpVersion}`);
    expect(labResponses.every((x) => (lab.serverHeader === null ? x.servers.length === 0 : x.servers.every((s) => s === lab.serverHeader))), `Server header ${lab.serverHeader}`);
    expect(labRequests.every((x) => x.agents.every((a) => a === f.client.userAgent)), `User-Agent ${f.client.userAgent}`);
  }

  // --- the lab server's headers are what its facts say
  if (labResponses.length && f.capture.snaplen >= 1500) {
    const header = (x: Frame, name: string) => x.lines.filter((l) => l.toLowerCase().startsWith(name + ':')).map((l) => l.slice(name.length + 1).trim());
    const ok = labResponses.filter((x) => x.codes.some((c) => c === 200 || c === 206));
    const validators = ok.some((x) => header(x, 'etag').length || header(x, 'last-modified').length);
    expect(validators === lab.conditional, `server sends ETag/Last-Modified: ${lab.conditional}`);
    const ka = labResponses.flatMap((x) => header(x, 'keep-alive'));
    expect(lab.advertisesKeepAliveTimeout ? ka.length > 0 && ka.every((v) => v === `timeout=${lab.keepAliveTimeoutSeconds}`) : ka.length === 0, `Keep-Alive header: ${lab.advertisesKeepAliveTimeout ? `timeout=${lab.keepAliveTimeoutSeconds}` : 'none'} (tshark: ${ka})`);
    const cc = [...new Set(ok.flatMap((x) => header(x, 'cache-control')))];
    expect(lab.cacheControl === null ? cc.length === 0 : cc.length === 1 && cc[0] === lab.cacheControl, `Cache-Control ${lab.cacheControl} (tshark: ${cc})`);
    const ranged = f.requests.filter((q) => q.captured && q.port === lab.port && q.range && q.complete !== false && q.status !== null);
    for (const q of ranged) expect(q.status === (lab.ranges ? 206 : 200), `Range ${q.range} answered ${lab.ranges ? 206 : 200} (log: ${q.status})`);
    if (lab.page && f.page) {
      const pageResp = ok.filter((x) => header(x, 'content-type').some((t) => t.startsWith('text/html')));
      expect(pageResp.length > 0, 'the page response is there');
      const enc = pageResp.flatMap((x) => header(x, 'content-encoding'));
      const te = pageResp.flatMap((x) => header(x, 'transfer-encoding'));
      expect(JSON.stringify(enc) === JSON.stringify(lab.page.contentEncoding ? pageResp.map(() => lab.page!.contentEncoding) : []), `page Content-Encoding ${lab.page.contentEncoding} (tshark: ${enc})`);
      expect(JSON.stringify(te) === JSON.stringify(lab.page.transferEncoding ? pageResp.map(() => lab.page!.transferEncoding) : []), `page Transfer-Encoding ${lab.page.transferEncoding} (tshark: ${te})`);
    }
  }

  // --- the page: a body tshark exports (dechunked, decoded) holds the profile; the icon link as the facts say
  if (f.page && f.capture.snaplen >= 1500) {
    const text = exportedBodies(file, ports).find((t) => t.includes('专业：'));
    expect(!!text, 'an HTTP body tshark exports holds the page (专业：)');
    if (text) {
      expect(text.includes(`专业：${f.page.profile.major}`) && text.includes(`学号：${f.page.profile.studentId}`) && text.includes(`姓名：${f.page.profile.name}`), `page shows ${JSON.stringify(f.page.profile)}`);
      expect(/<link rel="[^"]*icon/.test(text) === f.page.hasIconLink, `page has icon link: ${f.page.hasIconLink}`);
    }
  }

  // --- assets: each requested one was answered with its content type and size
  if (f.capture.snaplen >= 1500)
    for (const a of f.assets) {
      const asked = f.requests.filter((q) => q.captured && q.uri === a.uri && q.port === lab.port);
      if (!asked.length) continue;
      const resp = responses.filter((x) => x.sport === lab.port && x.contentTypes.length);
      if (a.status === 404) {
        expect(responses.some((x) => x.sport === lab.port && x.codes.includes(404)), `${a.uri} answered 404`);
        continue;
      }
      const typed = resp.filter((x) => x.contentTypes.includes(a.contentType!));
      const sized = typed.some((x) => x.contentLengths.includes(a.size!) || x.contentRanges.some((cr) => cr.endsWith(`/${a.size}`)));
      expect(sized, `${a.role} ${a.uri}: a response with ${a.contentType} and size ${a.size}`);
    }

  // --- connections the server logged: handshake and close captured as the facts say, first FIN by closedBy
  const streams = new Map<number, Frame[]>();
  for (const x of frames) if (x.stream !== null) (streams.get(x.stream) ?? streams.set(x.stream, []).get(x.stream)!).push(x);
  const streamOf = (remotePort: number, port: number) => [...streams.values()].find((s) => s.some((x) => (x.sport === remotePort && x.dport === port) || (x.dport === remotePort && x.sport === port)));
  for (const c of f.connections) {
    const s = streamOf(c.remote.port, c.port);
    if (!s) {
      expect(!c.handshakeCaptured && !c.closeCaptured && c.openedAt > 0, `connection from ${c.remote.port} absent only if wholly outside the capture`);
      continue;
    }
    const syn = s.some((x) => x.flags & SYN && !(x.flags & ACK) && x.sport === c.remote.port);
    expect(syn === c.handshakeCaptured, `connection ${c.remote.port}: SYN captured ${c.handshakeCaptured} (tshark: ${syn})`);
    const firstEnd = s.find((x) => x.flags & (FIN | RST));
    expect(!!firstEnd === c.closeCaptured, `connection ${c.remote.port}: close captured ${c.closeCaptured} (tshark: ${!!firstEnd})`);
    if (firstEnd && c.closedBy) expect((firstEnd.sport === c.port ? 'server' : 'client') === c.closedBy, `connection ${c.remote.port}: first FIN/RST by ${c.closedBy} (tshark: frame ${firstEnd.no} from ${firstEnd.sport})`);
  }

  // --- close design, per lab connection: the close facts that name its client port, else the general ones
  const labStreams = [...streams.values()].filter((s) => s.some((x) => x.sport === lab.port || x.dport === lab.port));
  const general = f.closes.filter((c) => !c.clientPorts);
  for (const c of f.closes) if (c.reason === 'keepalive-timeout') expect(typeof c.seconds === 'number' && c.seconds > 0, 'a keep-alive timeout has its seconds');
  const closingResponses = responses.filter((x) => x.sport === lab.port && x.connection.some((v) => v.toLowerCase() === 'close'));
  if (f.closes.some((c) => c.reason === 'connection-close-header')) expect(closingResponses.length > 0, 'a response says Connection: close');
  for (const s of labStreams) {
    const id = `stream ${s[0].stream}`;
    const clientPort = s[0].sport === lab.port ? s[0].dport : s[0].sport;
    const named = f.closes.filter((c) => c.clientPorts?.includes(clientPort!));
    const cover = named.length ? named : general;
    const e = s.find((x) => x.flags & (FIN | RST));
    const fin = s.find((x) => x.flags & FIN);
    const reasons = cover.map((c) => c.reason);
    if (!e) {
      expect(reasons.includes('capture-stopped-first') || !!f.derivedFrom, `${id} never closes: its close facts must say the capture stopped first (${reasons})`);
      continue;
    }
    const side = e.sport === lab.port ? 'server' : 'client';
    // A close fact allows the side it names (null: either side, a race).
    expect(cover.some((c) => c.reason !== 'capture-stopped-first' && (c.by === null || c.by === side)), `${id}: the ${side} closes first (frame ${e.no}) — allowed by ${reasons}`);
    if (reasons.length === 1 && reasons[0] === 'capture-stopped-first') expect(false, `${id} closes (frame ${e.no}) though the capture should have stopped first`);
    const lastServerData = [...s].reverse().find((x) => x.len > 0 && x.sport === lab.port && (!fin || x.no <= fin.no));
    for (const c of cover) {
      if (c.reason === 'http10-server-close' && s.some((x) => x.codes.length)) {
        expect(s.filter((x) => x.methods.length).length <= 1, `${id}: one request per HTTP/1.0 connection`);
        expect(!!fin && !!lastServerData && fin.time - lastServerData.time < 1, `${id}: closed right after the response`);
      }
      if (c.reason === 'keepalive-timeout' && cover.length === 1) {
        expect(side === 'server', `${id}: the server closes (keep-alive timeout)`);
        const lastData = [...s].reverse().find((x) => x.len > 0 && x.no < (fin ? fin.no : Infinity));
        if (fin && lastData && c.seconds) {
          const idle = fin.time - lastData.time;
          expect(idle >= c.seconds - 0.2 && idle <= c.seconds + 1.5, `${id}: idle ${idle.toFixed(2)} s before the FIN ≈ ${c.seconds} s`);
        }
      }
      if (c.reason === 'connection-close-header' && closingResponses.some((x) => x.stream === s[0].stream))
        expect(side === 'server' && !!lastServerData && e.time - lastServerData.time < 1, `${id}: the server closes right after its Connection: close response`);
      if ((c.reason === 'client-exit' || c.reason === 'client-abort' || c.reason === 'client-abort-after-seek') && cover.length === 1)
        expect(side === 'client', `${id}: the client closes first (${c.reason})`);
    }
  }

  // --- refused connections: SYN to the port, RST back, no payload
  for (const rf of f.refused) {
    const syns = frames.filter((x) => x.dport === rf.port && x.flags & SYN && !(x.flags & ACK) && x.dst === rf.address);
    const rsts = frames.filter((x) => x.sport === rf.port && x.flags & RST && x.src === rf.address);
    expect(syns.length > 0 && rsts.length > 0, `refused ${rf.address}:${rf.port}: SYN (${syns.length}) answered by RST (${rsts.length})`);
    expect(frames.every((x) => !(x.dport === rf.port && x.len > 0)), `no byte sent to the closed port ${rf.port}`);
  }
  // --- TLS attempts: a ClientHello (record 0x16, handshake type 1) on the port, or none at all
  for (const t of f.tls) {
    const hellos = frames.filter((x) => x.dport === t.port && /^1603..[0-9a-f]{4}01/.test(x.payload));
    expect((hellos.length > 0) === t.clientHelloSent, `TLS ClientHello to ${t.port}: ${t.clientHelloSent} (tshark: ${hellos.length})`);
    if (t.connections !== null) expect(hellos.length === t.connections, `one ClientHello per logged connection: ${t.connections} (tshark: ${hellos.length})`);
    if (t.answer === 'http 400') {
      const answered = hellos.every((h) => frames.some((x) => x.stream === h.stream && x.sport === t.port && /^485454502f312e3120343030/.test(x.payload)));
      expect(answered, `each ClientHello to ${t.port} answered by "HTTP/1.1 400"`);
    }
  }

  // --- other traffic
  for (const o of f.otherTraffic) {
    if (o.kind === 'udp') {
      const n = frames.filter((x) => x.udpDport === o.port && x.dst === o.address).length;
      expect(n === o.count, `${o.count} UDP datagrams to ${o.port} (tshark: ${n})`);
    } else {
      const n = reqFrames.filter((q) => q.port === o.port).length;
      expect(n === o.count, `${o.count} HTTP requests to ${o.port} (tshark: ${n})`);
      const first = reqFrames[0];
      if (o.startedBeforePage) expect(!!first && first.port === o.port, `the first request in the file goes to the other server ${o.port}`);
    }
  }

  // --- loss: what nft dropped before the capture point shows as retransmissions
  if (f.loss) {
    const re = frames.filter((x) => x.retrans).length;
    const gaps = frames.filter((x) => x.lost).length;
    expect(f.loss.dropped > 0, 'the nft rule dropped packets');
    // Each drop before the capture point leaves a gap (adjacent drops share one); each gap is repaired.
    expect(gaps >= 1 && gaps <= f.loss.dropped, `gaps in the capture: 1..${f.loss.dropped} (tshark: ${gaps})`);
    expect(re >= 1, `retransmissions in the capture (tshark: ${re})`);
  }

  // --- a derived capture: the rewrite is what the facts say
  if (f.derivedFrom?.how === 'duplicate-block') {
    const [orig, dup] = [frames[f.derivedFrom.duplicateFrame! - 2], frames[f.derivedFrom.duplicateFrame! - 1]];
    expect(!!orig && !!dup && orig.payload === dup.payload && orig.payload !== '' && orig.sport === dup.sport && orig.time === dup.time, `frame ${f.derivedFrom.duplicateFrame} repeats frame ${f.derivedFrom.frames[0]}`);
    expect(!!dup && dup.retrans, `tshark calls the duplicate frame ${f.derivedFrom.duplicateFrame} a retransmission`);
  }

  // --- link: addresses and the capture interface
  const labFrames = frames.filter((x) => x.sport === lab.port || x.dport === lab.port);
  expect(
    labFrames.every((x) => (x.sport === lab.port ? x.src === f.link.serverAddress && x.dst === f.link.clientAddress : x.src === f.link.clientAddress && x.dst === f.link.serverAddress)),
    `lab traffic from ${f.link.clientAddress} to ${f.link.serverAddress}:${lab.port}`,
  );
  expect(labFrames.every((x) => (x.sport === lab.port ? x.src : x.dst) === lab.address), `the lab server answers from ${lab.address}`);
  if (f.capture.format === 'pcapng') expect(frames.every((x) => x.iface === f.capture.interface || f.capture.interface === 'any'), `frames on interface ${f.capture.interface}`);
  if (f.link.kind === 'veth') expect(labFrames.every((x) => x.frameLen <= f.link.mtu + 14), `no frame above MTU ${f.link.mtu} + Ethernet header`);

  return bad;
}

