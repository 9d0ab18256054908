/**
 * The lab's connections side by side: what each was for (the page, a preconnect, resources),
 * which were in use at the same time, how many requests each carried (keep-alive reuse), and
 * what the server said about keeping them open.
 */
import { LabModel, LabConnection } from '../lab/model';
import { header } from '../lab/http';
import { keepAliveParams } from '../lab/headers';
import { displayTarget } from '../lab/page';
import { Block, code } from './blocks';
import { clientWord } from './capture';
import { seconds, secondsRange, Writer } from './text';

const ROLE: Record<LabConnection['role'], string> = {
  page: '取页面',
  'preconnect-used': '预连接（页面到达前建立），之后取资源',
  'preconnect-unused': '预连接（页面到达前建立），从未使用',
  resources: '页面到达后建立，取资源',
  requests: '承载请求（页面未被捕获）',
  existing: '承载请求（连接在抓包前建立）',
  unused: '没有承载请求',
};

export const CLOSE_SHORT: Record<string, string> = {
  'connection-close': 'Connection: close',
  http10: 'HTTP/1.0 响应后关闭',
  'server-idle': '服务器空闲超时',
  'media-abort': '客户端放弃媒体下载',
  'client-abort': '客户端中途关闭',
  'client-exit': '客户端关闭剩余的连接',
  'client-done': '客户端传输完成后关闭',
  'client-idle': '客户端关闭空闲连接',
  'server-other': '服务器关闭（原因未知）',
  'not-captured': '抓包结束时仍未关闭',
};

export function connectionRoles(lab: LabModel): Block[] {
  const w = new Writer();
  const cs = lab.connections;
  if (!cs.length) {
    w.p('本实验的流量中没有 TCP 连接。');
    return w.blocks();
  }
  const cw = clientWord(lab);
  const MAX = 40;
  const rows = cs.slice(0, MAX).map((c) => [
    String(c.stream),
    code(String(c.orientation.client.port)),
    c.handshake.syn ? `${w.frame(c.handshake.syn, 'syn')}（${seconds(c.opened)}）` : '抓包前已建立',
    ROLE[c.role],
    String(c.exchanges.filter((e) => e.request).length),
    c.exchanges.filter((e) => e.request).slice(0, 4).map((e) => code(displayTarget(e.request!.uri ?? ''))).join('、') + (c.exchanges.length > 4 ? ' …' : ''),
    CLOSE_SHORT[c.close.reason.kind] + (c.close.frame ? `（${w.frame(c.close.frame, c.close.how === 'rst' ? 'rst' : 'fin')}）` : ''),
  ]);
  w.table('connections', '本实验的 TCP 连接', ['连接', `${cw}端口`, '建立', '用途', '请求数', '请求', '结束'], rows);
  if (cs.length > MAX) w.p(`另有 ${cs.length - MAX} 条连接未逐行列出。`);

  const lines: string[] = [];
  const pre = cs.filter((c) => c.role === 'preconnect-used' || c.role === 'preconnect-unused');
  const pageRes = lab.page?.exchange.response;
  for (const c of pre) {
    const first = c.exchanges.find((e) => e.request)?.request;
    lines.push(
      `连接 ${c.stream} 在${w.frame(c.handshake.syn!, 'syn')}建立，早于页面的响应开始到达（${w.msg(pageRes!)}）：${cw}在需要之前就先建好了连接，这是**预连接**（preconnect）——提前握手，需要时就省去一次往返。` +
        (first ? `它后来在${w.msg(first)}被用来请求 ${code(displayTarget(first.uri ?? ''))}。` : '它始终没有承载任何请求。'),
    );
  }
  const used = cs.filter((c) => c.exchanges.some((e) => e.request));
  const reused = used.filter((c) => c.exchanges.filter((e) => e.request).length > 1);
  for (const c of reused.slice(0, 6)) {
    const reqs = c.exchanges.filter((e) => e.request);
    lines.push(`连接 ${c.stream} 先后承载了 ${reqs.length} 个请求（${w.frames(reqs.map((e) => e.request!.frame), 'request')}）：这就是**持久连接**（keep-alive），后面的请求不用再握手。`);
  }
  if (used.length > 1) {
    const par = used.filter((c) => c.parallelWith.length);
    if (par.length) {
      const groups = new Set<string>();
      for (const c of par) groups.add([c.stream, ...c.parallelWith].sort((a, b) => a - b).join('、'));
      lines.push(
        `连接 ${[...groups].join('；')} 的传输时间互相重叠（从请求发出到响应收完）：它们是**并行**使用的。HTTP/1.1 的一条连接上同一时刻只有一个响应在传，${cw}需要同时下载多个资源时就多开几条连接。`,
      );
    }
    const seq = used.filter((c) => !c.parallelWith.length);
    if (seq.length && par.length) lines.push(`连接 ${seq.map((c) => c.stream).join('、')} 与其他连接没有同时传输。`);
    if (!par.length) lines.push(`这 ${used.length} 条连接的传输时间没有重叠：它们是**先后**使用的，不是并行。`);
  } else if (used.length === 1 && cs.length === 1) {
    lines.push(`所有请求都走同一条连接，没有并行连接。`);
  }
  const http10 = cs.filter((c) => c.close.reason.kind === 'http10');
  if (http10.length > 1) lines.push(`服务器以 HTTP/1.0 回答、每个响应之后就关闭连接（连接 ${http10.map((c) => c.stream).join('、')}），所以${cw}每取一个资源都要新建一条连接：持久连接在这里没有用上。`);
  if (lab.counts.pipelined) lines.push(`有 ${lab.counts.pipelined} 个请求是在前一个响应到达之前就发出的（流水线，见第 4 章）。`);
  w.list(lines);
  return w.blocks();
}

/** What the server advertised about keeping connections open, and what it did. */
const minMax = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

export function keepAlive(lab: LabModel): Block[] {
  const w = new Writer();
  const ka = lab.exchanges.find((e) => e.response && header(e.response, 'keep-alive'));
  const versions = lab.versions.responses;
  const lines: string[] = [];
  if (ka) {
    const p = keepAliveParams(header(ka.response, 'keep-alive'));
    lines.push(`服务器在响应头中声明 ${code(`Keep-Alive: ${header(ka.response, 'keep-alive')}`)}（${w.msg(ka.response!)}）${p.timeout !== undefined ? `：连接空闲 ${p.timeout} 秒后它可能关闭连接` : ''}。`);
  } else if (lab.exchanges.some((e) => e.response && e.response.headers.length)) {
    lines.push(`服务器的响应没有 ${code('Keep-Alive')} 头：它没有声明空闲超时。`);
  } else if (lab.capture.truncated.frames) {
    lines.push('响应头被截断，看不到服务器有没有声明 Keep-Alive。');
  }
  if (versions.includes('HTTP/1.0')) lines.push(`服务器以 ${code('HTTP/1.0')} 回答：HTTP/1.0 默认每个响应之后关闭连接，除非双方都声明 ${code('Connection: keep-alive')}（RFC 9112 §9.3）。`);
  const idle = lab.connections.filter((c) => c.close.reason.kind === 'server-idle' && !c.close.reason.unused);
  if (idle.length) {
    const r = idle.map((c) => (c.close.reason.kind === 'server-idle' ? c.close.reason.idle : 0));
    const adv = idle[0].close.reason.kind === 'server-idle' ? idle[0].close.reason.advertised : undefined;
    const lo = Math.min(...r);
    const hi = Math.max(...r);
    lines.push(
      `实测：服务器在连接空闲 ${secondsRange(lo, hi)} 后关闭了 ${idle.length} 条用过的连接（连接 ${idle.map((c) => c.stream).join('、')}）` +
        (adv !== undefined ? (hi - adv >= 0.1 ? `，比声明的 ${adv} 秒晚 ${secondsRange(lo - adv, hi - adv)}：声明的超时只是服务器至少保持的时间，实际何时关闭由服务器的实现决定` : `，与声明的 ${adv} 秒一致`) : '') +
        '，详见第 7 章。',
    );
  }
  const unused = lab.connections.filter((c) => c.close.reason.kind === 'server-idle' && c.close.reason.unused);
  if (unused.length) lines.push(`从未承载请求的连接 ${unused.map((c) => c.stream).join('、')} 也由服务器关闭（建立后空闲 ${secondsRange(...minMax(unused.map((c) => (c.close.reason.kind === 'server-idle' ? c.close.reason.idle : 0))))}）：这是服务器对没有请求的连接的处理，与 Keep-Alive 声明无关。`);
  w.list(lines);
  return w.blocks();
}
