/**
 * Topics about the capture as a whole: the file and how it was made, which traffic is the lab
 * and by which rule, and everything else in the file. Only what the file records is stated;
 * what it does not record is said to be unknown.
 */
import { LabModel } from '../lab/model';
import { linkName } from '../lab/capture';
import { code, esc } from './blocks';
import { bytes, endpoint, seconds, Writer } from './text';

/** What each capture error means, in words a student understands. */
const DAMAGE: Record<string, string> = {
  'not-a-capture': '这不是 pcap/pcapng 抓包文件',
  empty: '文件是空的',
  'truncated-header': '文件头不完整（文件被截断）',
  'truncated-record': '最后一个数据包记录不完整（文件被截断，常见于抓包程序没有正常停止）',
  'bad-caplen': '遇到长度不合理的数据包记录（文件损坏）',
  'unsupported-version': '遇到不支持的文件格式版本',
  'bad-block': '遇到损坏的 pcapng 块（文件损坏）',
  'unknown-link-type': '文件头里的链路类型不是 Wireshark 认识的，其中的数据包无法解码（文件头可能损坏）',
  'bad-option': '遇到越界的 pcapng 选项（文件损坏）',
  'bad-interface': '遇到引用不存在接口的数据包（文件损坏）',
  gzip: '遇到损坏的 gzip 压缩数据',
  io: '读取文件失败',
};

/** The client in words: 浏览器 for a browser, 客户端 otherwise (curl is not a browser). */
export function clientWord(lab: LabModel): string {
  return lab.client?.kind === 'browser' ? '浏览器' : '客户端';
}

export function captureSummary(lab: LabModel): ReturnType<Writer['blocks']> {
  const c = lab.capture;
  const w = new Writer();
  if (!c.opened) {
    w.p(`**无法读取抓包文件 ${code(c.source)}**：${DAMAGE[c.damage?.code ?? ''] ?? '文件无法识别'}（${code(c.damage?.message ?? '')}）。请确认提交的是 Wireshark 保存的 \`.pcapng\` / \`.pcap\` 文件。`);
    return w.blocks();
  }
  const fmt = c.format === 'pcapng' ? 'pcapng' : '经典 pcap';
  const tool = [c.application ? `由 ${code(c.application)} 录制` : undefined, c.os ? `系统 ${code(c.os)}` : undefined].filter(Boolean).join('，');
  w.p(
    `抓包文件 ${code(c.source)} 是 ${fmt} 格式${c.gzip ? '（gzip 压缩）' : ''}${tool ? `，${tool}` : ''}。共 ${c.frames} 帧，其中 TCP ${c.tcpFrames} 帧；` +
      `从第一帧到最后一帧历时 ${seconds(c.duration)}${c.startedAt ? `（第一帧的时间 ${code(c.startedAt.replace('T', ' ').replace('Z', ' UTC'))}）` : ''}。`,
  );
  const rows = c.interfaces.map((i) => [
    i.name ? code(i.name) : '（文件未记录）',
    i.description ? esc(i.description) : '—',
    esc(linkName(i.linkType)),
    i.snapLen > 0 ? String(i.snapLen) : '不限',
    c.filterRecorded ? (i.filter ? code(i.filter) : '无（抓包时未设过滤器）') : '未知（pcap 格式不记录）',
    i.drops?.os !== undefined || i.drops?.interface !== undefined ? String((i.drops.os ?? 0) + (i.drops.interface ?? 0)) : '未记录',
  ]);
  w.table('interfaces', '抓包接口（来自抓包文件）', ['接口', '描述', '链路类型', '快照长度（字节）', '捕获过滤器', '丢弃的包'], rows);
  const notes: string[] = [];
  if (c.damage) notes.push(`**文件在第 ${c.damage.offset} 字节处损坏**：${DAMAGE[c.damage.code] ?? '文件损坏'}。此前完整读出的 ${lab.analysis.read.packets} 个数据包照常分析，之后的内容读不出来；报告只描述这些数据包。`);
  if (c.truncated.frames)
    notes.push(
      `**有 ${c.truncated.frames} 个 TCP 段被截断**（从${w.frame(c.truncated.first!)}起，抓包只保存了每个包的前 ${c.truncated.snapLen ?? '若干'} 字节）：TCP/IP 首部和 HTTP 请求行、状态行还看得到，但请求头、响应头的后半部分和响应体没有被保存，所以无法重组响应、核对长度或识别图片和音频的内容。重新抓包时不要限制快照长度（Wireshark 默认 262144 字节；tcpdump 用 ${code('-s 0')}）。`,
    );
  if (c.dropped) notes.push(`抓包程序记录了 ${c.dropped} 个**来不及保存而丢弃**的包：抓包里缺的段不一定在网络上丢失过。`);
  if (c.dropped === 0) notes.push(`抓包程序记录的丢弃数为 0：${c.interfaces.some((i) => i.filter) ? '通过捕获过滤器的包' : '接口上的包'}都保存下来了，没有因缓冲区满而丢弃。`);
  if (c.warnings.length) notes.push(`读文件时有 ${c.warnings.length} 条警告（例如：${esc(c.warnings[0].message)}）。`);
  w.list(notes);
  return w.blocks();
}

const RULE_TEXT: Record<string, string> = {
  'profile-page': '按内容找到了写有专业、学号、姓名的页面',
  'browser-page': '抓包中没有写有专业、学号、姓名的页面，改用浏览器取得的第一个 HTML 页面',
  'browser-http': '抓包中没有捕获到任何 HTML 页面，改用浏览器发出请求最多的那台服务器',
  'any-http': '抓包中没有按 User-Agent 能认出是浏览器的请求，改用收到 HTTP 请求最多的那台服务器',
};

/** Which traffic the report describes, and by which rule it was chosen. */
export function labSelection(lab: LabModel): ReturnType<Writer['blocks']> {
  const w = new Writer();
  const s = lab.scope;
  if (s.rule === 'none' || !s.server) {
    const tls = lab.other.tcp.filter((g) => g.kind === 'tls' || g.kind === 'tls-to-http').length;
    w.p(
      `**抓包中没有可分析的 HTTP 流量**${tls ? `，只有 TLS（HTTPS）连接：加密后看不到请求和响应` : ''}。本实验要求用浏览器以 ${code('http://')} 访问自己的页面并同时抓包；请检查地址栏是否是 ${code('http://')}，抓包接口是否是服务器所在的接口（本机访问选回环接口），并在打开页面**之前**开始抓包。`,
    );
    return w.blocks();
  }
  const d = s.decidedBy!;
  const by = d.request ?? d.response!;
  const cw = clientWord(lab);
  const who = lab.client ? `${cw}（${code(lab.client.name)}，据 User-Agent）` : cw;
  const rule =
    s.rule === 'any-http' && lab.capture.truncated.frames
      ? '抓包中的包被截断，看不到页面的内容，也看不到请求的 User-Agent，改用收到 HTTP 请求最多的那台服务器'
      : s.rule === 'browser-http' && lab.capture.truncated.frames
        ? '抓包中的包被截断，看不到页面的内容，改用浏览器发出请求最多的那台服务器'
        : RULE_TEXT[s.rule];
  w.p(
    `本报告分析的是${who} ${code(s.client ?? '?')} 与服务器 ${endpoint(s.server)} 之间的流量：${rule}（${w.msg(by)}${by.uri ? ` ${code(`${by.method} ${by.uri}`)}` : ''}）。` +
      `这部分共有 ${lab.counts.connections} 条 TCP 连接、${lab.counts.frames} 帧、${lab.counts.requests} 个 HTTP 请求和 ${lab.counts.responses} 个响应；` +
      (lab.other.frames > 0 ? `其余 ${lab.other.frames} 帧不属于本实验，只在"其他流量"中列出。` : '抓包中没有其他流量。'),
  );
  if (s.rule !== 'profile-page' && lab.pagesWithoutProfile) w.p(`抓包里有 ${lab.pagesWithoutProfile} 个 HTML 页面，但都没有写出专业、学号、姓名中的至少两项。`);
  return w.blocks();
}

const KIND_TEXT: Record<string, string> = {
  refused: '连接被拒绝（SYN 之后对方主机回 RST：该端口没有程序在监听）',
  tls: 'TLS（HTTPS），按字节内容识别（TLS 记录头 16 03 0x）',
  'tls-to-http': '向明文 HTTP 服务器发送了 TLS 握手（用 https:// 访问了 HTTP 端口）',
  http: '其他 HTTP 流量',
  'no-data': '没有传输数据的连接',
  other: '非 HTTP、非 TLS 的 TCP 数据',
};

/** Everything outside the lab, once. */
export function otherTraffic(lab: LabModel): ReturnType<Writer['blocks']> {
  const w = new Writer();
  const o = lab.other;
  if (!o.tcp.length && !o.packets.length) {
    const filters = [...new Set(lab.capture.interfaces.map((i) => i.filter).filter((f): f is string => !!f))];
    w.p(`抓包中除了本实验的连接没有其他流量${filters.length ? `（捕获过滤器 ${filters.map((f) => code(f)).join('、')} 只保留了符合条件的包）` : ''}。`);
    return w.blocks();
  }
  const rows: string[][] = [];
  const MAX = 30;
  for (const g of o.tcp.slice(0, MAX)) {
    rows.push([
      esc(KIND_TEXT[g.kind]),
      `TCP ${endpoint(g.server)}`,
      g.clients.slice(0, 3).map((c) => code(c)).join('、') + (g.clients.length > 3 ? ` 等 ${g.clients.length} 个` : ''),
      String(g.connections.length),
      // A large capture's second pass counts no frames of connections outside the lab.
      g.frames ? String(g.frames) : '—',
      g.kind === 'http' ? `${g.requests} 个请求（${g.agents.map(esc).join('、')}）${g.sample ? `，例如${w.frame(g.sample.frame, 'request')} ${code(g.sample.line)}` : ''}` : g.httpAnswer ? `服务器回答 ${code(g.httpAnswer.line)}（${w.frame(g.httpAnswer.frame)}）` : `从${w.frame(g.firstFrame)}起`,
    ]);
  }
  for (const p of o.packets.slice(0, MAX)) {
    rows.push([esc(p.name), p.srcPort !== undefined ? `${code(`${p.src}:${p.srcPort}`)} ↔ ${code(`${p.dst}:${p.dstPort}`)}` : `${code(p.src || '—')} ↔ ${code(p.dst || '—')}`, '—', '—', String(p.frames), `${bytes(p.bytes)}，从${w.frame(p.firstFrame)}起`]);
  }
  w.table('other', '不属于本实验的流量', ['类别', '目标', '客户端', '连接数', '帧数', '说明'], rows);
  const omitted = Math.max(0, o.tcp.length - MAX) + Math.max(0, o.packets.length - MAX);
  const notes: string[] = [];
  if (omitted) notes.push(`另有 ${omitted} 组流量未逐行列出。`);
  if (o.overflow.frames) notes.push(`还有 ${o.overflow.frames} 帧属于太多不同的会话，只计数不分组。`);
  const tlsToHttp = o.tcp.find((g) => g.kind === 'tls-to-http');
  if (tlsToHttp)
    notes.push(
      `发往 ${endpoint(tlsToHttp.server)} 的连接一开始就发送了 TLS ClientHello：${clientWord(lab)}在用 ${code('https://')} 访问一个只会明文 HTTP 的服务器。服务器把这些字节当成 HTTP 请求来解析，回答${tlsToHttp.httpAnswer ? ` ${code(tlsToHttp.httpAnswer.line)}` : '错误'}。这类连接不属于本实验；要看到明文 HTTP，地址必须以 ${code('http://')} 开头。`,
    );
  const refused = o.tcp.filter((g) => g.kind === 'refused');
  for (const g of refused) notes.push(`发往 ${endpoint(g.server)} 的 ${g.connections.length} 次连接尝试被 RST 拒绝（从${w.frame(g.firstFrame, 'syn')}起）：通常表示该端口上没有程序在监听${g.server.port === 443 ? '——这是浏览器尝试 HTTPS 的默认端口 443' : ''}。`);
  const dns = o.packets.filter((p) => p.name === 'DNS' || p.name === 'mDNS' || p.name === 'LLMNR');
  if (dns.length) notes.push(`${dns.map((p) => p.name).filter((x, i, a) => a.indexOf(x) === i).join('、')} 是名字解析流量，与页面的 HTTP 交互无关。`);
  w.list(notes);
  return w.blocks();
}
