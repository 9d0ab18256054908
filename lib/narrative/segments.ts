/**
 * Segments and acknowledgments, measured: how a large response was split and reassembled
 * (Seq + Len = next Seq), which ACK covered its last byte (a FIN takes a sequence number too),
 * how the receiver actually acknowledged (per segment, every two, delayed by its timer), loss and
 * retransmission, and the link facts that explain sizes and checksums.
 */
import { TcpFrame } from '../analysis';
import { TH_ACK, TH_FIN } from '../decode/tcp';
import { TA } from '../tcp/analysis';
import { LabExchange } from '../lab/http';
import { LabModel } from '../lab/model';
import { displayTarget } from '../lab/page';
import { DELAYED_ACK_MIN, sideOf } from '../lab/tcp';
import { Block, code, ok } from './blocks';
import { clientWord } from './capture';
import { bytes, seconds, secondsRange, Writer } from './text';

/** The response a segment chapter shows: the given one, else the one made of the most segments. */
export function largestResponse(lab: LabModel, responseFrame?: number): LabExchange | undefined {
  if (responseFrame !== undefined) return lab.exchanges.find((e) => e.response?.frame === responseFrame);
  let best: LabExchange | undefined;
  for (const e of lab.exchanges) if (e.response && e.response.frames.length > 1 && (!best || e.response.frames.length > best.response!.frames.length)) best = e;
  return best;
}

/** A multi-segment response: its segments, the Seq + Len rule, and the ACK of its last byte. */
export function reassembly(lab: LabModel, responseFrame?: number): Block[] {
  const w = new Writer();
  const ex = largestResponse(lab, responseFrame);
  if (!ex) {
    w.p(
      responseFrame !== undefined
        ? `第 ${responseFrame} 帧不是本实验的 HTTP 响应。`
        : lab.capture.truncated.frames
          ? '包被截断，HTTP 响应无法重组，不能按响应列出它的各个 TCP 段；各段的序列号仍可在流图和时间-序列号图中看到。'
          : '本实验的流量中没有跨越多个 TCP 段的 HTTP 响应。',
    );
    return w.blocks();
  }
  const res = ex.response!;
  const lc = lab.connection(ex.stream)!;
  const segs = res.frames.map((n) => lab.frame(n)).filter((f): f is TcpFrame => !!f && f.len > 0);
  w.p(
    `${w.msg(res)}的响应（${ex.request ? code(displayTarget(ex.request.uri ?? '')) : '请求未捕获'}${res.bodyLength !== undefined ? `，响应体 ${bytes(res.bodyLength)}` : ''}）由 ${segs.length} 个 TCP 段组成。` +
      `Wireshark 在前 ${segs.length - 1} 个段上标注 "[TCP segment of a reassembled PDU]"，在最后一段（${w.frame(res.frame)}）把它们重组成完整的 HTTP 消息。`,
  );
  const rows = segs.map((f, i) => {
    const next = segs[i + 1];
    const expect = f.seq + f.len;
    const check = next ? `${ok(next.seq === expect)} ${f.seq} + ${f.len} = ${expect}${next.seq === expect ? ' = 下一段的 Seq' : ` ≠ ${next.seq}${next.seq < expect ? '（重叠：重传）' : '（中间缺数据）'}`}` : '（最后一段）';
    return [w.frame(f, 'data').replace(/^第 | 帧$/g, ''), String(f.seq), String(f.len), String(f.nextSeq), check];
  });
  w.table('segments', `${w.frame(res.frame)}响应的各个 TCP 段`, ['帧', 'Seq', 'Len', 'NextSeq', '检查：Seq + Len = 下一段的 Seq'], rows);
  const last = segs[segs.length - 1];
  if (!last) return w.blocks();
  // The first client ACK at or past the last byte; a FIN right after the data takes one more number.
  const theAck = lc.frames.find((f) => f.frame > last.frame && sideOf(lc.orientation, f) === 'client' && f.flags & TH_ACK && ((f.ack - (last.seq + last.len)) | 0) >= 0);
  if (!theAck) {
    w.p(`抓包中没有${clientWord(lab)}对最后一段（${w.frame(last, 'data')}）的确认。`);
    return w.blocks();
  }
  const end = last.seq + last.len;
  const fin = lc.frames.find((f) => f.frame > last.frame && f.frame < theAck.frame && sideOf(lc.orientation, f) === 'server' && f.flags & TH_FIN && f.seq === end);
  if (theAck.ack === end) w.p(`${ok(true)} ${clientWord(lab)}在${w.frame(theAck, 'ack', { ackRaw: theAck.ackRaw })}确认：Ack = ${theAck.ack} = 最后一段的 Seq + Len（${last.seq} + ${last.len}），即"已收到的最后一个字节的编号 + 1"。`);
  else if (fin && theAck.ack === end + 1) w.p(`${ok(true)} ${clientWord(lab)}在${w.frame(theAck, 'ack', { ackRaw: theAck.ackRaw })}确认：Ack = ${theAck.ack} = ${last.seq} + ${last.len} + 1。多出的 1 是服务器在${w.frame(fin, 'fin')}发出的 FIN：FIN 也占用一个序列号，这个 ACK 同时确认了数据和 FIN。`);
  else w.p(`${clientWord(lab)}的下一个确认是${w.frame(theAck, 'ack', { ackRaw: theAck.ackRaw })}，Ack = ${theAck.ack}，比最后一段的结尾 ${end} 多 ${theAck.ack - end}：它一次确认了之后服务器发送的更多数据（ACK 是累积的）。`);
  return w.blocks();
}

/** How the client acknowledged the server's data, measured on every lab connection. */
export function ackTiming(lab: LabModel): Block[] {
  const w = new Writer();
  const events = lab.connections.flatMap((c) => c.acks.events.filter((e) => e.segments.length > 0));
  if (!events.length) {
    w.p('本实验的流量中没有可以统计的数据确认（服务器没有发送数据，或确认没有被捕获）。');
    return w.blocks();
  }
  const hist = new Map<number, number>();
  for (const e of events) hist.set(e.segments.length, (hist.get(e.segments.length) ?? 0) + 1);
  const parts = [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => (v === 1 ? `1 个 ACK 确认了 ${k} 个段` : `${v} 个 ACK 各确认 ${k} 个段`));
  const piggy = events.filter((e) => e.piggybacked).length;
  w.p(`本实验中${clientWord(lab)}共发出 ${events.length} 个推进确认号、确认了服务器数据的 ACK：${parts.join('，')}${piggy ? `；其中 ${piggy} 个 ACK 搭载在${clientWord(lab)}自己的数据段上（捎带确认）` : ''}。`);
  const one = hist.get(1) ?? 0;
  const two = hist.get(2) ?? 0;
  const more = events.length - one - two;
  const n = events.length;
  const share = [one && `${one} 个只确认 1 个段`, two && `${two} 个确认 2 个段`, more && `${more} 个确认 3 个以上的段`].filter(Boolean).join('，');
  const verdict =
    one === n
      ? '每个 ACK 只确认一个段'
      : two === n
        ? '每个 ACK 都确认两个段，符合 RFC 9293 §3.8.6.3 "至少每两个满长段确认一次"的建议'
        : `${n} 个 ACK 中${share}`;
  w.p(`测量结果：${verdict}。这是本次抓包实测的节奏，不能事先假定"每两个段一个 ACK"。`);
  const delayed = lab.connections.flatMap((c) => c.acks.delayed);
  if (delayed.length) {
    const d = delayed.slice(0, 6);
    w.p(
      `有 ${delayed.length} 个 ACK 在收到数据后等了 ${secondsRange(Math.min(...delayed.map((e) => e.delay)), Math.max(...delayed.map((e) => e.delay)))} 才发出（${d.map((e) => `${w.frame(e.frame, 'ack', { ackRaw: e.frame.ackRaw })}，等待 ${seconds(e.delay)}${e.acksFin ? '，确认的是 FIN' : ''}`).join('；')}）：` +
        `这是**延迟确认**（delayed ACK）——接收方没有立刻回 ACK，而是等待可以捎带的数据或下一个段，直到计时器到期（Linux 的最短延迟约 40 毫秒，RFC 9293 允许最多 500 毫秒）。`,
    );
  } else {
    w.p(`所有 ACK 都在收到数据后 ${seconds(DELAYED_ACK_MIN)} 以内发出：本次抓包中看不到延迟确认计时器起作用。`);
  }
  return w.blocks();
}

/** Loss, retransmission and reordering as TCP analysis marked them, told by what each resend really was. */
export function lossNotes(lab: LabModel): Block[] {
  const w = new Writer();
  const cw = clientWord(lab);
  const lines: string[] = [];
  let any = false;
  for (const c of lab.connections) {
    const L = c.loss;
    const dupRec = new Set(L.duplicateRecords);
    const unneeded = new Set([...L.unneeded, ...L.spurious]);
    const gapFill = new Set(L.gapFills);
    const who = (f: TcpFrame) => (sideOf(c.orientation, f) === 'client' ? cw : '服务器');
    const what = (f: TcpFrame) => (f.len === 0 && f.flags & TH_FIN ? 'FIN（不带数据）' : f.startLine ? `请求 ${code(f.startLine.split(' ').slice(0, 2).join(' '))}` : `${f.len} 字节数据`);
    const rtx = L.retransmissions.filter((f) => !unneeded.has(f) && !gapFill.has(f));
    if (!(L.duplicateRecords.length || unneeded.size || L.gapFills.length || rtx.length || L.previousNotCaptured.length || L.duplicateAcks.length || L.ackedUnseen.length || L.outOfOrder.length || L.zeroWindow.length)) continue;
    any = true;
    const items: string[] = [];
    if (L.previousNotCaptured.length) items.push(`${L.previousNotCaptured.length} 处缺口：${w.frames(L.previousNotCaptured)}之前的数据没有出现在抓包里（Wireshark："previous segment not captured"）——数据在到达抓包点之前丢失，或抓包没有保存它`);
    for (const f of rtx.slice(0, 8)) {
      const dups = L.duplicateAcks.filter((d) => d.frame < f.frame && d.src === f.dst && d.srcPort === f.dstPort && d.frame > (L.previousNotCaptured.filter((g) => g.frame < f.frame).pop()?.frame ?? 0)).length;
      items.push(
        `${w.frame(f, 'retransmission')}是重传：${who(f)}重发了 ${what(f)}` +
          (f.analysis & TA.FAST_RETRANSMISSION ? `——快速重传，没有等重传计时器超时，在收到 ${dups} 个重复 ACK${dups < 3 ? '（及其中的 SACK 信息）' : ''}之后就重发了${dups < 3 ? '；Linux 依据 SACK 判断丢失（RFC 6675），不一定等满 3 个重复 ACK' : '（RFC 5681 §3.2）'}` : ''),
      );
    }
    if (rtx.length > 8) items.push(`另有 ${rtx.length - 8} 次重传`);
    if (L.gapFills.length) items.push(`${w.frames(L.gapFills, 'data')}补上了前面的缺口：是丢失段的重传；Wireshark 把它们标为"乱序"，只是因为它们在缺口之后很快到达`);
    if (unneeded.size) {
      const u = [...unneeded].sort((x, y) => x.frame - y.frame);
      const d = L.dsacks.filter((x) => u.some((r) => r.frame < x.frame));
      items.push(`${w.frames(u, 'retransmission')}重发的${u.map(what).filter((x, i, arr) => arr.indexOf(x) === i).join('、')}是不必要的重传：${d.length ? `对方在${w.frames(d, 'ack')}用 D-SACK（RFC 2883）报告这些字节早已收到` : 'Wireshark 判定这些字节对方早已确认'}——原来的段没有丢失，只是确认来得比重传计时器晚`);
    }
    if (L.duplicateRecords.length) items.push(`${w.frames(L.duplicateRecords)}与前一帧逐项相同（时间戳、序列号、长度、TCP 时间戳都一样）：这是抓包文件里重复写入的记录，不是重传；Wireshark 仍把它标为重传`);
    const plainDups = L.duplicateAcks.filter((d) => !d.dsack);
    if (plainDups.length) items.push(`${plainDups.length} 个重复 ACK（${w.frames(plainDups, 'ack')}）：接收方收到的段不接在它已收到的数据后面，于是重复确认它期望的下一个字节（RFC 5681 §3.2）`);
    if (L.ackedUnseen.length) items.push(`${w.frames(L.ackedUnseen, 'ack')}确认了抓包中没有出现的数据：那些段到达了接收方，却不在抓包文件里`);
    if (L.outOfOrder.length) items.push(`${L.outOfOrder.length} 个乱序段（${w.frames(L.outOfOrder)}）：序列号小于之前已见到的最大值`);
    if (L.zeroWindow.length) items.push(`${L.zeroWindow.length} 个零窗口通告（${w.frames(L.zeroWindow)}）：接收缓冲区满了，发送方必须暂停`);
    lines.push(`**连接 ${c.stream}**：${items.join('；')}。`);
  }
  if (!any) {
    w.p(`本实验的 ${lab.counts.frames} 帧中没有重传、乱序、丢段或重复 ACK${lab.link.loopback ? '（双方在同一台主机上，数据不经过会丢包的网络）' : ''}。`);
    return w.blocks();
  }
  w.list(lines);
  return w.blocks();
}

/** Link facts that explain what the segments look like: MSS, sizes above it, checksums. */
export function linkNotes(lab: LabModel): Block[] {
  const w = new Writer();
  const L = lab.link;
  const lines: string[] = [];
  for (const m of L.mss) {
    const who = m.side === 'client' ? clientWord(lab) : '服务器';
    const header = m.ipVersion === 6 ? 'IPv6 首部 40 + TCP 首部 20' : 'IP 首部 20 + TCP 首部 20';
    const mtuNote =
      m.ipVersion === 4 && m.mss === 65495
        ? '：IPv4 数据报最长 65535 字节，回环接口的 MTU（65536）比这还大，所以 MSS 取 65535 − 40'
        : m.ipVersion === 6 && m.mss === 65476
          ? '：回环接口 MTU 65536 − 60'
          : m.impliedMtu === 1500
            ? '：对应以太网的 MTU 1500'
            : '';
    lines.push(`${who}在${w.frame(m.frame, m.side === 'client' ? 'syn' : 'syn-ack')}的 ${m.side === 'client' ? 'SYN' : 'SYN-ACK'} 中通告 MSS = ${m.mss} = MTU ${m.impliedMtu} − ${m.impliedMtu - m.mss}（${header}）${mtuNote}。`);
  }
  if (L.maxSegment) {
    const minMss = L.mss.length ? Math.min(...L.mss.map((m) => m.mss)) : undefined;
    if (minMss !== undefined && L.maxSegment.len > minMss)
      lines.push(
        `最大的段（${w.frame(L.maxSegment, 'data')}）携带 ${bytes(L.maxSegment.len)}，超过 MSS ${minMss}；共有 ${L.overMss} 个段超过 MSS。这并不违反协议：抓包点在内核里、网卡分段之前（或接收方合并之后），内核用分段卸载（TSO/GSO）把多个 MSS 大小的段合成一个大段交给网卡${L.loopback ? '；回环接口根本不需要再分段' : '，真正发到线路上的仍是 MSS 大小的段'}。`,
      );
    else if (minMss !== undefined) lines.push(`最大的段（${w.frame(L.maxSegment, 'data')}）携带 ${bytes(L.maxSegment.len)}，没有超过 MSS ${minMss}${L.timestamps && minMss - L.maxSegment.len === 12 ? '：比 MSS 少 12 字节，是 TCP 时间戳选项占用的首部空间' : ''}。`);
    else lines.push(`最大的段（${w.frame(L.maxSegment, 'data')}）携带 ${bytes(L.maxSegment.len)}；抓包中没有带 MSS 选项的 SYN。`);
  }
  const ck = L.checksums;
  if (ck.verified) {
    if (ck.bad)
      lines.push(
        `${ck.verified} 个完整捕获的段中有 ${ck.bad} 个 TCP 校验和不正确（例如${w.frame(ck.example!)}）。` +
          (L.loopback
            ? '在本机回环上这是正常的：内核把校验和留给网卡计算（校验和卸载），只填了伪首部的部分和；回环接口没有网卡去补完，接收方也不检查。Wireshark 默认不校验，所以不会报错。'
            : '这些段照样被接收方确认了，所以不是传输错误：抓包点看到的是校验和卸载之前的值——发送方内核把校验和留给网卡（或虚拟网卡）计算。') +
          (ck.goodExample ? `另有 ${ck.verified - ck.bad} 个段（例如${w.frame(ck.goodExample)}）的校验和正确：内核为这些段自己算好了校验和。` : ''),
      );
    else lines.push(`${ck.verified} 个完整捕获的段的 TCP 校验和全部正确。`);
  }
  w.list(lines);
  return w.blocks();
}
