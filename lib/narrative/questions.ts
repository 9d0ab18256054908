/**
 * The evidence behind the lab's questions: TLS seen or not (by content), which capture filter was
 * used (when the file records it), which HTTP versions and software were talking.
 */
import { LabModel } from '../lab/model';
import { Block, code, esc } from './blocks';
import { clientWord } from './capture';
import { endpoint, Writer } from './text';

const hex = (b: Buffer) => [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** TLS in this capture, recognised by its bytes on whatever port. */
export function tlsNotes(lab: LabModel): Block[] {
  const w = new Writer();
  const groups = lab.other.tcp.filter((g) => g.kind === 'tls' || g.kind === 'tls-to-http');
  const lines: string[] = [];
  for (const g of groups) {
    const c = g.connections[0];
    const first = c.clientFirstBytes.length ? c.clientFirstBytes : c.serverFirstBytes;
    const frame = c.clientFirstBytes.length ? c.clientFirstDataFrame : c.serverFirstDataFrame;
    lines.push(
      `发往 ${endpoint(g.server)} 的 ${g.connections.length} 条连接是 TLS：${w.frame(frame, 'data')}的载荷以 ${code(hex(first))} 开头——TLS 记录头：内容类型 0x${first[0].toString(16)}${first[0] === 0x16 ? '（握手）' : first[0] === 0x17 ? '（应用数据）' : ''}、版本 0x03 0x0${first[2]}${first[0] === 0x16 && first[5] === 1 ? '，随后的握手类型 0x01 是 ClientHello' : ''}。` +
        (g.kind === 'tls-to-http' ? `但这个端口上是明文 HTTP 服务器，它回答了 ${code(g.httpAnswer?.line ?? 'HTTP 错误')}，TLS 握手无法完成。` : '之后的内容都是加密的，看不到请求行和状态行。'),
    );
  }
  if (lab.analysis.quicPackets) lines.push(`另有 ${lab.analysis.quicPackets} 个发往或来自 UDP 443 端口、以长首部开头的数据包，像是 QUIC（HTTP/3 的传输层）。`);
  if (lines.length) w.list(lines);
  else w.p(`本抓包中没有 TLS：本实验的 ${lab.counts.requests} 个请求和 ${lab.counts.responses} 个响应都是明文，请求行和状态行可以直接读出。`);
  return w.blocks();
}

/** The capture filter this capture was made with, and filters that fit this lab. */
export function captureFilters(lab: LabModel): Block[] {
  const w = new Writer();
  const c = lab.capture;
  const filters = [...new Set(c.interfaces.map((i) => i.filter).filter((f): f is string => !!f))];
  const port = lab.scope.server?.port;
  if (!c.filterRecorded) w.p(`这个抓包是经典 pcap 格式，文件里不记录捕获过滤器：无法从抓包得知抓包时用了什么过滤器${lab.other.frames ? `（抓包里有 ${lab.other.frames} 帧其他流量，说明至少没有把它们过滤掉）` : ''}。`);
  else if (filters.length) w.p(`本次抓包使用的捕获过滤器是 ${filters.map((f) => code(f)).join('、')}（记录在 pcapng 的接口信息里）${lab.other.frames ? `；尽管如此，抓包里仍有 ${lab.other.frames} 帧不属于本实验的流量` : '，所以抓包里只有符合它的流量'}。`);
  else w.p(`本次抓包没有设置捕获过滤器（pcapng 的接口信息里没有 if_filter）${lab.other.frames ? `，所以抓到了 ${lab.other.frames} 帧其他流量` : ''}。`);
  const sharedPort = lab.other.tcp.some((g) => g.kind === 'tls-to-http' && g.server.port === port);
  if (port !== undefined && sharedPort)
    w.p(`对这个抓包：本实验和误发的 TLS 连接用的是同一个端口 ${port}，端口过滤器分不开它们；捕获时可以用 ${code(`tcp port ${port}`)} 去掉别的端口，查看时用显示过滤器 ${code('http')} 只看明文 HTTP，最根本的是只用 ${code('http://')} 访问。`);
  else if (port !== undefined)
    w.p(
      `对这个抓包：只抓本实验的流量，捕获过滤器（BPF 语法）可以写 ${code(`tcp port ${port}`)}；在已抓到的包里只看它们，显示过滤器（Wireshark 语法）写 ${code(`tcp.port == ${port}`)}，只看 HTTP 写 ${code('http')}，只看握手写 ${code('tcp.flags.syn == 1')}。`,
    );
  return w.blocks();
}

/** HTTP versions and software, as the messages state them. */
export function httpVersions(lab: LabModel): Block[] {
  const w = new Writer();
  const v = lab.versions;
  if (!v.requests.length && !v.responses.length) {
    w.p('本实验的流量中没有 HTTP 消息，看不到 HTTP 版本。');
    return w.blocks();
  }
  const cw = clientWord(lab);
  const lines = [
    `请求使用的版本：${v.requests.map((x) => code(x)).join('、') || '（请求未捕获）'}；响应使用的版本：${v.responses.map((x) => code(x)).join('、') || '（响应未捕获）'}。`,
    lab.client ? `${cw}：${esc(lab.client.name)}（据 User-Agent ${code(lab.client.raw.slice(0, 120))}）${lab.client.kind === 'tool' ? '——这是命令行工具，不是浏览器' : ''}。` : lab.capture.truncated.frames ? `请求头被截断，看不到 User-Agent，无法知道${cw}是什么软件。` : `请求没有 User-Agent，${cw}没有报出自己的名字。`,
    lab.server.raw ? `服务器：${esc(lab.server.name ?? lab.server.raw)}（据响应头 ${code(`Server: ${lab.server.raw}`)}）。` : lab.capture.truncated.frames ? '响应头被截断，看不到 Server 头。' : '服务器的响应没有 Server 头，它没有报出自己的软件名称。',
  ];
  w.list(lines);
  return w.blocks();
}
