/**
 * The HTTP exchanges: every request and its response, paired as HTTP pairs them (with Wireshark's
 * different pairing named where it differs), what each of the page's resources needed (Range →
 * 206 for the audio), and what the header values say.
 */
import { LabModel } from '../lab/model';
import { sideOf } from '../lab/tcp';
import { header, LabExchange, responseComplete } from '../lab/http';
import { assetOf, deliveringExchange, displayTarget } from '../lab/page';
import { cacheControl, keepAliveParams, parseContentRange, parseRange } from '../lab/headers';
import { Block, code, esc, ok } from './blocks';
import { clientWord } from './capture';
import { bytes, seconds, Writer } from './text';

const ROLE_LABEL: Record<string, string> = { logo: 'LOGO', audio: '音频', icon: '图标', favicon: '默认图标', image: '图片', media: '媒体', stylesheet: '样式表', script: '脚本' };

function roleOf(lab: LabModel, e: LabExchange): string {
  if (lab.page?.exchange === e) return '页面';
  if (lab.page?.reloads.includes(e)) return '页面（重新加载）';
  const a = lab.page?.assets.find((x) => x.exchanges.includes(e));
  return a ? ROLE_LABEL[a.role] : '';
}

/** All of the lab's exchanges, in the order they began. */
export function exchangesTable(lab: LabModel): Block[] {
  const w = new Writer();
  const ex = lab.exchanges;
  if (!ex.length) {
    w.p('本实验的流量中没有 HTTP 请求或响应。');
    return w.blocks();
  }
  const k = lab.counts;
  const parts = [`${k.requests} 个请求`, `${k.responses} 个响应`];
  if (k.answered !== k.requests) parts.push(`其中 ${k.answered} 个请求有响应`);
  w.p(`本实验的流量中共有 ${parts.join('、')}，分布在 ${k.usedConnections} 条连接上（状态码：${k.byStatus.map(([c, n]) => `${c} × ${n}`).join('，') || '无'}）。每个响应配给**它自己的请求**：同一条连接上，第 n 个响应回答第 n 个请求。`);
  w.table(
    'exchanges',
    'HTTP 请求与响应（按开始时间）',
    ['请求帧', '连接', '请求', '用途', '响应帧', '状态', '类型', '响应体', '耗时'],
    ex.map((e) => [
      e.request ? w.num(e.request) : '—',
      String(e.stream),
      e.request ? code(`${e.request.method} ${displayTarget(e.request.uri ?? '')}`) : '（请求未捕获）',
      roleOf(lab, e) || '—',
      e.response ? w.num(e.response) : '—',
      e.response ? `${e.response.code} ${esc(e.response.phrase ?? '')}` : '未捕获',
      e.mediaType ? code(e.mediaType) : '—',
      e.response ? (e.response.bodyLength !== undefined ? String(e.response.bodyLength) : '未完整捕获') : '—',
      e.request && e.response && !e.response.partial ? seconds(e.response.time - e.request.start) : '—',
    ]),
  );
  return w.blocks().concat(pairingNotes(lab));
}

/** Exchanges that are not a plain request → response: pipelining, orphans, missing or cut messages. */
export function pairingNotes(lab: LabModel): Block[] {
  const w = new Writer();
  const notes: string[] = [];
  const cw = clientWord(lab);
  const byConn = new Map<number, LabExchange[]>();
  for (const e of lab.exchanges) if (e.pipelined) (byConn.get(e.stream) ?? byConn.set(e.stream, []).get(e.stream)!).push(e);
  for (const [stream, pl] of byConn) {
    const all = lab.exchanges.filter((e) => e.stream === stream && e.request);
    const first = all.find((e) => e.request!.frame <= pl[0].request!.frame && !e.pipelined) ?? pl[0];
    const group = [first, ...pl.filter((x) => x !== first)];
    const sameSegment = new Set(group.map((e) => e.request!.frames[0])).size === 1;
    notes.push(
      `连接 ${stream} 上的 ${group.length} 个请求（${group.map((e) => `${w.msg(e.request!)} ${code(`${e.request!.method} ${e.request!.uri}`)}`).join('、')}）` +
        `${sameSegment ? '装在同一个 TCP 段里一起发出' : '在前一个响应到达之前就已发出'}，即 **HTTP 流水线**（pipelining）。服务器必须按请求的顺序依次回答（RFC 9112 §9.3.2）：` +
        group.map((e) => (e.response ? `${code(`${e.request!.method} ${e.request!.uri}`)} → ${w.msg(e.response)} ${e.response.code}${e.request!.method === 'HEAD' ? '（HEAD 的响应没有响应体）' : ''}` : `${code(`${e.request!.method} ${e.request!.uri}`)} → 未捕获响应`)).join('，') +
        '。',
    );
  }
  const unpairedByWs = lab.exchanges.filter((e) => e.wiresharkPairsWith === null);
  if (unpairedByWs.length) notes.push(`Wireshark 4.0 没有为${unpairedByWs.map((e) => w.msg(e.response!)).join('、')}的响应标出对应的请求（没有 "Request In"）；按 HTTP 的规则，它们依次回答同一连接上的请求，配对见上表。`);
  const differ = lab.exchanges.filter((e) => e.wiresharkPairsWith);
  if (differ.length)
    notes.push(
      `**Wireshark 4.0 的配对与此不同**：${differ
        .map((e) => `它把${w.msg(e.response!)}的响应配给了${w.frame(e.wiresharkPairsWith!.frame, 'request', { method: e.wiresharkPairsWith!.method, uri: e.wiresharkPairsWith!.uri })}中的 ${code(`${e.wiresharkPairsWith!.method} ${e.wiresharkPairsWith!.uri}`)}，而不是 ${code(`${e.request!.method} ${e.request!.uri}`)}`)
        .join('；')}。所以在 Wireshark 里这些响应的 "Request URI" 和响应时间显示错误；按 HTTP 的规则（RFC 9112 §9.3.2），应以上面的配对为准。`,
    );
  const orphans = lab.exchanges.filter((e) => !e.request && e.response);
  for (const e of orphans.slice(0, 6)) {
    const lc = lab.connection(e.stream);
    const unseen = lc?.loss.ackedUnseen.filter((f) => f.frame <= e.response!.frame && sideOf(lc.orientation, f) === 'server') ?? [];
    notes.push(
      `${w.msg(e.response!)}（${e.response!.code}）的请求没有被捕获：` +
        (lc?.handshake.syn
          ? `这条连接的握手在抓包里（${w.frame(lc.handshake.syn, 'syn')}起），请求本应在其后，却不在文件里${unseen.length ? `；服务器在${w.frames(unseen, 'ack')}确认了抓包中没有出现的数据，说明请求发出过，只是没有被保存` : ''}。`
          : '连接在抓包开始之前就已建立，请求在抓包开始之前就已发出。'),
    );
  }
  const unanswered = lab.exchanges.filter((e) => e.request && !e.response);
  for (const e of unanswered.slice(0, 10)) {
    const lc = lab.connection(e.stream);
    const startedAt = lc?.frames.find((f) => f.frame > e.request!.frame && f.startLine?.startsWith('HTTP/') && f.src === lc.orientation.server.addr && f.srcPort === lc.orientation.server.port);
    notes.push(
      `${w.msg(e.request!)}的 ${code(`${e.request!.method} ${e.request!.uri}`)} 没有捕获到完整的响应` +
        (startedAt ? `：服务器在${w.frame(startedAt, 'data')}开始回答（${code(startedAt.startLine!)}），但响应没有收完就结束了抓包或连接` : lc && lc.close.how === 'none' ? '：抓包停止时连接仍然开着' : '') +
        '。',
    );
  }
  if (unanswered.length > 10) notes.push(`另有 ${unanswered.length - 10} 个请求没有捕获到响应。`);
  const reparsed = lab.exchanges.flatMap((e) => [e.request, e.response]).filter((m) => m?.reparsed && !m.partial);
  if (reparsed.length)
    notes.push(
      `${w.frames(reparsed.map((m) => m!.frame))}在 Wireshark 4.0 里只显示为 TCP 数据，不显示为 HTTP：它按自己的规则把之前的响应当成还没结束（例如用最后一个请求的方法去判断 HEAD 的响应，以为后面还有响应体）。按 HTTP 的规则，${lab.exchanges.some((e) => e.request?.method === 'HEAD') ? 'HEAD 的响应只有响应头、没有响应体（RFC 9110 §9.3.2），所以' : ''}这些帧各自是一个完整的 HTTP 消息。`,
    );
  const cut = lab.exchanges.flatMap((e) => [e.request, e.response]).filter((m) => m?.partial === 'truncated');
  if (cut.length) notes.push(`${cut.length} 个 HTTP 消息所在的段被抓包截断（${w.frames(cut.map((m) => m!.frame))}）：只看得到请求行或状态行，看不到完整的头部和响应体。`);
  const incomplete = lab.exchanges.flatMap((e) => [e.request, e.response]).filter((m) => m?.partial === 'incomplete');
  const stuck = incomplete.filter((m) => m!.pduEnd !== undefined);
  const cutShort = incomplete.filter((m) => m!.pduEnd === undefined);
  for (const m of stuck.slice(0, 6))
    notes.push(`${w.frame(m!.frame, m!.isRequest ? 'request' : 'response', m!.isRequest ? { method: m!.method, uri: m!.uri } : { code: m!.code })}开始的${m!.isRequest ? '请求' : '响应'}（${code(lab.frame(m!.frame)?.startLine ?? '')}）在${w.frame(m!.pduEnd!)}才由 TCP 重组完整（其间有丢失后重传或乱序到达的段），Wireshark 4.0 没有把它显示为 HTTP 消息，本报告也只能确认它的开头。`);
  for (const m of cutShort.slice(0, 6)) {
    const lc = lab.connection(m!.stream);
    const close = lc?.close;
    const why =
      close && close.how !== 'none' && close.frame && close.frame.time >= m!.time
        ? `${close.by === 'client' ? cw : '服务器'}在${w.frame(close.frame, close.how === 'rst' ? 'rst' : 'fin')}关闭了连接，${m!.isRequest ? '请求' : '响应'}没有传完`
        : close?.how === 'none'
          ? '抓包停止时它还没有传完'
          : '它的其余部分不在抓包里';
    notes.push(`${w.frame(m!.frame, m!.isRequest ? 'request' : 'response', m!.isRequest ? { method: m!.method, uri: m!.uri } : { code: m!.code })}开始的${m!.isRequest ? '请求' : '响应'}只捕获到开头：${why}。`);
  }
  w.list(notes);
  return w.blocks();
}

/** The page's resources one by one: how each was fetched, and what its response shows. */
export function assetDownloads(lab: LabModel): Block[] {
  const w = new Writer();
  const lines: string[] = [];
  const page = lab.page;
  if (!page) {
    w.p('抓包中没有学生的页面，无法按页面的元素逐个说明资源。');
    return w.blocks().concat(contentLengths(lab));
  }
  const pe = page.exchange;
  if (pe.response)
    lines.push(
      `**页面**：${pe.request ? `${w.msg(pe.request)} ${code(`GET ${pe.request.uri}`)}，` : ''}服务器在${w.msg(pe.response)}返回 ${pe.response.code}，${code(pe.contentType ?? '无 Content-Type')}${pe.response.bodyLength !== undefined ? `，响应体 ${bytes(pe.response.bodyLength)}` : ''}。`,
    );
  const logo = assetOf(page, 'logo');
  const le = deliveringExchange(logo);
  if (logo && le?.response)
    lines.push(
      `**LOGO**：页面的 ${code('<img>')} 指向 ${code(logo.display)}；${le.request ? `${w.msg(le.request)}请求，` : ''}${w.msg(le.response)}返回 ${le.response.code}（${code(le.mediaType ?? '无类型')}${le.response.bodyLength !== undefined ? `，${bytes(le.response.bodyLength)}` : ''}${le.response.frames.length > 1 ? `，由 ${le.response.frames.length} 个 TCP 段重组而成` : ''}）。`,
    );
  const audio = assetOf(page, 'audio');
  if (audio) for (const l of audioLines(lab, w)) lines.push(l);
  const icon = assetOf(page, 'icon');
  const ie = deliveringExchange(icon);
  if (icon && ie?.response) lines.push(`**图标**：页面用 ${code(`<link rel="${(icon.ref!.rel ?? ['icon']).join(' ')}" href="${icon.ref!.raw}">`)} 指定图标（rel 中含有 icon 这个词）；${ie.request ? `${w.msg(ie.request)}请求，` : ''}${w.msg(ie.response)}返回 ${ie.response.code}。`);
  w.list(lines);
  return w.blocks().concat(contentLengths(lab));
}

function audioLines(lab: LabModel, w: Writer): string[] {
  const audio = assetOf(lab.page, 'audio')!;
  const out: string[] = [];
  if (!audio.exchanges.length) return [`**音频**：页面的 ${code('<audio>')} 指向 ${code(audio.display)}，但抓包中没有它的请求。`];
  const first = audio.exchanges[0];
  const desc = (e: LabExchange): string => {
    const range = header(e.request, 'range');
    const cr = header(e.response, 'content-range');
    return (
      `${e.request ? w.msg(e.request) : '（请求未捕获）'}${range ? `带 ${code(`Range: ${range}`)}` : '没有 Range'}` +
      (e.response ? ` → ${w.msg(e.response)} ${e.response.code}${cr ? `，${code(`Content-Range: ${cr}`)}` : ''}${responseComplete(e) ? '' : '（响应没有收完）'}` : ' → 未捕获响应')
    );
  };
  out.push(`**音频**：页面的 ${code('<audio>')} 指向 ${code(audio.display)}，${clientWord(lab)}请求了 ${audio.exchanges.length} 次：${audio.exchanges.slice(0, 6).map(desc).join('；')}${audio.exchanges.length > 6 ? ' ……' : ''}。`);
  const ranged = audio.exchanges.find((e) => e.response?.code === 206);
  if (ranged) {
    const r = parseRange(header(ranged.request, 'range'))?.ranges[0];
    const cr = parseContentRange(header(ranged.response, 'content-range'));
    out.push(
      `206 Partial Content 表示服务器只返回了请求的字节范围（RFC 9110 §15.3.7）；媒体元素按范围取数据，以便边下边播和拖动进度。` +
        (r && r.first === 0 && r.last === undefined && cr?.first === 0 && cr.complete !== undefined && cr.last === cr.complete - 1 ? `这里 ${code('bytes=0-')} 的意思是"从第 0 字节到末尾"，服务器于是一次返回了整个文件（${cr.complete} 字节），只是仍以 206 标明这是一个范围响应。` : ''),
    );
    if (cr?.first !== undefined && cr.last !== undefined && ranged.response!.bodyLength !== undefined) {
      const span = cr.last - cr.first + 1;
      out.push(`${ok(span === ranged.response!.bodyLength)} Content-Range 与响应体长度一致：${cr.last} − ${cr.first} + 1 = ${span}，重组后的响应体为 ${ranged.response!.bodyLength} 字节。`);
    }
  } else if (first.response) {
    const range = header(first.request, 'range');
    out.push(range ? `请求带了 Range，服务器却回答 ${first.response.code}：${header(first.response, 'accept-ranges') ? '' : '响应里也没有 Accept-Ranges，'}服务器不支持范围请求，返回了整个文件。` : `请求没有带 Range，服务器回答 ${first.response.code}。`);
  }
  const aborted = lab.connections.filter((c) => c.close.reason.kind === 'media-abort');
  if (aborted.length) out.push(`有 ${aborted.length} 条取音频的连接在响应还没收完时被${clientWord(lab)}关闭（连接 ${aborted.map((c) => c.stream).join('、')}），详见第 7 章。`);
  return out;
}

/** Content-Length set against the reassembled body, for every response that states one. */
function contentLengths(lab: LabModel): Block[] {
  const w = new Writer();
  const lines: string[] = [];
  let shown = 0;
  let good = 0;
  for (const e of lab.exchanges) {
    const res = e.response;
    if (!res || e.contentLength === undefined || res.bodyLength === undefined) continue;
    if (e.request?.method === 'HEAD' || res.code === 304 || res.code === 204) continue;
    if (e.contentLength === res.bodyLength) good++;
    if (shown >= 12 && e.contentLength === res.bodyLength) continue;
    shown++;
    lines.push(`${ok(e.contentLength === res.bodyLength)} ${e.request ? code(displayTarget(e.request.uri ?? '')) : `${w.msg(res)}（请求未捕获）`}的 Content-Length（${e.contentLength}）${e.contentLength === res.bodyLength ? '等于' : '不等于'}重组后的响应体长度（${res.bodyLength}，${w.msg(res)}）。`);
  }
  if (shown < good) lines.push(`其余 ${good - shown} 个响应的 Content-Length 也都与响应体长度一致。`);
  w.list(lines);
  return w.blocks();
}

const HEADER_MEANING: Record<string, (v: string, all: string[]) => string> = {
  'cache-control': (v) =>
    cacheControl(v)
      .map((d) => `${d.name}${d.value !== undefined ? `=${d.value}` : ''}：${d.meaning ?? '（未知指令）'}`)
      .join('；'),
  etag: (v) => `资源版本标识${/^\s*W\//.test(v) ? '（W/ 开头：弱校验器，只保证内容等价）' : '（强校验器）'}；再次请求时浏览器可用 If-None-Match 询问是否变化`,
  'last-modified': () => '资源最后修改的时间（不是数据包的时间）；再次请求时可用 If-Modified-Since 询问',
  'content-length': (v) => `响应体有 ${v} 字节`,
  'content-type': (v) => `响应体的媒体类型${/charset=/i.test(v) ? '及字符集' : ''}`,
  'content-range': (v) => {
    const r = parseContentRange(v);
    return r?.first !== undefined ? `本次返回第 ${r.first}–${r.last} 字节，资源共 ${r.complete ?? '未知'} 字节` : '范围响应的字节范围';
  },
  'accept-ranges': (v) => (v.trim().toLowerCase() === 'none' ? '服务器不支持范围请求' : '服务器支持按字节范围请求（Range）'),
  'keep-alive': (v) => {
    const p = keepAliveParams(v);
    return [p.timeout !== undefined ? `空闲 ${p.timeout} 秒后服务器可能关闭连接` : '', p.max !== undefined ? `这条连接最多再处理 ${p.max} 个请求` : ''].filter(Boolean).join('；') || '持久连接的参数';
  },
  connection: (v) => (/close/i.test(v) ? '发完这个响应后关闭连接' : /keep-alive/i.test(v) ? '响应后连接保持打开，供后续请求复用' : '逐跳的连接选项'),
  'content-encoding': (v) => `响应体用 ${v} 压缩，接收方要先解压`,
  'transfer-encoding': (v) => (/chunked/i.test(v) ? '响应体分块传输，每块前写长度，以长度 0 的块结束（事先不必知道总长）' : '传输编码'),
  date: () => '服务器生成响应的时间',
  server: () => '服务器软件自报的名字',
  vary: (v) => `缓存要按请求头 ${v} 区分不同版本`,
  'x-powered-by': () => '服务器框架自报的名字',
  'access-control-allow-origin': () => '允许哪些来源的页面跨域读取响应（CORS）',
};

/** What this response's header values mean, value by value. */
export function headerMeanings(lab: LabModel, responseFrame?: number): Block[] {
  const w = new Writer();
  const ex = responseFrame !== undefined ? lab.exchanges.find((e) => e.response?.frame === responseFrame) : lab.page?.exchange.response ? lab.page.exchange : lab.exchanges.find((e) => e.response?.headers.length);
  const res = ex?.response;
  if (!res || !res.headers.length) {
    w.p(responseFrame !== undefined ? `第 ${responseFrame} 帧不是本实验中带响应头的 HTTP 响应。` : lab.capture.truncated.frames ? '响应头被截断（快照长度太小），无法逐个解释。' : '本实验的流量中没有带响应头的 HTTP 响应。');
    return w.blocks();
  }
  const rows = res.headers.map(([k, v]) => {
    const f = HEADER_MEANING[k.toLowerCase()];
    return [code(k), code(v), f ? esc(f(v, [])) || '—' : '—'];
  });
  w.table('headermeanings', `${w.msg(res)}响应的响应头及其含义（按本次的值解释）`, ['响应头', '本次的值', '含义'], rows);
  const absent: string[] = [];
  if (!header(res, 'accept-ranges')) absent.push(`没有 ${code('Accept-Ranges')}：响应没有声明是否支持范围请求`);
  if (!header(res, 'cache-control') && !header(res, 'expires')) absent.push(`没有 ${code('Cache-Control')} 或 ${code('Expires')}：浏览器可以自行推算缓存时间（启发式缓存，RFC 9111 §4.2.2）`);
  if (!header(res, 'server')) absent.push(`没有 ${code('Server')}：服务器没有报出自己的软件名称`);
  w.list(absent);
  return w.blocks();
}

/** Conditional requests (If-None-Match / If-Modified-Since) and their 304s (RFC 9110 §13). */
export function conditionalRequests(lab: LabModel): Block[] {
  const w = new Writer();
  const cond = lab.exchanges.filter((e) => e.request && (header(e.request, 'if-none-match') || header(e.request, 'if-modified-since')));
  if (!cond.length) {
    if (lab.capture.truncated.frames && lab.exchanges.some((e) => e.response?.partial === 'truncated')) {
      w.p('响应头被截断（快照长度太小），看不到 ETag、Last-Modified 或条件请求的请求头，无法判断。');
      return w.blocks();
    }
    const validators = lab.exchanges.filter((e) => header(e.response, 'etag') || header(e.response, 'last-modified'));
    const noStore = validators.filter((e) => /no-store/i.test(header(e.response, 'cache-control') ?? ''));
    const forced = lab.exchanges.filter((e) => /max-age\s*=\s*0|no-cache/i.test(header(e.request, 'cache-control') ?? ''));
    const lines: string[] = [];
    if (!validators.length) lines.push('抓包中没有条件请求，响应也没有带 ETag 或 Last-Modified，没有什么可以验证。');
    else {
      lines.push(`抓包中没有条件请求（没有 If-None-Match / If-Modified-Since）；${validators.length} 个响应带了 ETag 或 Last-Modified。`);
      if (forced.length) lines.push(`${w.msg(forced[0].request!)}的请求带 ${code(`Cache-Control: ${header(forced[0].request, 'cache-control')}`)}：这是重新加载，${clientWord(lab)}要求服务器给出最新内容。`);
      if (noStore.length) lines.push(`这些响应同时带有 ${code('no-store')}（${w.msg(noStore[0].response!)}）：浏览器不保存副本，也就没有缓存可以验证，所以再次访问时也会完整地重新下载，而不是发条件请求。`);
    }
    w.list(lines);
    return w.blocks();
  }
  const lines = cond.map((e) => {
    const inm = header(e.request, 'if-none-match');
    const ims = header(e.request, 'if-modified-since');
    const earlier = lab.exchanges.find((x) => x !== e && x.request?.uri === e.request!.uri && x.response && x.response.time < e.request!.start && header(x.response, 'etag'));
    return (
      `${w.msg(e.request!)} ${code(`${e.request!.method} ${displayTarget(e.request!.uri ?? '')}`)} 带 ${[inm ? code(`If-None-Match: ${inm}`) : '', ims ? code(`If-Modified-Since: ${ims}`) : ''].filter(Boolean).join(' 和 ')}` +
      (earlier && inm ? `（${header(earlier.response, 'etag') === inm ? '正是' : '不同于'}${w.msg(earlier.response!)}响应给出的 ETag）` : '') +
      (e.response ? `；服务器${w.msg(e.response)}回答 ${e.response.code}${e.response.code === 304 ? ' Not Modified：资源没有变化，没有响应体，浏览器使用缓存的副本' : e.response.code === 200 ? '：资源已变化（或服务器不支持条件请求），返回了完整内容' : ''}` : '；没有捕获到响应')
    );
  });
  // What a reload did not ask for again: taken from the cache without a request.
  const pageEx = lab.page?.exchange;
  if (pageEx && lab.page!.reloads.length) {
    const reload = lab.page!.reloads[0].request!;
    const notAgain = lab.page!.assets.filter((a) => a.exchanges.length && a.exchanges.every((e) => e.request!.start < reload.start));
    if (notAgain.length)
      lines.push(
        `页面在${w.msg(reload)}重新加载后，${notAgain.map((a) => code(a.display)).join('、')} 没有再被请求：浏览器直接使用了缓存的副本` +
          (notAgain.every((a) => !header(a.exchanges[0].response, 'cache-control') && header(a.exchanges[0].response, 'last-modified'))
            ? `。它们的响应没有 Cache-Control，只有 Last-Modified，浏览器按启发式规则认为它们仍然新鲜（RFC 9111 §4.2.2）`
            : '') +
          '。',
      );
    const forced = /max-age\s*=\s*0/i.test(header(reload, 'cache-control') ?? '');
    if (forced) lines.push(`重新加载的请求带 ${code(`Cache-Control: ${header(reload, 'cache-control')}`)}：即使页面的缓存还新鲜，浏览器也要向服务器确认一次，所以页面本身发了条件请求。`);
  }
  w.list(lines);
  return w.blocks();
}
