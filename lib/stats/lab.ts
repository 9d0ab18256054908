/**
 * The lab's facts, derived from a CaptureAnalysis: per connection its handshake, its HTTP
 * exchanges, its data segments and ACKs, and its teardown. Pure functions over the analysis; every
 * fact keeps the frame numbers it came from so the narrative can cite them.
 */
import { CaptureAnalysis, Connection, TcpFrame } from '../analysis';
import { HttpMessage, messageHeader } from '../http/analyzer';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/tcp';
import { TA } from '../tcp/analysis';

export interface Handshake {
  syn?: TcpFrame;
  synAck?: TcpFrame;
  ack?: TcpFrame;
  complete: boolean;
}

export interface Teardown {
  /** FIN frames in order, with who sent them. */
  fins: Array<{ frame: TcpFrame; bySide: 'client' | 'server' }>;
  /** The ACK that acknowledges each FIN (ack = FIN's seq + 1), when captured. */
  finAcks: Array<TcpFrame | undefined>;
  rst?: TcpFrame;
  firstCloser?: 'client' | 'server';
  /** FIN+ACK of the second side combined with the ACK of the first FIN: 3 segments instead of 4. */
  threeWay: boolean;
  complete: boolean;
  /** The side that enters TIME_WAIT (the one that closed first), per RFC 9293 §3.6. */
  timeWaitSide?: 'client' | 'server';
}

export interface Exchange {
  request?: HttpMessage;
  response?: HttpMessage;
  /** Frames carrying the response (for multi-segment responses), last is response.frame. */
  responseFrames: number[];
  contentLength?: number;
  contentType?: string;
}

export interface AckCadence {
  /** Number of data segments acknowledged by each pure ACK from the receiver. */
  segmentsPerAck: number[];
  /** Histogram: k → how many ACKs acknowledged k segments. */
  histogram: Map<number, number>;
}

export interface LabConnection {
  conn: Connection;
  frames: TcpFrame[];
  handshake: Handshake;
  teardown: Teardown;
  exchanges: Exchange[];
  /** Server→client data segments. */
  serverData: TcpFrame[];
  ackCadence: AckCadence;
}

export interface LabModel {
  analysis: CaptureAnalysis;
  connections: LabConnection[];
  exchanges: Exchange[];
  /** Connections that carried TLS rather than HTTP. */
  tlsConnections: Connection[];
  /** Identity from the captured page (专业/学号/姓名), when the page is in the capture. */
  identity: { major?: string; studentId?: string; name?: string; title?: string };
  /** Largest TCP payload seen and the largest MSS announced, to explain "segments larger than the MSS". */
  maxSegment: number;
  maxMss: number;
  duration: number;
}

const side = (c: Connection, f: TcpFrame): 'client' | 'server' => (f.src === c.client.addr && f.srcPort === c.client.port ? 'client' : 'server');

function handshakeOf(frames: TcpFrame[]): Handshake {
  const syn = frames.find((f) => (f.flags & (TH_SYN | TH_ACK)) === TH_SYN);
  const synAck = frames.find((f) => (f.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK));
  const ack = synAck ? frames.find((f) => f.frame > synAck.frame && (f.flags & (TH_SYN | TH_ACK | TH_RST)) === TH_ACK && f.ackRaw === ((synAck.seqRaw + 1) >>> 0)) : undefined;
  return { syn, synAck, ack, complete: !!(syn && synAck && ack) };
}

function teardownOf(c: Connection, frames: TcpFrame[]): Teardown {
  const fins: Teardown['fins'] = [];
  const seenSides = new Set<string>();
  for (const f of frames) {
    if (!(f.flags & TH_FIN) || f.analysis & TA.RETRANSMISSION) continue;
    const s = side(c, f);
    if (seenSides.has(s)) continue;
    seenSides.add(s);
    fins.push({ frame: f, bySide: s });
  }
  const finAcks = fins.map(({ frame }) =>
    frames.find((g) => g.frame > frame.frame && side(c, g) !== side(c, frame) && g.flags & TH_ACK && g.ackRaw === ((frame.seqRaw + frame.len + 1) >>> 0)),
  );
  const rst = frames.find((f) => f.flags & TH_RST);
  // Three-way close: the second FIN is itself the ACK of the first.
  const threeWay = fins.length === 2 && finAcks[0] !== undefined && finAcks[0].frame === fins[1].frame.frame;
  const complete = fins.length === 2 && finAcks[0] !== undefined && finAcks[1] !== undefined;
  return { fins, finAcks, rst, firstCloser: fins[0]?.bySide, threeWay, complete, timeWaitSide: complete ? fins[0].bySide : undefined };
}

function ackCadenceOf(c: Connection, frames: TcpFrame[]): AckCadence {
  // Walk the connection: count server data segments since the last client ACK that advanced.
  const perAck: number[] = [];
  let unacked: TcpFrame[] = [];
  for (const f of frames) {
    if (side(c, f) === 'server' && f.len > 0) unacked.push(f);
    else if (side(c, f) === 'client' && f.flags & TH_ACK && unacked.length) {
      const n = unacked.filter((d) => ((f.ack - d.nextSeq) | 0) >= 0).length;
      if (n > 0) {
        perAck.push(n);
        unacked = unacked.filter((d) => ((f.ack - d.nextSeq) | 0) < 0);
      }
    }
  }
  const histogram = new Map<number, number>();
  for (const n of perAck) histogram.set(n, (histogram.get(n) ?? 0) + 1);
  return { segmentsPerAck: perAck, histogram };
}

/** 专业/学号/姓名 as the captured page states them ("专业：物联网工程"). */
export function identityFromHtml(html: string): LabModel['identity'] {
  const text = html.replace(/<[^>]*>/g, '\n');
  const pick = (label: string) => new RegExp(`${label}\\s*[：:]\\s*([^\\n<]{1,60})`).exec(text)?.[1].trim();
  const title = /<title>([^<]{1,120})<\/title>/i.exec(html)?.[1].trim();
  return { major: pick('专业'), studentId: pick('学号'), name: pick('姓名'), title };
}

export function buildLab(a: CaptureAnalysis): LabModel {
  const byStream = new Map<number, TcpFrame[]>();
  for (const f of a.frames) {
    const l = byStream.get(f.stream);
    if (l) l.push(f);
    else byStream.set(f.stream, [f]);
  }
  const exchanges: Exchange[] = [];
  const seen = new Set<object>();
  for (const m of a.http) {
    if (m.stream < 0 || seen.has(m.exchange)) continue;
    seen.add(m.exchange);
    const res = m.exchange.response;
    const responseFrames = res ? a.frames.filter((f) => f.reassembledIn === res.frame).map((f) => f.frame).concat(res.frame) : [];
    exchanges.push({
      request: m.exchange.request,
      response: res,
      responseFrames,
      contentLength: res && messageHeader(res, 'content-length') !== undefined ? Number(messageHeader(res, 'content-length')) : undefined,
      contentType: res ? messageHeader(res, 'content-type') : undefined,
    });
  }
  const connections = a.connections.map((conn): LabConnection => {
    const frames = byStream.get(conn.stream) ?? [];
    return {
      conn,
      frames,
      handshake: handshakeOf(frames),
      teardown: teardownOf(conn, frames),
      exchanges: exchanges.filter((e) => (e.request ?? e.response)!.stream === conn.stream),
      serverData: frames.filter((f) => side(conn, f) === 'server' && f.len > 0),
      ackCadence: ackCadenceOf(conn, frames),
    };
  });
  const page = exchanges.find((e) => e.response?.code === 200 && /text\/html/i.test(e.contentType ?? '') && e.response.body);
  const identity = page ? identityFromHtml(page.response!.body!.toString('utf8')) : {};
  const last = a.frames.length ? a.frames[a.frames.length - 1].time : 0;
  return {
    analysis: a,
    connections,
    exchanges,
    tlsConnections: a.connections.filter((c) => c.protocol === 'tls'),
    identity,
    maxSegment: a.frames.reduce((m, f) => Math.max(m, f.len), 0),
    maxMss: a.frames.reduce((m, f) => Math.max(m, f.mss ?? 0), 0),
    duration: last,
  };
}

/** The lab's requirements, checked on a capture (the report's 实验要求核对表 and batch mode). */
export interface LabChecks {
  identity: boolean;
  jpegLogo: boolean;
  audio206: boolean;
  httpNotHttps: boolean;
  handshake: boolean;
  teardown: boolean;
}

export function findLogo(lab: LabModel): Exchange | undefined {
  return lab.exchanges.find((e) => e.request?.uri !== undefined && /image\/jpeg/i.test(e.contentType ?? '') && !/icon/i.test(e.request.uri));
}

export function findAudio(lab: LabModel): Exchange | undefined {
  return lab.exchanges.find((e) => /audio\//i.test(e.contentType ?? ''));
}

/** The connection that carried the page (GET /), else the first with HTTP, else the first. */
export function mainConnection(lab: LabModel): LabConnection | undefined {
  const page = lab.exchanges.find((e) => e.request?.uri === '/' || /\.html?$/.test(e.request?.uri ?? ''));
  const stream = (page?.request ?? page?.response)?.stream;
  return lab.connections.find((c) => c.conn.stream === stream) ?? lab.connections.find((c) => c.exchanges.length) ?? lab.connections[0];
}

export function labChecks(lab: LabModel): LabChecks {
  const id = lab.identity;
  const logo = findLogo(lab);
  const audio = findAudio(lab);
  const main = mainConnection(lab);
  return {
    identity: !!(id.major && id.studentId && id.name),
    jpegLogo: logo?.response?.code === 200,
    audio206: audio?.response?.code === 206,
    httpNotHttps: lab.exchanges.length > 0 && lab.tlsConnections.length === 0,
    handshake: !!main?.handshake.complete,
    teardown: !!main && main.teardown.fins.length === 2,
  };
}

export { side as frameSide };
