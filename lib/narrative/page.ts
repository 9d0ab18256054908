/**
 * Topics about the student's page: where it is in the capture, what it states, what it loads
 * (found through its own elements), and the lab's checklist.
 */
import { LabModel } from '../lab/model';
import { Asset, assetOf, deliveringExchange, sniffedOf } from '../lab/page';
import { CheckStatus, labChecks } from '../lab/checks';
import { header, LabExchange } from '../lab/http';
import { Block, code, esc } from './blocks';
import { clientWord } from './capture';
import { bytes, Writer } from './text';

const ROLE_NAME: Record<Asset['role'], string> = {
  logo: 'LOGO（页面的第一个 `<img>`）',
  audio: '自我介绍音频（`<audio>`）',
  icon: '网页图标（`<link rel="icon">`）',
  favicon: '浏览器默认请求的 `/favicon.ico`',
  image: '其他图片（`<img>`）',
  media: '其他媒体（`<source>`/`<video>`）',
  stylesheet: '样式表',
  script: '脚本',
};

const ELEMENT: Record<string, (raw: string) => string> = {
  img: (r) => `<img src="${r}">`,
  audio: (r) => `<audio src="${r}">`,
  source: (r) => `<source src="${r}">`,
  video: (r) => `<video src="${r}">`,
  icon: (r) => `<link rel="icon" href="${r}">`,
  stylesheet: (r) => `<link rel="stylesheet" href="${r}">`,
  script: (r) => `<script src="${r}">`,
};

const SNIFF_NAME: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  gif: 'GIF',
  webp: 'WebP',
  ico: 'ICO',
  svg: 'SVG',
  mp3: 'MP3',
  ogg: 'Ogg',
  wav: 'WAV',
  mp4: 'MP4',
  html: 'HTML',
  gzip: 'gzip 压缩数据',
};

/** How the page wrote the reference (a <link>'s rel as written: "shortcut icon" names an icon too). */
function refText(r: Asset['ref'] & object): string {
  if (r.element === 'icon' || r.element === 'stylesheet') return `<link rel="${(r.rel ?? [r.element]).join(' ')}" href="${r.raw}">`;
  return ELEMENT[r.element]?.(r.raw) ?? r.raw;
}

function contentCheck(ex: LabExchange | undefined): string {
  if (!ex?.response) return '—';
  if (!ex.response.body?.length) return ex.response.partial === 'truncated' ? '响应体未被捕获（包被截断）' : ex.response.partial ? '响应没有被完整捕获，无法核对' : '无响应体';
  const s = sniffedOf(ex);
  if (!s || s.type === 'unknown') return '开头字节无法识别';
  if (ex.response.partial) return `开头字节 ${code(s.magic ?? '')} → ${SNIFF_NAME[s.type]}${s.detail ? `（${esc(s.detail)}）` : ''}（响应没有传完）`;
  return `开头字节 ${code(s.magic ?? '')} → ${SNIFF_NAME[s.type]}${s.detail ? `（${esc(s.detail)}）` : ''}`;
}

/** The page and its assets. */
export function pageAndAssets(lab: LabModel): Block[] {
  const w = new Writer();
  const page = lab.page;
  if (!page && lab.capture.truncated.frames && lab.exchanges.length) {
    w.p(
      `**抓包时每个包只保存了前 ${lab.capture.truncated.snapLen ?? '若干'} 字节，页面的内容没有被保存**：能看到请求行和状态行，却读不出页面上的专业、学号、姓名，也无法根据页面的 ${code('<img>')}、${code('<audio>')} 判断哪个文件是 LOGO、哪个是音频。请不限制快照长度重新抓包。`,
    );
    return w.blocks();
  }
  if (!page) {
    const late = lab.connections.filter((c) => !c.handshake.syn).length;
    w.p(
      `**抓包中没有学生的页面**：没有找到写着专业、学号、姓名的 HTML 响应${lab.exchanges.length ? `（本实验的 ${lab.counts.requests} 个请求中没有页面本身）` : ''}。` +
        (late ? `抓包开始时已有 ${late} 条连接处于打开状态（没有捕获到它们的 SYN），说明抓包是在页面加载之后才开始的。` : '') +
        `没有页面，就无法根据页面里的 ${code('<img>')}、${code('<audio>')} 判断哪个文件是 LOGO、哪个是音频。请先开始抓包，再打开页面（无痕窗口可避免浏览器直接用缓存）。`,
    );
    const media = lab.exchanges.filter((e) => /^(image|audio|video)\//.test(e.mediaType ?? ''));
    if (media.length) w.p(`抓包中能看到的图片和音频响应：${media.slice(0, 10).map((e) => `${w.msg(e.response!)} ${code(e.request?.uri ?? '（请求未捕获）')} → ${code(e.mediaType!)}`).join('；')}。`);
    return w.blocks();
  }
  const ex = page.exchange;
  const res = ex.response!;
  const id = page.profile;
  const decoded: string[] = [];
  if (page.codings.length) decoded.push(`响应体用 ${code(`Content-Encoding: ${page.codings.join(', ')}`)} 压缩，先解压才能读出文字`);
  const te = header(res, 'transfer-encoding');
  if (te) decoded.push(`以 ${code(`Transfer-Encoding: ${te}`)} 分块传输（分块已由 HTTP 重组去掉）`);
  decoded.push(
    page.text.source === 'content-type'
      ? `文字按响应头声明的 ${code(`charset=${page.text.charset}`)} 解码`
      : page.text.source === 'meta'
        ? `响应头没有声明字符集，按页面 ${code(`<meta charset="${page.text.charset}">`)} 解码`
        : page.text.source === 'bom'
          ? '文字按开头的 UTF-8 BOM 解码'
          : `响应头和页面都没有声明字符集，按 UTF-8 解码`,
  );
  const stated = [id.major ? `专业 ${code(id.major)}` : undefined, id.studentId ? `学号 ${code(id.studentId)}` : undefined, id.name ? `姓名 ${code(id.name)}` : undefined].filter(Boolean);
  const missing = [!id.major && '专业', !id.studentId && '学号', !id.name && '姓名'].filter(Boolean);
  w.p(
    `学生的页面是${w.msg(res)}的响应（对${ex.request ? `${w.msg(ex.request)}的 ${code(`${ex.request.method} ${ex.request.uri}`)}` : '一个未被捕获的请求'}，状态 ${res.code}，${code(ex.contentType ?? '无 Content-Type')}${res.bodyLength !== undefined ? `，响应体 ${bytes(res.bodyLength)}` : ''}）：` +
      `${decoded.join('；')}。` +
      (stated.length ? `页面写着${stated.join('、')}` : '页面里没有找到专业、学号、姓名') +
      (missing.length && stated.length ? `，但没有${missing.join('、')}` : '') +
      (id.title ? `；页面标题是 ${code(id.title)}` : '') +
      '。',
  );
  const notes: string[] = [];
  if (page.capped) notes.push('页面解压后超过 8 MiB，只读取了前 8 MiB。');
  if (page.decodeProblem)
    notes.push(
      page.decodeProblem.kind === 'unsupported'
        ? `内容编码 ${code(page.decodeProblem.coding)} 无法解码，页面文字读不出来。`
        : `压缩数据${page.decodeProblem.kind === 'incomplete' ? '没有完整捕获，只读出了开头部分' : '已损坏'}。`,
    );
  if (page.reloads.length) notes.push(`页面之后又被请求了 ${page.reloads.length} 次（${page.reloads.map((r) => w.msg(r.request!)).join('、')}），即重新加载。`);
  w.list(notes);

  const rows = page.assets.map((a) => {
    const d = deliveringExchange(a);
    return [
      ROLE_NAME[a.role],
      a.ref ? code(refText(a.ref)) : '（页面中没有）',
      a.exchanges.length ? a.exchanges.slice(0, 4).map((e) => (e.request ? w.msg(e.request) : '—')).join('、') + (a.exchanges.length > 4 ? ` 等 ${a.exchanges.length} 次` : '') : '未请求',
      d?.response ? `${w.msg(d.response)}：${d.response.code}${d.mediaType ? ` ${code(d.mediaType)}` : '（无 Content-Type）'}` : '—',
      contentCheck(d),
    ];
  });
  if (rows.length) w.table('assets', '页面引用的资源（按页面元素找到，不看文件名）', ['角色', '页面中的写法', '请求', '响应', '内容核对'], rows);
  else w.p('页面里没有 `<img>`、`<audio>` 或 `<link rel="icon">`：它没有引用任何资源。');

  const more: string[] = [];
  for (const a of page.assets) {
    if (a.display !== a.target) more.push(`${code(a.display)} 在请求行里写作 ${code(a.target)}：URI 中的非 ASCII 字符按 UTF-8 编码后再百分号转义（RFC 3986 §2.1）。`);
  }
  const fav = assetOf(page, 'favicon');
  const icon = assetOf(page, 'icon');
  if (fav && !icon) {
    const r = deliveringExchange(fav)?.response;
    more.push(
      `页面没有 ${code('<link rel="icon">')}，所以${clientWord(lab)}按惯例自己请求了 ${code('/favicon.ico')}（${fav.exchanges.map((e) => w.msg(e.request!)).join('、')}）` +
        (r ? `，服务器回答 ${r.code}（${w.msg(r)}）${r.code === 404 ? '：文件不存在，这不是页面出错，只是网站没有提供默认图标' : ''}` : '，抓包中没有它的响应') +
        '。',
    );
  }
  if (icon && icon.exchanges.length > 1) more.push(`图标被请求了 ${icon.exchanges.length} 次（${icon.exchanges.map((e) => w.msg(e.request!)).join('、')}），响应状态依次为 ${icon.exchanges.map((e) => e.response?.code ?? '未捕获').join('、')}。`);
  if (icon && !icon.exchanges.length) more.push(`页面用 ${code(refText(icon.ref!))} 指定了图标，但抓包中没有它的请求。`);
  const logo = assetOf(page, 'logo');
  if (logo && /icon/i.test(logo.display)) more.push(`LOGO 的文件名 ${code(logo.display)} 里有 "icon"，但它是页面 ${code('<img>')} 显示的图片，所以是 LOGO，不是网页图标。`);
  w.list(more);
  return w.blocks();
}

/** Why the title page has no 专业/学号/姓名 (undefined when it has them). */
export function identityMissing(lab: LabModel): string | undefined {
  const p = lab.page;
  if (p && p.identityFields === 3) return undefined;
  if (p) return `第 ${p.exchange.response!.frame} 帧的页面没有写全专业、学号、姓名`;
  if (lab.capture.truncated.frames && lab.exchanges.length) return `抓包时每个包只保存了前 ${lab.capture.truncated.snapLen ?? '若干'} 字节，页面内容没有被保存，读不出专业、学号、姓名`;
  return '抓包中没有找到含专业、学号、姓名的页面';
}

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', unknown: '？' };

/** 实验要求核对表: the lab's requirements, checked on this capture. */
export function checklist(lab: LabModel): Block[] {
  const c = labChecks(lab);
  const w = new Writer();
  const id = lab.page?.profile;
  const noPage = lab.capture.truncated.frames ? '包被截断，页面内容没有被保存，无法判断' : '抓包中没有学生的页面，无法判断';
  const identity =
    c.identity.why === 'found'
      ? `专业 ${code(id!.major!)}，学号 ${code(id!.studentId!)}，姓名 ${code(id!.name!)}（页面在${w.msg(lab.page!.exchange.response!)}）`
      : c.identity.why === 'some-missing'
        ? `页面（${w.msg(lab.page!.exchange.response!)}）只写了其中 ${c.identity.evidence.fields} 项`
        : c.identity.why === 'none-on-page'
          ? `页面（${w.msg(lab.page!.exchange.response!)}）没有写专业、学号、姓名`
          : c.identity.why === 'no-http'
            ? '抓包中没有 HTTP'
            : noPage;
  const logoEx = c.logo.evidence.exchange;
  const logo: Record<string, () => string> = {
    jpeg: () => `${code(c.logo.evidence.asset!.display)}：${w.msg(logoEx!.response!)}，${code(logoEx!.mediaType ?? '')}，开头字节 ${code(sniffedOf(logoEx)!.magic ?? '')}`,
    'no-img': () => '页面里没有 `<img>`',
    'not-requested': () => `页面的 \`<img>\` 指向 ${code(c.logo.evidence.asset!.display)}，但抓包中没有它的请求`,
    'no-response': () => `${w.msg(logoEx!.request!)}请求了 ${code(c.logo.evidence.asset!.display)}，但没有捕获到响应`,
    status: () => `${code(c.logo.evidence.asset!.display)} 的响应是 ${logoEx!.response!.code}（${w.msg(logoEx!.response!)}）`,
    'response-partial': () => `${code(c.logo.evidence.asset!.display)} 的响应只看到状态行（${w.msg(logoEx!.response!)}），响应头和内容没有被完整解析，无法核对`,
    'head-only': () => `${code(c.logo.evidence.asset!.display)} 只被 HEAD 请求过（${w.msg(logoEx!.request!)}）：HEAD 的响应没有响应体，无法核对它是不是 JPEG`,
    'body-not-captured': () => `${code(c.logo.evidence.asset!.display)} 的响应体没有被捕获，无法核对内容`,
    'type-not-jpeg': () => `内容是 JPEG，但 Content-Type 是 ${code(logoEx!.mediaType ?? '无')}`,
    'not-jpeg': () => `${code(c.logo.evidence.asset!.display)} 的内容不是 JPEG（${contentCheck(logoEx)}）`,
    'no-page': () => noPage,
    'no-http': () => '抓包中没有 HTTP',
  };
  const au = c.audio.evidence;
  const audio: Record<string, () => string> = {
    'mp3-206': () => `${code(au.asset!.display)}：${w.msg(au.ranged!.request!)}带 ${code(`Range: ${header(au.ranged!.request, 'range')}`)}，${w.msg(au.ranged!.response!)}回答 206，${code(`Content-Range: ${header(au.ranged!.response, 'content-range')}`)}`,
    'mp3-206-partial': () => `${code(au.asset!.display)}：${w.msg(au.ranged!.request!)}带 Range，${w.msg(au.ranged!.response!)}回答 206（响应体没有完整捕获）`,
    'no-audio': () => '页面里没有 `<audio>`',
    'not-requested': () => `页面的 \`<audio>\` 指向 ${code(au.asset!.display)}，但抓包中没有它的请求：请在抓包期间点击播放音频`,
    'no-response': () => `请求了 ${code(au.asset!.display)}，但没有捕获到响应`,
    'mp3-200-no-range': () => `${code(au.asset!.display)}：${w.msg(au.exchange!.request!)}的请求没有带 Range，${w.msg(au.exchange!.response!)}以 200 返回整个文件（${code(au.exchange!.mediaType ?? '')}）；所以这个抓包里没有 206`,
    'mp3-200-range-ignored': () => `${code(au.asset!.display)}：${w.msg(au.exchange!.request!)}带了 ${code(`Range: ${header(au.exchange!.request, 'range')}`)}，但服务器在${w.msg(au.exchange!.response!)}以 200 返回整个文件：它不支持范围请求，所以没有 206`,
    status: () => `${code(au.asset!.display)} 的响应是 ${au.exchange!.response!.code}（${w.msg(au.exchange!.response!)}）`,
    'bad-content-range': () => `${w.msg(au.exchange!.response!)}回答 206，但它的 ${code(`Content-Range: ${header(au.exchange!.response, 'content-range') ?? '（没有）'}`)} 无法解析：206 响应必须说明返回的是哪一段字节（RFC 9110 §14.4）`,
    'type-not-mp3': () => `${w.msg(au.exchange!.response!)}响应的 Content-Type 是 ${code(au.exchange!.mediaType ?? '无')}，不是 audio/mpeg`,
    'response-partial': () => `${code(au.asset!.display)} 的响应只看到状态行（${w.msg(au.exchange!.response!)}：${au.exchange!.response!.code}），响应头和内容没有被完整解析，无法核对`,
    'not-mp3': () => `内容不是 MP3（${contentCheck(au.exchange)}）`,
    'no-page': () => noPage,
    'no-http': () => '抓包中没有 HTTP',
  };
  const h = c.http.evidence;
  const http = c.http.status === 'pass' ? `${lab.counts.requests} 个请求、${lab.counts.responses} 个响应，都是明文 HTTP${h.tls ? `；另有 ${h.tls} 条 TLS 连接（见"其他流量"），不影响本实验` : '，没有 TLS'}` : h.tls ? `只有 ${h.tls} 条 TLS（HTTPS）连接，没有明文 HTTP` : '抓包中没有 HTTP';
  const hs = c.handshake.evidence.connection;
  const handshake =
    c.handshake.status === 'pass'
      ? `连接 ${hs!.stream}：${w.frame(hs!.handshake.syn!, 'syn')}、${w.frame(hs!.handshake.synAck!, 'syn-ack')}、${w.frame(hs!.handshake.ack!, 'ack')}`
      : c.handshake.why === 'partial'
        ? `连接 ${hs!.stream} 只捕获到握手的一部分`
        : '没有捕获到任何一条连接的 SYN：抓包开始得太晚，请在打开页面之前开始抓包';
  const td = c.teardown.evidence.connection;
  const teardown =
    c.teardown.status === 'pass'
      ? `连接 ${td!.stream}：FIN 在${w.frames(td!.teardown.fins.map((f) => f.frame), 'fin')}`
      : c.teardown.why === 'partial'
        ? `连接 ${td!.stream} 只捕获到 ${td!.teardown.fins.length} 个 FIN（${w.frames(td!.teardown.fins.map((f) => f.frame), 'fin')}）`
        : c.teardown.why === 'rst'
          ? `连接 ${td!.stream} 以 RST 结束（${w.frame(td!.teardown.rst!.frame, 'rst')}），没有正常挥手`
          : '抓包停止时所有连接都还开着：请在连接关闭（关闭浏览器，或等服务器的 keep-alive 超时）之后再停止抓包';
  const rows = [
    ['页面文字包含专业、学号、姓名', MARK[c.identity.status], identity],
    ['传输了 JPEG 格式的 LOGO', MARK[c.logo.status], logo[c.logo.why]()],
    ['传输了 MP3 自我介绍音频（浏览器用 Range 请求时应得到 206）', MARK[c.audio.status], audio[c.audio.why]()],
    ['使用 HTTP 而不是 HTTPS', MARK[c.http.status], http],
    ['捕获到三次握手', MARK[c.handshake.status], handshake],
    ['捕获到连接释放（挥手）', MARK[c.teardown.status], teardown],
  ];
  w.table('checklist', '实验要求核对表（✓ 满足，✗ 不满足，？ 抓包中缺少判断所需的证据）', ['要求', '结果', '依据'], rows);
  return w.blocks();
}

