/**
 * The lab model: everything the report says about a capture, derived once from the analysis and
 * each fact with the frames it came from. Built in time linear in the capture (maps by stream and
 * frame, no search per item). The narrative and the checklist read only this.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCaptureFile, CaptureAnalysis, Connection, TcpFrame } from '../analysis';
import { TSHARK_HTTP_PORTS } from '../http/analyzer';
import { collectGarbage } from '../util/memory';
import { ClientAgent, clientAgent, ServerAgent, serverAgent } from './agents';
import { CaptureFacts, captureFacts, LinkFacts, linkFacts } from './capture';
import { activeSpan, CloseFacts, closeContext, closeFacts, CloseInput, ConnectionRole, overlaps } from './connections';
import { header, LabExchange, labMessages, pairConnection, pduFrames } from './http';
import { buildPage, isHtmlResponse, Page, PageCandidate, readCandidate } from './page';
import { ScopeScan, scanForScope } from './scan';
import { chooseScope, classifyConnection, ConnectionClass, LabScope, nameOtherPackets, OtherTcpGroup, OtherTraffic, senderOf } from './traffic';
import { AckFacts, ackFacts, Endpoint, Handshake, handshakeOf, LossFacts, lossFacts, orient, Orientation, sideOf, Teardown, teardownOf } from './tcp';

export interface LabConnection {
  stream: number;
  conn: Connection;
  orientation: Orientation;
  frames: TcpFrame[];
  handshake: Handshake;
  teardown: Teardown;
  close: CloseFacts;
  /** How the client acknowledged the server's data. */
  acks: AckFacts;
  loss: LossFacts;
  exchanges: LabExchange[];
  role: ConnectionRole;
  /** Seconds since capture start: the SYN (or the first captured frame when the SYN is not in the capture). */
  opened: number;
  /** From the first request to the last response, when it carried any. */
  span?: { from: number; to: number };
  /** Lab connections in use at the same time as this one. */
  parallelWith: number[];
  /** Payload bytes each way (what TCP carried, retransmissions included). */
  bytes: { client: number; server: number };
}

export interface LabCounts {
  requests: number;
  responses: number;
  /** Requests whose response was captured. */
  answered: number;
  /** Responses whose request was not captured (the capture started after it was sent). */
  orphanResponses: number;
  /** Requests without a captured response. */
  unanswered: number;
  /** Messages seen only by their start line (cut by the snapshot length, or never completed). */
  partial: number;
  pipelined: number;
  /** Responses Wireshark 4.0 pairs with another request than HTTP does. */
  wiresharkDiffers: number;
  byStatus: Array<[number, number]>;
  connections: number;
  usedConnections: number;
  frames: number;
}

export interface LabModel {
  analysis: CaptureAnalysis;
  capture: CaptureFacts;
  scope: LabScope;
  /** The student's page (the one stating 专业/学号/姓名), or the first browser page when none does. */
  page?: Page;
  /** HTML pages read that state none of 专业/学号/姓名 (e.g. another server's pages). */
  pagesWithoutProfile: number;
  client?: ClientAgent;
  server: ServerAgent;
  versions: { requests: string[]; responses: string[] };
  connections: LabConnection[];
  /** The lab's exchanges, in the order they began. */
  exchanges: LabExchange[];
  counts: LabCounts;
  other: OtherTraffic;
  link: LinkFacts;
  /** Every TCP frame by number (lab and other). */
  frame(n: number): TcpFrame | undefined;
  connection(stream: number): LabConnection | undefined;
}

/** HTML responses read while looking for the page; a capture with more (a crawl) is not a lab. */
export const MAX_PAGES_READ = 200;

export function buildLab(a: CaptureAnalysis, source = ''): LabModel {
  const byFrame = new Map<number, TcpFrame>();
  const framesOf = new Map<number, TcpFrame[]>();
  for (const f of a.frames) {
    byFrame.set(f.frame, f);
    const l = framesOf.get(f.stream);
    if (l) l.push(f);
    else framesOf.set(f.stream, [f]);
  }
  const pdus = pduFrames(a.frames);
  const messages = labMessages(a, byFrame, pdus);
  const exchangesOf = new Map<number, LabExchange[]>();
  for (const [stream, ms] of messages) exchangesOf.set(stream, pairConnection(ms));

  const orientations = new Map<number, Orientation>();
  const classes = new Map<number, ConnectionClass>();
  for (const c of a.connections) {
    const frames = framesOf.get(c.stream) ?? [];
    const exs = exchangesOf.get(c.stream) ?? [];
    const firstReq = exs.find((e) => e.request)?.request;
    const o = orient(c, frames, firstReq ? senderOf(firstReq.frames[0], byFrame) : undefined, TSHARK_HTTP_PORTS);
    orientations.set(c.stream, o);
    classes.set(c.stream, classifyConnection(c, o, frames, exs));
  }

  // The page by its content: the first HTML response that states at least two of 专业/学号/姓名.
  const all = [...exchangesOf.values()].flat().sort((x, y) => firstFrameOf(x) - firstFrameOf(y));
  let profile: PageCandidate | undefined;
  let firstHtml: PageCandidate | undefined;
  let without = 0;
  let read = 0;
  for (const ex of all) {
    if (read >= MAX_PAGES_READ || !isHtmlResponse(ex)) continue;
    read++;
    const c = readCandidate(ex);
    if (!c) continue;
    if (c.fields >= 2) {
      profile = c;
      break;
    }
    without++;
    firstHtml ??= c;
  }
  const scope = chooseScope(all, (s) => orientations.get(s), profile?.exchange);

  const inLab = (c: Connection) => {
    const o = orientations.get(c.stream)!;
    const k = classes.get(c.stream)!.kind;
    return !!scope.server && o.server.addr === scope.server.addr && o.server.port === scope.server.port && o.client.addr === scope.client && k !== 'tls' && k !== 'tls-to-http' && k !== 'refused';
  };
  const labConns = a.connections.filter(inLab);
  const labExchanges = labConns.flatMap((c) => exchangesOf.get(c.stream) ?? []).sort((x, y) => firstFrameOf(x) - firstFrameOf(y));
  const serverHost = scope.server ? (scope.server.addr.includes(':') ? `[${scope.server.addr}]:${scope.server.port}` : `${scope.server.addr}:${scope.server.port}`) : '';
  const pageCandidate = profile ?? (scope.rule === 'browser-page' && firstHtml && firstHtml.exchange === scope.decidedBy ? firstHtml : scope.rule === 'browser-page' ? readCandidate(scope.decidedBy!) : undefined);
  const page = pageCandidate ? buildPage(pageCandidate, labExchanges, serverHost) : undefined;

  const client = clientAgent(firstHeader(labExchanges, 'request', 'user-agent'), firstHeader(labExchanges, 'request', 'sec-ch-ua'));
  const server = serverAgent(firstHeader(labExchanges, 'response', 'server'), firstHeader(labExchanges, 'response', 'x-powered-by'));

  // Per connection: TCP facts, then roles and closes, which look across connections.
  // A browser starts reading a page with its first bytes (a chunked page arrives over a while).
  const pageArrived = page?.exchange.response?.start;
  const inputs: Array<CloseInput & { lc: Omit<LabConnection, 'close' | 'parallelWith'> }> = labConns.map((conn) => {
    const frames = framesOf.get(conn.stream) ?? [];
    const o = orientations.get(conn.stream)!;
    const exchanges = exchangesOf.get(conn.stream) ?? [];
    const handshake = handshakeOf(o, frames);
    const teardown = teardownOf(o, frames);
    const opened = (handshake.syn ?? frames[0])?.time ?? 0;
    const requests = exchanges.filter((e) => e.request).length;
    let role: ConnectionRole;
    if (page && exchanges.includes(page.exchange)) role = 'page';
    else if (page && pageArrived !== undefined && handshake.syn && opened < pageArrived) role = requests ? 'preconnect-used' : 'preconnect-unused';
    else if (requests) role = !handshake.syn ? 'existing' : page ? 'resources' : 'requests';
    else role = 'unused';
    const bytes = { client: 0, server: 0 };
    for (const f of frames) bytes[sideOf(o, f)] += f.len;
    const lc = { stream: conn.stream, conn, orientation: o, frames, handshake, teardown, acks: ackFacts(o, frames, 'client'), loss: lossFacts(frames), exchanges, role, opened, span: activeSpan(exchanges), bytes };
    return { stream: conn.stream, orientation: o, frames, teardown, exchanges, tool: client?.kind === 'tool', lc };
  });
  const mediaTargets = new Set((page?.assets ?? []).filter((x) => x.role === 'audio' || x.role === 'media').flatMap((x) => x.exchanges.map((e) => e.request?.uri).filter((u): u is string => !!u)));
  const ctx = closeContext(inputs, mediaTargets);
  const parallel = overlaps(inputs.filter((i) => i.lc.span).map((i) => ({ stream: i.stream, ...i.lc.span! })));
  const connections: LabConnection[] = inputs.map((i) => ({ ...i.lc, close: closeFacts(i, ctx), parallelWith: parallel.get(i.stream) ?? [] }));
  const byStream = new Map(connections.map((c) => [c.stream, c]));

  const labFrames = connections.flatMap((c) => c.frames);
  const link = linkFacts(a, labFrames, (f) => {
    const c = byStream.get(f.stream);
    return c ? sideOf(c.orientation, f) === 'client' : true;
  });

  return {
    analysis: a,
    capture: captureFacts(a, source),
    scope,
    page,
    pagesWithoutProfile: without,
    client,
    server,
    versions: {
      requests: [...new Set(labExchanges.map((e) => e.request?.version).filter((v): v is string => !!v))],
      responses: [...new Set(labExchanges.map((e) => e.response?.version).filter((v): v is string => !!v))],
    },
    connections,
    exchanges: labExchanges,
    counts: countsOf(labExchanges, connections),
    other: otherTraffic(a, orientations, classes, exchangesOf, framesOf, new Set(labConns.map((c) => c.stream)), labFrames.length),
    link,
    frame: (n) => byFrame.get(n),
    connection: (s) => byStream.get(s),
  };
}

const firstFrameOf = (e: LabExchange) => (e.request ?? e.response)!.frames[0];

function firstHeader(exs: LabExchange[], which: 'request' | 'response', name: string): string | undefined {
  for (const e of exs) {
    const v = header(e[which], name);
    if (v !== undefined) return v;
  }
  return undefined;
}

function countsOf(exs: LabExchange[], conns: LabConnection[]): LabCounts {
  const status = new Map<number, number>();
  let partial = 0;
  for (const e of exs) {
    if (e.response?.code !== undefined) status.set(e.response.code, (status.get(e.response.code) ?? 0) + 1);
    if (e.request?.partial) partial++;
    if (e.response?.partial) partial++;
  }
  return {
    requests: exs.filter((e) => e.request).length,
    responses: exs.filter((e) => e.response).length,
    answered: exs.filter((e) => e.request && e.response).length,
    orphanResponses: exs.filter((e) => !e.request && e.response).length,
    unanswered: exs.filter((e) => e.request && !e.response).length,
    partial,
    pipelined: exs.filter((e) => e.pipelined).length,
    wiresharkDiffers: exs.filter((e) => e.wiresharkPairsWith !== undefined).length,
    byStatus: [...status].sort((x, y) => x[0] - y[0]),
    connections: conns.length,
    usedConnections: conns.filter((c) => c.exchanges.some((e) => e.request)).length,
    frames: conns.reduce((n, c) => n + c.frames.length, 0),
  };
}

/** Everything outside the lab, grouped by kind and server. */
function otherTraffic(
  a: CaptureAnalysis,
  orientations: Map<number, Orientation>,
  classes: Map<number, ConnectionClass>,
  exchangesOf: Map<number, LabExchange[]>,
  framesOf: Map<number, TcpFrame[]>,
  lab: Set<number>,
  labFrames: number,
): OtherTraffic {
  const groups = new Map<string, OtherTcpGroup>();
  for (const c of a.connections) {
    if (lab.has(c.stream)) continue;
    const o = orientations.get(c.stream)!;
    const cls = classes.get(c.stream)!;
    const key = `${cls.kind}|${o.server.addr}|${o.server.port}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind: cls.kind, server: o.server, clients: [], connections: [], frames: 0, firstFrame: c.firstFrame, requests: 0, agents: [], httpAnswer: cls.httpAnswer }));
    g.connections.push(c);
    if (!g.clients.includes(o.client.addr)) g.clients.push(o.client.addr);
    g.frames += framesOf.get(c.stream)?.length ?? 0;
    const agent = (v: string | undefined) => {
      const ua = clientAgent(v);
      const name = ua ? ua.name : '（无 User-Agent）';
      if (!g!.agents.includes(name) && g!.agents.length < 5) g!.agents.push(name);
    };
    for (const e of exchangesOf.get(c.stream) ?? []) {
      if (!e.request) continue;
      g.requests++;
      g.sample ??= { frame: e.request.frame, line: `${e.request.method} ${e.request.uri}` };
      agent(header(e.request, 'user-agent'));
    }
    // Streams the analysis kept only as a summary (a large capture's second pass).
    const summary = a.otherRequests.get(c.stream);
    if (summary) {
      g.requests += summary.requests;
      g.sample ??= summary.sample;
      if (summary.agents.length) summary.agents.forEach(agent);
      else agent(undefined);
    }
  }
  const packets = a.other.map((g) => ({ ...g, name: nameOtherPackets(g) }));
  return {
    tcp: [...groups.values()].sort((x, y) => x.firstFrame - y.firstFrame),
    packets,
    overflow: a.otherOverflow,
    frames: a.totalFrames - labFrames,
  };
}

/** Captures larger than this are read twice: once to find the lab, once keeping frames only for it. */
export const TWO_PASS_BYTES = 48 << 20;
/** With no lab in a large capture, frames are kept for this many streams (the rest are counted). */
export const STREAMS_WITHOUT_LAB = 200;

/**
 * Analyse a capture file and build its lab model, with memory bounded by the lab's own traffic:
 * a large capture is read twice — first keeping only what choosing the lab needs (the page by its
 * content, the requests' User-Agents), then keeping frames, bodies and start lines only for the
 * connections between the lab's client and server (lab/scan.ts). Small captures are read once,
 * keeping everything.
 */
export async function analyzeLab(file: string, source = path.basename(file)): Promise<LabModel> {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    // a missing file: the analysis reports it
  }
  if (size <= TWO_PASS_BYTES) return buildLab(await analyzeCaptureFile(file), source);
  const keep = labStreams(await scanForScope(file));
  // The first pass's per-connection state is garbage now: collected before the second pass fills the heap again.
  collectGarbage();
  return buildLab(await analyzeCaptureFile(file, { keepStream: (s) => keep(s) }), source);
}

/**
 * The streams the second pass keeps: the lab's client and server, whichever way round the first
 * pass (which has no SYNs to orient by) saw them.
 */
function labStreams(scan: ScopeScan): (stream: number) => boolean {
  const sc = scan.scope;
  if (!sc.server || !sc.client) return (s) => s < STREAMS_WITHOUT_LAB;
  const srv = sc.server;
  const is = (e: Endpoint) => e.addr === srv.addr && e.port === srv.port;
  const keep = new Set(scan.connections.filter((c) => (is(c.a) && c.b.addr === sc.client) || (is(c.b) && c.a.addr === sc.client) || c.stream === sc.decidedBy?.stream).map((c) => c.stream));
  return (s) => keep.has(s);
}
