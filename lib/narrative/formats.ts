/**
 * Message formats shown on real bytes: one TCP header field by field (RFC 9293 §3.1), one HTTP
 * request and one response with their start lines and header fields (RFC 9112 §2–§5). Each
 * topic takes the frame or exchange to show, defaulting to the page's, so a notebook cell can
 * point it at another.
 */
import { TcpFrame } from '../analysis';
import { flagsText } from '../charts';
import { LabExchange, LabMessage } from '../lab/http';
import { LabModel } from '../lab/model';
import { Block, code, esc } from './blocks';
import { bytes, Writer } from './text';
import { clientWord } from './capture';

const TCP_FIELDS: Array<[string, number, number, string]> = [
  ['源端口 Source Port', 0, 2, '发送方端口'],
  ['目的端口 Destination Port', 2, 2, '接收方端口'],
  ['序列号 Sequence Number', 4, 4, '本段第一个数据字节的编号（原始值）'],
  ['确认号 Acknowledgment Number', 8, 4, '期望收到的下一个字节的编号（ACK=1 时有效）'],
  ['首部长度 + 保留位 + 标志', 12, 2, '高 4 位 × 4 = 首部长度；低 12 位为标志'],
  ['窗口 Window', 14, 2, '接收窗口（未乘窗口缩放因子）'],
  ['校验和 Checksum', 16, 2, '覆盖伪首部、首部和数据'],
  ['紧急指针 Urgent Pointer', 18, 2, 'URG=1 时有效'],
];

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

export function optionsText(f: TcpFrame): string {
  const parts: string[] = [];
  if (f.mss !== undefined) parts.push(`MSS=${f.mss}`);
  if (f.wscale !== undefined) parts.push(`窗口缩放=${f.wscale}（×${2 ** f.wscale}）`);
  if (f.sackPerm) parts.push('SACK_PERM');
  if (f.tsval !== undefined) parts.push(`TSval=${f.tsval} TSecr=${f.tsecr}`);
  return parts.join('，') || '—';
}

/** The frame a format chapter shows by default: the page's request, else the first lab segment with data. */
export function defaultSegment(lab: LabModel): TcpFrame | undefined {
  const req = lab.page?.exchange.request ?? lab.exchanges.find((e) => e.request)?.request;
  if (req) return lab.frame(req.frames[0]);
  for (const c of lab.connections) {
    const f = c.frames.find((x) => x.len > 0);
    if (f) return f;
  }
  return lab.connections[0]?.frames[0];
}

/** One TCP header, field by field, from the captured bytes. */
export function tcpHeader(lab: LabModel, frameNumber?: number): Block[] {
  const w = new Writer();
  const seg = frameNumber !== undefined ? lab.frame(frameNumber) : defaultSegment(lab);
  if (!seg) {
    w.p(frameNumber !== undefined ? `第 ${frameNumber} 帧不是 TCP 段。` : '本实验的流量中没有 TCP 段，无法逐字段展示 TCP 首部。');
    return w.blocks();
  }
  const h = seg.header;
  if (!h) {
    w.p(`${w.frame(seg)}的首部原始字节没有保留（大抓包只保留每条连接前 16 帧和 SYN/FIN/RST、HTTP 起始行所在帧的首部），请选其中一帧：\`tcpHeader(lab, 帧号)\`。`);
    return w.blocks();
  }
  if (h.length < 20) {
    w.p(`${w.frame(seg)}只捕获到 TCP 首部的前 ${h.length} 字节，无法逐字段展示。`);
    return w.blocks();
  }
  const lc = lab.connection(seg.stream);
  const from = lc ? (lc.orientation.client.addr === seg.src && lc.orientation.client.port === seg.srcPort ? clientWord(lab) : '服务器') : `${seg.src}:${seg.srcPort}`;
  w.p(`下面逐字段解读${w.frame(seg, seg.len > 0 ? 'data' : 'frame')}（${from}发出，TCP 载荷 ${bytes(seg.len)}）的 TCP 首部字节：首部共 ${seg.hdrLen} 字节，其中固定部分 20 字节、选项 ${seg.hdrLen - 20} 字节。`);
  const rows = TCP_FIELDS.map(([name, off, len, meaning]) => {
    const v = len === 2 ? h.readUInt16BE(off) : h.readUInt32BE(off);
    let value = String(v);
    if (off === 12) value = `首部长度 ${(h[12] >> 4) * 4} 字节，标志 0x${(v & 0xfff).toString(16).padStart(3, '0')}（${flagsText(v & 0xfff)}）`;
    if (off === 4) value = `${v}（相对序列号 ${seg.seq}）`;
    if (off === 8) value = `${v}（相对确认号 ${seg.ack}）`;
    if (off === 14 && seg.windowScaled !== seg.window) value = `${v}（× 缩放因子 = ${seg.windowScaled} 字节）`;
    if (off === 16) value = `0x${v.toString(16).padStart(4, '0')}（${seg.checksumOk === undefined ? '未校验：段没有被完整捕获' : seg.checksumOk ? '校验正确' : '校验不正确，见第 5 章的说明'}）`;
    return [name, String(off), hex(h.subarray(off, off + len)), value, meaning];
  });
  if (seg.hdrLen > 20 && h.length >= seg.hdrLen) rows.push(['选项 Options', '20', hex(h.subarray(20, seg.hdrLen)), optionsText(seg), 'NOP=01，MSS=02，窗口缩放=03，SACK_PERM=04，时间戳=08']);
  w.table('tcpheader', `${w.frame(seg)}的 TCP 首部（偏移以字节计）`, ['字段', '偏移', '原始字节', '值', '含义'], rows);
  return w.blocks();
}

function defaultExchange(lab: LabModel, pick: (e: LabExchange) => boolean): LabExchange | undefined {
  const p = lab.page?.exchange;
  if (p && pick(p)) return p;
  return lab.exchanges.find(pick);
}

function headerTable(w: Writer, id: string, caption: string, m: LabMessage, word: string): void {
  if (!m.headers.length) {
    w.p(m.partial === 'truncated' ? `这个${word}所在的段被截断，抓包里没有它的${word}头。` : `这个${word}没有${word}头。`);
    return;
  }
  w.table(id, caption, [`${word}头`, '值'], m.headers.map(([k, v]) => [code(k), code(v)]));
}

/** An HTTP request: request line, header fields, body (RFC 9112 §3). */
export function httpRequestFormat(lab: LabModel, requestFrame?: number): Block[] {
  const w = new Writer();
  const ex = requestFrame !== undefined ? lab.exchanges.find((e) => e.request?.frame === requestFrame) : defaultExchange(lab, (e) => !!e.request);
  const req = ex?.request;
  if (!req) {
    w.p(requestFrame !== undefined ? `第 ${requestFrame} 帧不是本实验的 HTTP 请求。` : '本实验的流量中没有捕获到 HTTP 请求。');
    return w.blocks();
  }
  w.p(
    `${w.msg(req)}的请求行是 ${code(`${req.method} ${req.uri} ${req.version ?? ''}`.trim())}：方法 ${code(req.method ?? '')}、请求目标 ${code(req.uri ?? '')}、版本 ${code(req.version ?? '（未捕获）')}。` +
      (req.bodyLength !== undefined ? `它有 ${req.headers.length} 个请求头，请求体 ${bytes(req.bodyLength)}${req.bodyLength === 0 && req.method === 'GET' ? '（GET 请求没有请求体）' : ''}。` : ''),
  );
  headerTable(w, 'reqheaders', `${w.frame(req.frame)} HTTP 请求的请求头`, req, '请求');
  return w.blocks();
}

/** An HTTP response: status line, header fields, body (RFC 9112 §4). */
export function httpResponseFormat(lab: LabModel, responseFrame?: number): Block[] {
  const w = new Writer();
  const ex = responseFrame !== undefined ? lab.exchanges.find((e) => e.response?.frame === responseFrame) : defaultExchange(lab, (e) => !!e.response);
  const res = ex?.response;
  if (!res) {
    w.p(responseFrame !== undefined ? `第 ${responseFrame} 帧不是本实验的 HTTP 响应。` : '本实验的流量中没有捕获到 HTTP 响应。');
    return w.blocks();
  }
  w.p(
    `${w.msg(res)}是服务器发出的响应${ex!.request ? `（回答${w.msg(ex!.request)}的 ${code(`${ex!.request.method} ${ex!.request.uri}`)}）` : '（它的请求没有被捕获）'}，状态行是 ${code(`${res.version ?? ''} ${res.code} ${res.phrase ?? ''}`.trim())}：` +
      `版本 ${code(res.version ?? '')}、状态码 ${res.code}、原因短语 ${code(res.phrase ?? '')}。` +
      (res.bodyLength !== undefined ? `响应体 ${bytes(res.bodyLength)}${res.frames.length > 1 ? `；整个响应（头部和响应体）由 ${res.frames.length} 个 TCP 段组成` : ''}。` : '响应体没有被完整捕获。'),
  );
  headerTable(w, 'resheaders', `${w.frame(res.frame)} HTTP 响应的响应头`, res, '响应');
  return w.blocks();
}

