/**
 * The three-way handshake of one connection (RFC 9293 §3.5): its three segments with relative
 * and raw sequence numbers, the ISN + 1 rules checked on them, the options both sides offered.
 */
import { flagsText } from '../charts';
import { pickConnection } from '../lab/checks';
import { LabConnection, LabModel } from '../lab/model';
import { sideOf } from '../lab/tcp';
import { Block, code, ok } from './blocks';
import { clientWord } from './capture';
import { optionsText } from './formats';
import { endpoint, seconds, Writer } from './text';

const u32 = (x: number) => x >>> 0;

const ROLE_WORDS: Record<string, string> = {
  page: '取页面',
  'preconnect-used': '预连接，后来取了资源',
  'preconnect-unused': '预连接，从未使用',
  resources: '取资源',
  requests: '承载请求',
  existing: '抓包前已建立',
  unused: '没有承载请求',
};

/** The connection whose handshake a chapter shows: the given one, else the page's if complete, else the first complete one. */
export function handshakeConnection(lab: LabModel, stream?: number): LabConnection | undefined {
  if (stream !== undefined) return lab.connection(stream);
  return pickConnection(lab, (c) => c.handshake.complete) ?? pickConnection(lab, (c) => !!c.handshake.syn);
}

export function handshake(lab: LabModel, stream?: number): Block[] {
  const w = new Writer();
  const lc = handshakeConnection(lab, stream);
  if (!lc || !(lc.handshake.syn || lc.handshake.synAck)) {
    if (stream !== undefined && !lc) w.p(`连接 ${stream} 不属于本实验的流量。`);
    else
      w.p(
        `本实验的 ${lab.connections.length} 条连接都没有捕获到三次握手：抓包开始时它们已经建立。所以这些连接的"相对"序列号是从抓包里它们的第一个段算起的，不是从初始序列号 ISN 算起。请在打开页面**之前**开始抓包（最好用无痕窗口，避免浏览器复用已有连接）。`,
      );
    return w.blocks();
  }
  const cw = clientWord(lab);
  const { syn, synAck, ack } = lc.handshake;
  const who = (f: NonNullable<typeof syn>) => (sideOf(lc.orientation, f) === 'client' ? cw : '服务器');
  const claims = ['syn', 'syn-ack', 'ack'] as const;
  const rows = [syn, synAck, ack].map((f, i) =>
    f ? [`第 ${i + 1} 次`, w.frame(f, claims[i]), who(f), flagsText(f.flags), String(f.seq), String(f.seqRaw), String(f.ack), String(f.ackRaw), optionsText(f)] : [`第 ${i + 1} 次`, '未捕获', '—', '', '', '', '', '', ''],
  );
  const pageConn = lab.connections.find((c) => c.role === 'page');
  const why = stream !== undefined ? '由参数指定' : lc.role === 'page' ? '它是取页面的连接' : pageConn ? `取页面的连接 ${pageConn.stream} ${pageConn.handshake.syn || pageConn.handshake.synAck ? '的握手不完整' : '在抓包开始前就已建立，没有握手可看'}，这是第一条有完整握手的连接` : '抓包中没有页面，这是本实验第一条有完整握手的连接';
  w.p(`下表是连接 ${lc.stream}（${endpoint(lc.orientation.client)} → ${endpoint(lc.orientation.server)}，${why}）的三次握手。"相对"序列号是 Wireshark 减去初始序列号（ISN）后的值，"原始"是报文里真实的 32 位数。`);
  w.table('handshake', `连接 ${lc.stream} 的三次握手`, ['握手', '帧', '发送方', '标志', 'Seq（相对）', 'Seq（原始）', 'Ack（相对）', 'Ack（原始）', '选项'], rows);
  const checks: string[] = [];
  if (syn && synAck)
    checks.push(`${ok(synAck.ackRaw === u32(syn.seqRaw + 1))} SYN-ACK 的确认号 = ${cw}的 ISN + 1：${synAck.ackRaw} ${synAck.ackRaw === u32(syn.seqRaw + 1) ? '=' : '≠'} ${syn.seqRaw} + 1（${w.frame(synAck, 'syn-ack')}确认${w.frame(syn, 'syn')}）。SYN 不带数据，却占用一个序列号。`);
  if (synAck && ack) checks.push(`${ok(ack.ackRaw === u32(synAck.seqRaw + 1))} 第三次握手的确认号 = 服务器的 ISN + 1：${ack.ackRaw} = ${synAck.seqRaw} + 1（${w.frame(ack, 'ack', { ackRaw: ack.ackRaw })}）。`);
  if (syn && ack) checks.push(`${ok(ack.seqRaw === u32(syn.seqRaw + 1))} 第三次握手的序列号 = ${cw}的 ISN + 1：${ack.seqRaw}（相对序列号 ${ack.seq}）${ack.len ? `；这个 ACK 同时带了 ${ack.len} 字节数据` : ''}。`);
  if (!ack && synAck) checks.push(`第三次握手（${cw}对 SYN-ACK 的 ACK）没有被捕获。`);
  if (!syn && synAck) checks.push(`SYN 没有被捕获，只看到服务器的 SYN-ACK（${w.frame(synAck, 'syn-ack')}）。`);
  if (lc.handshake.outOfOrder) checks.push(`SYN-ACK（${w.frame(synAck!, 'syn-ack')}）在抓包里排在 SYN（${w.frame(syn!, 'syn')}）之前：抓包记录的顺序与发送顺序不同；握手要按标志位和序列号判断，而不是按帧号。`);
  if (lc.handshake.synRetransmissions.length) checks.push(`有 ${lc.handshake.synRetransmissions.length} 个 SYN/SYN-ACK 被重发（${w.frames(lc.handshake.synRetransmissions)}）：第一次没有得到回应，超时后重传。`);
  w.list(checks);

  const c = lc.conn;
  const ws = (n: number) => (n >= 0 ? `移位 ${n}（乘 ${2 ** n}）` : n === -2 ? '不使用' : '未知');
  const both = (a?: boolean, b?: boolean) => (a && b ? '双方都提出，生效' : a || b ? '只有一方提出，不生效' : '双方都没有提出');
  const opts: string[] = [
    `MSS：${cw} ${syn?.mss ?? '—'}、服务器 ${synAck?.mss ?? '—'}（详见第 5 章）`,
    `窗口缩放：${cw} ${ws(c.clientWinScale)}、服务器 ${ws(c.serverWinScale)}（只有双方的 SYN 都带此选项才生效，RFC 7323 §2.2）`,
    `SACK：${both(syn?.sackPerm, synAck?.sackPerm)}${syn?.sackPerm && synAck?.sackPerm ? '，之后可以用 SACK 报告乱序到达的数据块' : ''}`,
    `时间戳：${both(syn?.tsval !== undefined, synAck?.tsval !== undefined)}`,
  ];
  w.list(opts);
  if (c.irtt && syn && ack) {
    const loop = lab.link.loopback;
    w.p(`从 SYN（${w.frame(syn, 'syn')}）到第三次握手的 ACK（${w.frame(ack, 'ack')}）经过 ${seconds(c.irtt.sec + c.irtt.nsec / 1e9)}，即初始往返时间 iRTT${loop ? '：双方在同一台主机上，数据没有离开本机，所以极短' : ''}。`);
  }
  const others = lab.connections.filter((x) => x !== lc && x.handshake.complete);
  if (others.length) w.p(`另有 ${others.length} 条连接也完成了三次握手：${others.slice(0, 8).map((x) => `连接 ${x.stream}（${ROLE_WORDS[x.role]}）`).join('、')}${others.length > 8 ? ' 等' : ''}；各连接的用途见第 6 章。`);
  return w.blocks();
}
