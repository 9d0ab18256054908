/**
 * The report's chapters, in Chinese, generated from the lab model. Every number names the frame
 * it came from; every rule the seed report states is checked on the data and marked ✓ or ✗.
 * Chapters follow the seed's structure (../shared/seed/original-lab-report.md) and avoid its
 * mistakes (see the comments marked "seed:").
 */
import { LabConnection, LabModel, frameSide, Exchange, findAudio, findLogo, labChecks, mainConnection } from '../stats/lab';
import { TcpFrame } from '../analysis';
import { ackCadence, bytesInFlight, flagsText, flowGraphFigures, segmentSizes, timeSequence, waterfall } from '../charts';
import { messageHeader, messageHeaders } from '../http/analyzer';
import { TH_ACK } from '../decode/tcp';
import { TA } from '../tcp/analysis';
import { formatSeconds } from '../util/time';
import { Block, code, esc, figure, md, ok, ref, table } from './blocks';

export interface Chapter {
  number: number;
  title: string;
  blocks: Block[];
}

const u32 = (x: number) => x >>> 0;
const who = (lc: LabConnection, f: TcpFrame) => (frameSide(lc.conn, f) === 'client' ? '客户端（浏览器）' : '服务器');
const endpoint = (a: { addr: string; port: number }) => code(a.addr.includes(':') ? `[${a.addr}]:${a.port}` : `${a.addr}:${a.port}`);

function findExchange(lab: LabModel, test: (uri: string, e: Exchange) => boolean): Exchange | undefined {
  return lab.exchanges.find((e) => e.request?.uri !== undefined && test(e.request.uri, e));
}

// ---- 1 ------------------------------------------------------------------------------------------

/** What each capture error means, in words a student understands. */
const DAMAGE: Record<string, string> = {
  'not-a-capture': '发现这不是 pcap/pcapng 抓包文件',
  empty: '发现文件是空的',
  'truncated-header': '结束：文件头不完整（文件被截断）',
  'truncated-record': '结束：最后一个数据包记录不完整（文件被截断，常见于抓包未正常停止）',
  'bad-caplen': '遇到长度不合理的数据包记录（文件损坏）',
  'unsupported-version': '遇到不支持的文件格式版本',
  'bad-block': '遇到长度不一致的 pcapng 块（文件损坏）',
  'bad-option': '遇到越界的 pcapng 选项（文件损坏）',
  'bad-interface': '遇到引用不存在接口的数据包（文件损坏）',
  gzip: '遇到损坏的 gzip 压缩数据',
};

export function chapterOverview(lab: LabModel, source: string): Chapter {
  const a = lab.analysis;
  const http = lab.exchanges.filter((e) => e.request);
  const blocks: Block[] = [];
  blocks.push(
    md(
      `本章概览抓包文件 ${code(source)}：共 ${a.totalFrames} 帧（其中 TCP ${a.frames.length} 帧），时长 ${lab.duration.toFixed(3)} 秒，` +
        `${a.connections.length} 条 TCP 连接，${http.length} 次 HTTP 请求。` +
        (a.read.error ? `\n\n**注意：** 抓包文件在第 ${a.read.error.offset} 字节处${DAMAGE[a.read.error.code] ?? '损坏'}（${code(a.read.error.code)}），以下只分析此前完整读出的 ${a.read.packets} 个数据包。` : '') +
        `\n\n浏览器与 Web 服务器的交互过程为：TCP 三次握手建立连接 → 浏览器发送 HTTP GET 请求 → 服务器发送 HTTP 响应（状态码 200 或 206 等）→ 连接空闲或关闭时四次挥手。${ref('fig', 'flow')}是整个抓包的流图（第 6 章的${ref('fig', 'waterfall')}按时间展示各条连接和其上的请求）。`,
    ),
  );
  blocks.push(
    table(
      'connections',
      '抓包中的 TCP 连接',
      ['连接 (tcp.stream)', '客户端', '服务器', '协议', '帧范围', 'HTTP 请求数'],
      lab.connections.map((lc) => [
        String(lc.conn.stream),
        endpoint(lc.conn.client),
        endpoint(lc.conn.server),
        lc.conn.protocol === 'http' ? 'HTTP' : lc.conn.protocol === 'tls' ? 'TLS (HTTPS)' : '—',
        `${lc.conn.firstFrame}–${lc.conn.lastFrame}`,
        String(lc.exchanges.filter((e) => e.request).length),
      ]),
    ),
  );
  if (a.frames.length) blocks.push(...flowGraphFigures(lab).map(figure));
  blocks.push(...checklist(lab));
  return { number: 1, title: '实验环境与抓包概览', blocks };
}

/** 实验要求核对表: the lab's requirements, checked on this capture. */
export function checklist(lab: LabModel): Block[] {
  const id = lab.identity;
  const logo = findLogo(lab);
  const audio = findAudio(lab);
  const main = mainConnection(lab);
  const c = labChecks(lab);
  const rows: string[][] = [
    ['页面文字包含专业、学号、姓名', ok(c.identity), id.studentId ? `专业 ${code(id.major ?? '?')}，学号 ${code(id.studentId)}，姓名 ${code(id.name ?? '?')}` : '抓包中没有找到含这三项的页面'],
    ['传输了 JPEG 格式的 LOGO', ok(c.jpegLogo), logo?.response ? `${code(logo.request!.uri!)}，响应在第 ${logo.response.frame} 帧，${code(logo.contentType ?? '')}` : '没有找到 image/jpeg 响应'],
    ['传输了 MP3 自我介绍音频（Range → 206）', ok(c.audio206), audio?.response ? `${code(audio.request!.uri!)} → ${audio.response.code}（第 ${audio.response.frame} 帧）` : '没有找到 audio/* 响应'],
    ['使用 HTTP 而不是 HTTPS', ok(c.httpNotHttps), lab.tlsConnections.length ? `${lab.tlsConnections.length} 条连接是 TLS` : `${lab.exchanges.length} 次明文 HTTP 交互，没有 TLS`],
    ['捕获到三次握手', ok(c.handshake), main?.handshake.complete ? `连接 ${main.conn.stream}：第 ${main.handshake.syn!.frame}、${main.handshake.synAck!.frame}、${main.handshake.ack!.frame} 帧` : '主连接的握手不完整'],
    ['捕获到连接释放（挥手）', ok(c.teardown), main && main.teardown.fins.length ? `连接 ${main.conn.stream}：FIN 在第 ${main.teardown.fins.map((f) => f.frame.frame).join('、')} 帧` : main?.teardown.rst ? `只有 RST（第 ${main.teardown.rst.frame} 帧）` : '抓包结束时连接仍未关闭'],
  ];
  return [md('### 实验要求核对表'), table('checklist', '实验要求核对表（✓ 满足，✗ 不满足）', ['要求', '结果', '依据'], rows)];
}

// ---- 2 ------------------------------------------------------------------------------------------

const TCP_FIELDS: Array<[string, number, number, string]> = [
  ['源端口 Source Port', 0, 2, '发送方端口'],
  ['目的端口 Destination Port', 2, 2, '接收方端口'],
  ['序列号 Sequence Number', 4, 4, '本段第一个数据字节的编号（原始值）'],
  ['确认号 Acknowledgment Number', 8, 4, '期望收到的下一个字节的编号（ACK=1 时有效）'],
  ['首部长度 + 保留位 + 标志', 12, 2, '高 4 位×4 = 首部长度；低 12 位为标志'],
  ['窗口 Window', 14, 2, '接收窗口（未乘以窗口缩放因子）'],
  ['校验和 Checksum', 16, 2, '覆盖伪首部、首部和数据'],
  ['紧急指针 Urgent Pointer', 18, 2, 'URG=1 时有效'],
];

export function chapterFormats(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const main = mainConnection(lab);
  const reqEx = main?.exchanges.find((e) => e.request) ?? lab.exchanges.find((e) => e.request);
  const req = reqEx?.request;
  const seg = req ? lab.analysis.frames.find((f) => f.frame === req.frame) : lab.analysis.frames.find((f) => f.len > 0);
  if (!seg) {
    blocks.push(md('抓包中没有携带数据的 TCP 段，无法逐字段展示报文格式。'));
    return { number: 2, title: 'TCP 首部与 HTTP 报文格式', blocks };
  }
  const h = seg.header;
  blocks.push(md(`下面以第 ${seg.frame} 帧（${who(main ?? lab.connections[0], seg)}发出，TCP 段长 ${seg.len} 字节）为例，逐字段解读 TCP 首部的真实字节（${ref('tab', 'tcpheader')}）。首部长度 ${seg.hdrLen} 字节，其中固定部分 20 字节，选项 ${seg.hdrLen - 20} 字节。`));
  const rows = TCP_FIELDS.map(([name, off, len, meaning]) => {
    const v = len === 2 ? h.readUInt16BE(off) : h.readUInt32BE(off);
    let value = String(v);
    if (off === 12) value = `首部长度 ${(h[12] >> 4) * 4} 字节，标志 0x${(v & 0xfff).toString(16).padStart(3, '0')}（${flagsText(v & 0xfff)}）`;
    if (off === 4) value = `${v}（相对序列号 ${seg.seq}）`;
    if (off === 8) value = `${v}（相对确认号 ${seg.ack}）`;
    if (off === 16) value = `0x${v.toString(16).padStart(4, '0')}`;
    return [name, String(off), h.subarray(off, off + len).toString('hex').replace(/(..)/g, '$1 ').trim(), value, meaning];
  });
  if (seg.hdrLen > 20) rows.push(['选项 Options', '20', h.subarray(20, seg.hdrLen).toString('hex').replace(/(..)/g, '$1 ').trim(), optionsText(seg), 'NOP=01，时间戳=08 0a …']);
  blocks.push(table('tcpheader', `第 ${seg.frame} 帧的 TCP 首部（偏移以字节计）`, ['字段', '偏移', '原始字节', '值', '含义'], rows));
  if (req) {
    blocks.push(
      md(
        `HTTP 请求报文由**请求行**、**请求头**、**空行**和可选的**请求体**组成。第 ${req.frame} 帧的请求行是 ${code(`${req.method} ${req.uri} ${req.version ?? ''}`)}：方法 ${code(req.method ?? '')}、请求 URI ${code(req.uri ?? '')}、版本 ${code(req.version ?? '')}。${ref('tab', 'reqheaders')}列出了它的全部请求头；GET 请求没有请求体（${req.bodyLength} 字节）。`,
      ),
    );
    blocks.push(table('reqheaders', `第 ${req.frame} 帧 HTTP 请求的请求头`, ['请求头', '值'], req.headers.map(([k, v]) => [code(k), code(v)])));
  }
  const res = reqEx?.response;
  if (res) {
    // seed: a response is made of a *status line* and *response headers* — not "请求行/请求头".
    blocks.push(
      md(
        `HTTP 响应报文由**状态行**、**响应头**、**空行**和**响应体**组成（而不是请求行和请求头）。它由服务器发出：第 ${res.frame} 帧的状态行是 ${code(`${res.version ?? ''} ${res.code} ${res.phrase ?? ''}`)}，其中版本 ${code(res.version ?? '')}、状态码 ${res.code}、原因短语 ${code(res.phrase ?? '')}；响应体 ${res.bodyLength} 字节（${ref('tab', 'resheaders')}）。`,
      ),
    );
    blocks.push(table('resheaders', `第 ${res.frame} 帧 HTTP 响应的响应头`, ['响应头', '值'], res.headers.map(([k, v]) => [code(k), code(v)])));
  }
  return { number: 2, title: 'TCP 首部与 HTTP 报文格式', blocks };
}

function optionsText(f: TcpFrame): string {
  const parts: string[] = [];
  if (f.mss !== undefined) parts.push(`MSS=${f.mss}`);
  if (f.wscale !== undefined) parts.push(`窗口缩放=${f.wscale}（×${2 ** f.wscale}）`);
  if (f.sackPerm) parts.push('SACK_PERM');
  if (f.tsval !== undefined) parts.push(`TSval=${f.tsval} TSecr=${f.tsecr}`);
  return parts.join('，') || '—';
}

// ---- 3 ------------------------------------------------------------------------------------------

export function chapterHandshake(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const main = mainConnection(lab);
  if (!main || !main.handshake.syn) {
    blocks.push(md('抓包中没有捕获到三次握手（抓包开始时连接已经建立）。请在打开页面**之前**开始抓包。'));
    return { number: 3, title: '三次握手', blocks };
  }
  const { syn, synAck, ack } = main.handshake;
  const rows = [syn, synAck, ack].map((f, i) =>
    f
      ? [`第 ${i + 1} 次`, String(f.frame), who(main, f), flagsText(f.flags), String(f.seq), String(f.seqRaw), String(f.ack), String(f.ackRaw), optionsText(f)]
      : [`第 ${i + 1} 次`, '—', '未捕获', '', '', '', '', '', ''],
  );
  blocks.push(
    md(
      `连接 ${main.conn.stream}（${endpoint(main.conn.client)} → ${endpoint(main.conn.server)}）的三次握手见${ref('tab', 'handshake')}。Wireshark 默认显示**相对**序列号（从 0 开始），原始序列号（raw）是双方随机选择的初始序列号 ISN。`,
    ),
  );
  blocks.push(table('handshake', `连接 ${main.conn.stream} 的三次握手`, ['握手', '帧', '发送方', '标志', 'Seq（相对）', 'Seq（原始）', 'Ack（相对）', 'Ack（原始）', '选项'], rows));
  const checks: string[] = [];
  if (syn && synAck) checks.push(`${ok(synAck.ackRaw === u32(syn.seqRaw + 1))} SYN-ACK 的确认号 = 客户端 ISN + 1：${synAck.ackRaw} = ${syn.seqRaw} + 1（第 ${synAck.frame} 帧确认第 ${syn.frame} 帧）。SYN 不携带数据，却消耗一个序列号。`);
  if (synAck && ack) checks.push(`${ok(ack.ackRaw === u32(synAck.seqRaw + 1))} 第三次握手的确认号 = 服务器 ISN + 1：${ack.ackRaw} = ${synAck.seqRaw} + 1（第 ${ack.frame} 帧）。`);
  if (syn && ack) checks.push(`${ok(ack.seqRaw === u32(syn.seqRaw + 1))} 第三次握手的序列号 = 客户端 ISN + 1：${ack.seqRaw}（相对序列号 ${ack.seq}）。`);
  blocks.push(md(checks.map((c) => `- ${c}`).join('\n')));
  const c = main.conn;
  const ws = (n: number) => (n >= 0 ? `移位 ${n}（乘 ${2 ** n}）` : n === -2 ? '不使用' : '未知');
  blocks.push(
    md(
      `选项协商：MSS 客户端 ${syn?.mss ?? '—'}、服务器 ${synAck?.mss ?? '—'}；窗口缩放客户端 ${ws(c.clientWinScale)}、服务器 ${ws(c.serverWinScale)}（只有双方 SYN 都带此选项时才生效，RFC 7323）；SACK_PERM ${syn?.sackPerm && synAck?.sackPerm ? '双方都允许，之后可用 SACK 报告乱序到达的数据块' : '未协商'}；时间戳 ${syn?.tsval !== undefined && synAck?.tsval !== undefined ? '双方都使用' : '未使用'}。` +
        (c.irtt ? `\n\n初始往返时间 iRTT（第 ${syn!.frame} 帧 SYN 到第 ${ack?.frame ?? '?'} 帧 ACK）为 ${formatSeconds(c.irtt)} 秒——本机回环，所以极短。` : ''),
    ),
  );
  const others = lab.connections.filter((x) => x !== main && x.handshake.complete);
  if (others.length) blocks.push(md(`此外还有 ${others.length} 条连接也完成了三次握手（连接 ${others.map((x) => x.conn.stream).join('、')}），是浏览器为并行加载资源而建立的，详见第 6 章。`));
  return { number: 3, title: '三次握手', blocks };
}

// ---- 4 ------------------------------------------------------------------------------------------

const HEADER_NOTES: Array<[string, string]> = [
  ['accept-ranges', '服务器支持按字节范围请求（Range），音频可以分段获取、拖动播放'],
  ['cache-control', '缓存指令；no-cache, no-store, must-revalidate 表示不许缓存、每次都重新取'],
  ['etag', '资源版本标识；重新访问时浏览器可用 If-None-Match 询问是否变化'],
  ['last-modified', '资源最后修改时间（不是数据包到达时间）；可用 If-Modified-Since 询问'],
  ['content-length', '响应体的字节数'],
  ['content-range', '206 响应中本次返回的字节范围和资源总长度'],
  ['keep-alive', '持久连接空闲多久后服务器关闭它'],
  ['connection', 'keep-alive 表示响应后连接保持打开，供后续请求复用'],
];

export function chapterHttp(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const ex = lab.exchanges.filter((e) => e.request || e.response);
  if (!ex.length) {
    blocks.push(md(lab.tlsConnections.length ? '抓包中只有 TLS（HTTPS）流量，看不到 HTTP 明文。请用 `http://`（而不是 `https://`）访问页面后重新抓包，见第 8 章。' : '抓包中没有 HTTP 交互。'));
    return { number: 4, title: 'HTTP 请求与响应', blocks };
  }
  blocks.push(md(`${ref('tab', 'exchanges')}列出全部 ${ex.length} 次 HTTP 请求-响应。请求由浏览器发出，响应由服务器发出；每个响应对应的 URI 是**它自己的请求**中的 URI（Wireshark 在响应里显示的 "Request URI" 正是来自配对的请求）。`));
  blocks.push(
    table(
      'exchanges',
      'HTTP 请求与响应（按请求顺序）',
      ['请求帧', '连接', '请求', '响应帧', '状态', '类型', '响应体 (字节)', '耗时 (s)'],
      ex.map((e) => [
        e.request ? String(e.request.frame) : '—',
        String((e.request ?? e.response)!.stream),
        e.request ? code(`${e.request.method} ${e.request.uri}`) : '（无请求）',
        e.response ? String(e.response.frame) : '—',
        e.response ? `${e.response.code} ${esc(e.response.phrase ?? '')}` : '无响应',
        e.contentType ? code(e.contentType) : '—',
        e.response ? String(e.response.bodyLength) : '—',
        e.request && e.response ? formatSeconds({ sec: 0, nsec: Math.round((e.response.tsSec - e.request.tsSec) * 1e9 + (e.response.tsNsec - e.request.tsNsec)) }) : '—',
      ]),
    ),
  );
  const page = findExchange(lab, (u) => u === '/' || /\.html?$/.test(u));
  const logo = findExchange(lab, (u, e) => /image\//i.test(e.contentType ?? '') && !/icon|favicon/i.test(u));
  const audio = findExchange(lab, (_, e) => /audio\//i.test(e.contentType ?? '') || e.response?.code === 206);
  const icon = findExchange(lab, (u) => /icon|favicon/i.test(u));
  const lines: string[] = [];
  if (page?.response) lines.push(`**页面**：第 ${page.request!.frame} 帧 ${code(`GET ${page.request!.uri}`)}，服务器在第 ${page.response.frame} 帧返回 ${page.response.code}，${code(page.contentType ?? '')}，响应体 ${page.response.bodyLength} 字节。`);
  if (logo?.response) lines.push(`**LOGO**：第 ${logo.request!.frame} 帧请求 ${code(logo.request!.uri!)}，第 ${logo.response.frame} 帧返回 ${logo.response.code}（${code(logo.contentType ?? '')}，${logo.response.bodyLength} 字节，由 ${logo.responseFrames.length} 个 TCP 段重组）。`);
  if (audio?.response) {
    const r = audio.response;
    const range = messageHeader(audio.request!, 'range');
    const cr = messageHeader(r, 'content-range');
    const m = cr ? /bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(cr) : null;
    const span = m ? Number(m[2]) - Number(m[1]) + 1 : undefined;
    lines.push(
      `**音频**：第 ${audio.request!.frame} 帧请求 ${code(audio.request!.uri!)}${range ? `，带请求头 ${code(`Range: ${range}`)}` : ''}；服务器在第 ${r.frame} 帧以 ${r.code} ${esc(r.phrase ?? '')} 回应${cr ? `，${code(`Content-Range: ${cr}`)}` : ''}。` +
        (r.code === 206 ? '206（Partial Content）表示只返回了请求的字节范围：浏览器播放媒体时总是按范围请求，以便边下边播、拖动进度。' : ''),
    );
    if (span !== undefined) lines.push(`${ok(span === r.bodyLength)} 206 的 Content-Range 与响应体长度一致：${m![2]} − ${m![1]} + 1 = ${span}，重组后的响应体为 ${r.bodyLength} 字节。`);
  }
  if (icon) lines.push(`**图标**：第 ${icon.request!.frame} 帧请求 ${code(icon.request!.uri!)}${icon.response ? `，第 ${icon.response.frame} 帧返回 ${icon.response.code}` : '，没有响应'}。页面用 ${code('<link rel="icon">')} 指定了图标，所以浏览器不再去取默认的 /favicon.ico（否则会看到 404）。`);
  for (const e of ex) {
    if (!e.response || e.contentLength === undefined) continue;
    lines.push(`${ok(e.contentLength === e.response.bodyLength)} ${code(e.request?.uri ?? '?')} 的 Content-Length（${e.contentLength}）等于重组后的响应体长度（${e.response.bodyLength}，第 ${e.response.frame} 帧）。`);
  }
  blocks.push(md(lines.map((l) => `- ${l}`).join('\n')));
  const sample = page?.response ?? ex.find((e) => e.response)?.response;
  if (sample) {
    const notes = HEADER_NOTES.map(([h, note]) => [code(h), code(messageHeaders(sample, h).join(', ') || '（无）'), note]);
    blocks.push(table('headernotes', `第 ${sample.frame} 帧响应的常见响应头及其含义`, ['响应头', '本次的值', '含义'], notes));
  }
  const cond = lab.exchanges.filter((e) => e.response?.code === 304);
  if (cond.length) blocks.push(md(`重新加载时出现了条件请求：${cond.map((e) => `第 ${e.request?.frame} 帧 ${code(e.request?.uri ?? '')} 带 ${code(`If-None-Match: ${messageHeader(e.request!, 'if-none-match') ?? '—'}`)}，服务器第 ${e.response!.frame} 帧回 304 Not Modified，没有响应体`).join('；')}。`));
  return { number: 4, title: 'HTTP 请求与响应', blocks };
}


// ---- 5 ------------------------------------------------------------------------------------------

export function chapterSegments(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const big = [...lab.exchanges].filter((e) => e.response && e.responseFrames.length > 1).sort((a, b) => b.responseFrames.length - a.responseFrames.length)[0];
  if (!big) {
    blocks.push(md('抓包中没有跨越多个 TCP 段的 HTTP 响应。'));
  } else {
    const lc = lab.connections.find((c) => c.conn.stream === big.response!.stream)!;
    const segs = big.responseFrames.map((n) => lab.analysis.frames.find((f) => f.frame === n)!).filter(Boolean);
    blocks.push(md(`第 ${big.response!.frame} 帧的响应（${code(big.request?.uri ?? '')}，${big.response!.bodyLength} 字节）由 ${segs.length} 个 TCP 段组成，Wireshark 在前面的段上标注 "[TCP segment of a reassembled PDU]"，在最后一段把它们重组成完整的 HTTP 消息（${ref('tab', 'segments')}）。`));
    const rows = segs.map((f, i) => {
      const next = segs[i + 1];
      return [String(f.frame), String(f.seq), String(f.len), String(f.nextSeq), next ? `${ok(next.seq === f.nextSeq)} ${f.seq} + ${f.len} = ${f.nextSeq}${next.seq === f.nextSeq ? ' = 下一段 Seq' : ` ≠ ${next.seq}`}` : '（最后一段）'];
    });
    blocks.push(table('segments', `第 ${big.response!.frame} 帧响应的各个 TCP 段`, ['帧', 'Seq', 'Len', 'NextSeq', '检查：Seq + Len = 下一段 Seq'], rows));
    const last = segs[segs.length - 1];
    const theAck = lc.frames.find((f) => f.frame > last.frame && frameSide(lc.conn, f) === 'client' && f.flags & TH_ACK && ((f.ack - last.nextSeq) | 0) >= 0);
    if (theAck) blocks.push(md(`${ok(theAck.ack === last.nextSeq)} 客户端在第 ${theAck.frame} 帧确认：Ack = ${theAck.ack}，即最后一个字节的编号 + 1（${last.seq} + ${last.len} = ${last.nextSeq}）。`));
  }
  if (lab.maxSegment > 0) {
    blocks.push(
      md(
        `最大的 TCP 段携带 ${lab.maxSegment} 字节，${lab.maxMss ? `而握手时通告的 MSS 是 ${lab.maxMss}` : '握手中没有 MSS 选项'}。` +
          (lab.maxMss && lab.maxSegment > lab.maxMss
            ? '段长超过 MSS 并不违反协议：抓包点在本机回环接口上，内核的分段卸载（TSO/GSO）把多个 MSS 大小的段合成一个大包交给回环设备，回环接口 MTU 为 65536，数据从未真正被切成 MSS 大小。'
            : '段长没有超过 MSS。') +
          ` ${ref('fig', 'segsize')}是段长分布。`,
      ),
    );
    blocks.push(figure(segmentSizes(lab)));
  }
  const all = lab.connections.flatMap((c) => c.ackCadence.segmentsPerAck);
  if (all.length) {
    const hist = new Map<number, number>();
    for (const n of all) hist.set(n, (hist.get(n) ?? 0) + 1);
    const parts = [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${v} 个 ACK 各确认 ${k} 个段`);
    // seed: the ACK cadence is measured here, not guessed ("每收到两个段发送一个 ACK").
    blocks.push(md(`ACK 节奏是实测的（${ref('fig', 'ackcadence')}）：共 ${all.length} 个推进了确认号的 ACK，其中 ${parts.join('，')}。Linux 的延迟确认（delayed ACK，RFC 9293 §3.8.6.3）通常每两个满长段确认一次，但在回环上段很大、接收方读得快，常常每段立即确认；所以不能事先假定"每两个段一个 ACK"。`));
    blocks.push(figure(ackCadence(lab)));
  }
  const busiest = [...lab.connections].sort((a, b) => b.serverData.length - a.serverData.length)[0];
  if (busiest && busiest.serverData.length) {
    blocks.push(md(`${ref('fig', `tsg-${busiest.conn.stream}`)}是数据最多的连接 ${busiest.conn.stream} 的时间-序列号图：竖线越陡表示发送越快，ACK 线紧跟数据表示确认及时；虚线是 ACK 加上客户端通告的接收窗口，数据不能越过它。${ref('fig', 'bif')}给出在途字节与窗口。`));
    blocks.push(figure(timeSequence(busiest)));
    blocks.push(figure(bytesInFlight(lab)));
  }
  const flagged = lab.analysis.frames.filter((f) => f.analysis & (TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION | TA.LOST_PACKET | TA.DUPLICATE_ACK | TA.OUT_OF_ORDER));
  blocks.push(md(flagged.length ? `TCP 分析标记：${flagged.slice(0, 20).map((f) => `第 ${f.frame} 帧 ${analysisText(f.analysis)}`).join('；')}${flagged.length > 20 ? ` 等共 ${flagged.length} 帧` : ''}。` : '整个抓包中没有重传、乱序、丢段或重复 ACK——本机回环不丢包。'));
  return { number: 5, title: '分段、重组与 ACK', blocks };
}

export function analysisText(flags: number): string {
  const n: string[] = [];
  if (flags & TA.RETRANSMISSION) n.push('重传');
  if (flags & TA.FAST_RETRANSMISSION) n.push('快速重传');
  if (flags & TA.SPURIOUS_RETRANSMISSION) n.push('伪重传');
  if (flags & TA.OUT_OF_ORDER) n.push('乱序');
  if (flags & TA.LOST_PACKET) n.push('前一段未捕获');
  if (flags & TA.ACK_LOST_PACKET) n.push('确认了未捕获的段');
  if (flags & TA.DUPLICATE_ACK) n.push('重复 ACK');
  if (flags & TA.ZERO_WINDOW) n.push('零窗口');
  if (flags & TA.WINDOW_UPDATE) n.push('窗口更新');
  if (flags & TA.WINDOW_FULL) n.push('窗口已满');
  if (flags & TA.KEEP_ALIVE) n.push('保活');
  return n.join('、');
}

// ---- 6 ------------------------------------------------------------------------------------------

export function chapterParallel(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const used = lab.connections.filter((c) => c.exchanges.some((e) => e.request));
  const idle = lab.connections.filter((c) => !c.exchanges.length && c.handshake.complete);
  blocks.push(
    md(
      `浏览器共建立了 ${lab.connections.length} 条 TCP 连接，其中 ${used.length} 条承载了 HTTP 请求：` +
        used.map((c) => `连接 ${c.conn.stream} 上 ${c.exchanges.filter((e) => e.request).length} 次（${c.exchanges.filter((e) => e.request).map((e) => code(e.request!.uri!)).join('、')}）`).join('；') +
        '。' +
        (idle.length ? ` 另有 ${idle.length} 条连接（${idle.map((c) => c.conn.stream).join('、')}）握手后没有发送任何请求：这是 Chromium 的预连接（preconnect），为可能的并行请求提前建好连接，最后空闲关闭。` : '') +
        `\n\n同一条连接上先后发送多个请求，就是 HTTP/1.1 的**持久连接**（keep-alive）：省去了每个资源一次三次握手和四次挥手。HTTP/1.1 在一条连接上同一时刻只有一个未完成的请求（浏览器不用管道化），所以浏览器需要并行资源时会开多条连接（Chromium 对每个主机最多 6 条）。${ref('fig', 'waterfall')}直观地显示了连接的复用与并行。`,
    ),
  );
  const ka = lab.exchanges.find((e) => e.response && messageHeader(e.response, 'keep-alive'));
  if (ka) blocks.push(md(`服务器在响应头里声明 ${code(`Keep-Alive: ${messageHeader(ka.response!, 'keep-alive')}`)}（第 ${ka.response!.frame} 帧）：连接空闲超过这个时间后由服务器关闭，见第 7 章。`));
  if (lab.connections.length) blocks.push(figure(waterfall(lab)));
  return { number: 6, title: '并行连接与 keep-alive', blocks };
}

// ---- 7 ------------------------------------------------------------------------------------------

export function chapterTeardown(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  blocks.push(md('连接释放要**逐条连接**分析：不同连接的 FIN 不能拼成一次"四次挥手"（原报告就把两条连接的 FIN 混在了一起）。'));
  for (const lc of lab.connections) {
    const t = lc.teardown;
    const lines: string[] = [];
    if (!t.fins.length && !t.rst) {
      blocks.push(md(`**连接 ${lc.conn.stream}**：抓包结束时仍未关闭（没有 FIN 或 RST）。`));
      continue;
    }
    if (t.fins.length) {
      const first = t.fins[0];
      lines.push(`${first.bySide === 'client' ? '客户端' : '服务器'}先关闭：第 ${first.frame.frame} 帧 [${flagsText(first.frame.flags)}] Seq=${first.frame.seq} Ack=${first.frame.ack}${first.bySide === 'server' ? '（空闲超过 keep-alive 超时，服务器主动关闭）' : '（浏览器关闭时主动关闭）'}。`);
      t.fins.forEach((fin, i) => {
        const a = t.finAcks[i];
        const expect = u32(fin.frame.seqRaw + fin.frame.len + 1);
        if (a) lines.push(`${ok(a.ackRaw === expect)} FIN 消耗一个序列号：对第 ${fin.frame.frame} 帧 FIN（Seq=${fin.frame.seq}${fin.frame.len ? `，另带 ${fin.frame.len} 字节数据` : ''}）的确认是第 ${a.frame} 帧，Ack=${a.ack} = ${fin.frame.seq}${fin.frame.len ? ` + ${fin.frame.len}` : ''} + 1。`);
        else lines.push(`第 ${fin.frame.frame} 帧的 FIN 没有被确认（或确认没有被捕获）。`);
      });
      if (t.fins.length === 2) {
        lines.push(t.threeWay ? `第二个 FIN（第 ${t.fins[1].frame.frame} 帧）同时确认了第一个 FIN，所以只用了 3 个报文段（"三次挥手"），这是合法的合并。` : `用了 4 个报文段：FIN、ACK、FIN、ACK（四次挥手）。两个 FIN 之间间隔 ${(t.fins[1].frame.time - t.fins[0].frame.time).toFixed(6)} 秒，期间连接处于半关闭状态。`);
        if (t.timeWaitSide) lines.push(`先关闭的一方（${t.timeWaitSide === 'client' ? '客户端' : '服务器'}）在发出最后一个 ACK 后进入 TIME_WAIT，等待 2MSL（Linux 为 60 秒）再释放：确保最后的 ACK 丢失时还能重发，并让旧连接的迟到报文在网络中消失（RFC 9293 §3.6.1）。`);
      } else {
        lines.push('只捕获到一方的 FIN：另一方在抓包停止前还没有关闭。');
      }
    }
    if (t.rst) lines.push(`第 ${t.rst.frame} 帧是 RST（${who(lc, t.rst)}发出）：连接被强制中止，没有正常的挥手。`);
    blocks.push(md(`**连接 ${lc.conn.stream}**（${endpoint(lc.conn.client)} ↔ ${endpoint(lc.conn.server)}）：\n\n${lines.map((l) => `- ${l}`).join('\n')}`));
  }
  return { number: 7, title: '四次挥手', blocks };
}

// ---- 8 ------------------------------------------------------------------------------------------

export function chapterQuestions(lab: LabModel): Chapter {
  const blocks: Block[] = [];
  const tls = lab.tlsConnections;
  // The port to suggest for plain HTTP: where HTTP was seen, else the lab's default.
  const port = lab.connections.find((c) => c.conn.protocol === 'http')?.conn.server.port ?? 8080;
  blocks.push(md('### 1. 抓到的是 TLS 而不是 HTTP 怎么办'));
  blocks.push(
    md(
      (tls.length
        ? `本抓包中有 ${tls.length} 条连接是 TLS（HTTPS）：${tls.map((c) => `连接 ${c.stream}（端口 ${c.server.port}）`).join('、')}。TLS 记录以内容类型字节 0x16（握手）/0x17（应用数据）和版本 0x03 0x0X 开头，正文加密，所以看不到 GET 和状态码。`
        : `本抓包中没有 TLS：${lab.exchanges.length} 次 HTTP 交互都是明文，可以直接看到请求行和状态行。`) +
        (lab.analysis.quicPackets ? ` 另有 ${lab.analysis.quicPackets} 个 UDP/443 数据包像是 QUIC（HTTP/3）。` : '') +
        '\n\n判断方法：HTTP 明文的 TCP 数据以 `GET ` 等方法名或 `HTTP/1.1` 开头；HTTPS 的以 `16 03 01` 等 TLS 记录头开头，Wireshark 显示为 TLSv1.2/TLSv1.3。出现 TLS 的常见原因是浏览器地址栏自动补成了 `https://`，或访问了启用 HSTS 的站点。解决：明确输入 `http://127.0.0.1:' + port + '/`，并用无痕窗口避免缓存和 HSTS 记录。',
    ),
  );
  blocks.push(md('### 2. 捕获过滤器与显示过滤器'));
  blocks.push(
    md(
      `捕获过滤器用 BPF 语法，在抓包时决定保存哪些包：\`tcp port ${port}\`（本次抓包所用）。显示过滤器用 Wireshark 自己的语法，只决定显示哪些已抓到的包：\`tcp.port == ${port}\`、\`http\`、\`tcp.flags.syn == 1\`。两种语法不同——在显示过滤器里写 \`port ${port}\` 会报错，原因是语法不同，而不是显示过滤器"不支持端口"。`,
    ),
  );
  blocks.push(md('### 3. HTTP/1.1、HTTP/2 与 HTTP/3'));
  const versions = [...new Set(lab.analysis.http.map((m) => m.version).filter(Boolean))] as string[];
  blocks.push(
    md(
      `本抓包中的 HTTP 版本：${versions.length ? versions.map((v) => code(v)).join('、') : '无'}。HTTP/1.1 是文本协议，持久连接默认开启，同一连接上的请求按顺序一问一答（所以浏览器开多条连接并行）。HTTP/2 是二进制分帧，一条 TCP 连接上多路复用多个流，头部用 HPACK 压缩；浏览器只在 TLS 上使用它。HTTP/3 跑在 QUIC（UDP）上，消除了 TCP 层的队头阻塞，连接可以在网络切换时迁移。本实验用 http-server 明文 HTTP，所以只能看到 HTTP/1.1。`,
    ),
  );
  return { number: 8, title: '问题与思考', blocks };
}

export function allChapters(lab: LabModel, source: string): Chapter[] {
  return [chapterOverview(lab, source), chapterFormats(lab), chapterHandshake(lab), chapterHttp(lab), chapterSegments(lab), chapterParallel(lab), chapterTeardown(lab), chapterQuestions(lab)];
}

