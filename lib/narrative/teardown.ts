/**
 * How each connection ended (RFC 9293 §3.6), connection by connection — FINs of different
 * connections never make one "four-way handshake" — with the reason the evidence supports.
 */
import { flagsText } from '../charts';
import { TH_FIN, TH_RST } from '../decode/tcp';
import { header } from '../lab/http';
import { displayTarget } from '../lab/page';
import { CLOSE_SHORT } from './connections';
import { LabConnection, LabModel } from '../lab/model';
import { Block, code, ok } from './blocks';
import { clientWord } from './capture';
import { endpoint, seconds, Writer } from './text';

const u32 = (x: number) => x >>> 0;

function reasonText(lab: LabModel, c: LabConnection, w: Writer): string {
  const cw = clientWord(lab);
  const r = c.close.reason;
  switch (r.kind) {
    case 'connection-close':
      return `原因：${w.msg(r.message)}的${r.by === 'response' ? '响应' : '请求'}带有 ${code('Connection: close')}，表示这次交互之后关闭连接（RFC 9112 §9.6）。`;
    case 'http10':
      return `原因：服务器以 HTTP/1.0 回答（${w.msg(r.message)}），且没有 ${code('Connection: keep-alive')}，HTTP/1.0 每个响应之后就关闭连接。`;
    case 'server-idle':
      if (r.unused) return `原因：这条连接从未承载请求，建立后空闲了 ${seconds(r.idle)}，服务器关闭了它：服务器不会无限期地保留没有请求的连接。它在这条连接上没有发过任何响应，也就没有 Keep-Alive 声明可以对照。`;
      return (
        `原因：连接在最后一次传输后空闲了 ${seconds(r.idle)}，服务器关闭了它` +
        (r.advertised !== undefined
          ? `；服务器在${w.msg(r.advertisedIn!)}声明了 ${code(`Keep-Alive: timeout=${r.advertised}`)}，实测空闲时间${r.idle - r.advertised >= 0.1 ? `比它长 ${seconds(r.idle - r.advertised)}。这个声明只是给客户端的提示：服务器至少保持这么久，真正何时关闭由服务器的实现决定` : '与它一致'}。`
          : '；这条连接上的响应没有用 Keep-Alive 头声明超时，所以只能给出实测的空闲时间。')
      );
    case 'media-abort':
      return `原因：${w.msg(r.exchange.request!)}请求的媒体 ${code(displayTarget(r.exchange.request!.uri ?? ''))} 还没收完，${cw}就关闭了连接${r.next?.request ? `，随后在${w.msg(r.next.request)}从另一个位置重新请求（${code(`Range: ${header(r.next.request, 'range') ?? '—'}`)}）：播放器跳转了进度（seek），不再需要原来那段数据` : '；抓包中之后没有对同一资源的新请求'}。`;
    case 'client-abort':
      return `原因：${w.msg(r.exchange.request!)}的响应还没收完，${cw}就关闭了连接。`;
    case 'client-exit':
      if (r.unfinished?.request) return `原因：${cw}在 ${seconds(r.spread)} 之内同时关闭了这条和连接 ${r.together.join('、')}${lab.client?.kind === 'browser' ? '（浏览器或标签页关闭时会一起关闭所有连接）' : ''}；这时${w.msg(r.unfinished.request)}的 ${code(displayTarget(r.unfinished.request.uri ?? ''))} 的响应还没有传完。`;
      if (!r.together.length) return `这是本实验最后一条仍然打开的连接，${cw}关闭它之后抓包中再没有本实验的流量：与${cw}退出时关闭剩余连接的情形一致。`;
      return `原因：${cw}在 ${seconds(r.spread)} 之内同时关闭了这条和连接 ${r.together.join('、')}——${lab.client?.kind === 'browser' ? '浏览器（或标签页）关闭时会这样一起关闭所有连接' : '客户端退出时一起关闭了所有连接'}。`;
    case 'client-done':
      return `原因：${cw}（${lab.client?.name ?? '工具'}）在最后一个响应收完 ${seconds(r.after)} 后关闭连接：传输已完成。`;
    case 'client-idle':
      return `${cw}在连接空闲 ${seconds(r.idle)} 后主动关闭了它；抓包中没有说明原因的其他证据。`;
    case 'server-other':
      return `服务器在连接空闲 ${seconds(r.idle)} 后关闭了它${r.advertised !== undefined ? `，与声明的 Keep-Alive 超时 ${r.advertised} 秒不符` : ''}；抓包中没有说明原因的其他证据。`;
    case 'not-captured':
      return '';
  }
}

/** One connection's close. */
export function teardown(lab: LabModel, stream: number): Block[] {
  const w = new Writer();
  const c = lab.connection(stream);
  if (!c) {
    w.p(`连接 ${stream} 不属于本实验的流量。`);
    return w.blocks();
  }
  const t = c.teardown;
  const cw = clientWord(lab);
  const who = (s: 'client' | 'server') => (s === 'client' ? cw : '服务器');
  const head = `**连接 ${c.stream}**（${endpoint(c.orientation.client)} ↔ ${endpoint(c.orientation.server)}）`;
  if (c.close.how === 'none') {
    w.p(`${head}：抓包停止时仍然开着（没有 FIN，也没有 RST）；它的关闭没有被捕获。`);
    return w.blocks();
  }
  const lines: string[] = [];
  if (t.fins.length) {
    const [a, b] = t.fins;
    lines.push(`${who(a.by)}先关闭：${w.frame(a.frame, 'fin')} [${flagsText(a.frame.flags)}] Seq=${a.frame.seq} Ack=${a.frame.ack}${c.close.idle !== undefined && c.close.idle >= 0.5 ? `，此前连接已空闲 ${seconds(c.close.idle)}` : ''}。`);
    const reason = reasonText(lab, c, w);
    if (reason) lines.push(reason);
    for (const fin of t.fins) {
      const want = u32(fin.frame.seqRaw + fin.frame.len + 1);
      if (fin.ackedBy) {
        const exact = fin.ackedBy.ackRaw === want;
        lines.push(
          `${ok(exact || ((fin.ackedBy.ackRaw - want) | 0) > 0)} FIN 占用一个序列号：对${w.frame(fin.frame, 'fin')}（Seq=${fin.frame.seq}${fin.frame.len ? `，另带 ${fin.frame.len} 字节数据` : ''}）的确认在${w.frame(fin.ackedBy, fin.ackedBy.flags & TH_FIN ? 'fin' : 'ack', { ackRaw: fin.ackedBy.ackRaw })}，Ack=${fin.ackedBy.ack}${exact ? ` = ${fin.frame.seq}${fin.frame.len ? ` + ${fin.frame.len}` : ''} + 1` : `（累积确认，超过 ${fin.frame.seq} + 1）`}。`,
        );
      } else lines.push(`${w.frame(fin.frame, 'fin')}的 FIN 没有被确认，或确认没有被捕获。`);
    }
    if (b) {
      if (t.simultaneous) lines.push(`双方几乎同时发出 FIN（${w.frame(a.frame, 'fin')}、${w.frame(b.frame, 'fin')}），各自都还没收到对方的 FIN：这是"同时关闭"（RFC 9293 §3.6），双方都会进入 TIME-WAIT。`);
      else if (t.threeWay) lines.push(`${who(b.by)}的 FIN（${w.frame(b.frame, 'fin')}）同时确认了${who(a.by)}的 FIN，所以只用了 3 个报文段（FIN、FIN+ACK、ACK）：把第二、三次挥手合并是合法的。`);
      else lines.push(`用了 4 个报文段：FIN → ACK → FIN → ACK（四次挥手）。两个 FIN 相隔 ${seconds(b.frame.time - a.frame.time)}，期间连接处于半关闭状态：${who(a.by)}不再发送，但仍可接收。`);
      if (t.timeWait && t.timeWait !== 'both') lines.push(`先关闭的一方（${who(t.timeWait)}）发出最后一个 ACK 后进入 TIME-WAIT，等待 2MSL（Linux 为 60 秒）才释放：确保最后的 ACK 丢失时还能重发，并让旧连接的迟到报文在网络中消失（RFC 9293 §3.6.1）。抓包里看不到这段等待。`);
    } else if (t.rst && t.rst.frame.frame > a.frame.frame && t.rst.by === a.by) {
      // Data still arriving after the socket was closed is answered with RST (RFC 9293 §3.10.7.4, RFC 1122 §4.2.2.13).
      const later = c.frames.filter((f) => f.frame > a.frame.frame && f.len > 0 && f.src !== a.frame.src);
      lines.push(`${who(a.by)}关闭后，${who(a.by === 'client' ? 'server' : 'client')}的数据仍在到达${later.length ? `（${w.frames(later, 'data')}）` : ''}，${who(a.by)}以 RST 回答（${w.frames(c.frames.filter((f) => f.flags & TH_RST && f.frame > a.frame.frame), 'rst')}）：连接被复位，不会再有对方的 FIN。`);
    } else lines.push(`只捕获到${who(a.by)}的 FIN：${who(a.by === 'client' ? 'server' : 'client')}在抓包停止前还没有关闭自己这一方向。`);
    if (t.finRetransmissions.length) lines.push(`FIN 被重发了 ${t.finRetransmissions.length} 次（${w.frames(t.finRetransmissions, 'fin')}）。`);
  }
  if (t.rst && !(t.fins.length === 1 && t.rst.frame.frame > t.fins[0].frame.frame && t.rst.by === t.fins[0].by)) {
    lines.push(`${w.frame(t.rst.frame, 'rst')}是 ${who(t.rst.by)}发出的 RST：${t.fins.length ? '在挥手之后或之中强制复位连接' : '连接被强制中止，没有正常的挥手'}${t.fins.length ? '' : '。' + (reasonText(lab, c, w) || '')}`);
  }
  w.p(head + '：');
  w.list(lines);
  return w.blocks();
}

/** Every lab connection's close (long captures: the first `max`, then a count by reason). */
export function teardowns(lab: LabModel, max = 12): Block[] {
  const out: Block[] = [];
  const w = new Writer();
  if (!lab.connections.length) {
    w.p('本实验的流量中没有 TCP 连接。');
    return w.blocks();
  }
  for (const c of lab.connections.slice(0, max)) out.push(...teardown(lab, c.stream));
  if (lab.connections.length > max) {
    const rest = new Map<string, number>();
    for (const c of lab.connections.slice(max)) rest.set(c.close.reason.kind, (rest.get(c.close.reason.kind) ?? 0) + 1);
    w.p(`其余 ${lab.connections.length - max} 条连接：${[...rest].map(([k, n]) => `${CLOSE_SHORT[k]} × ${n}`).join('，')}。`);
    out.push(...w.blocks());
  }
  return out;
}
