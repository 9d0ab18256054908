/**
 * Text from a capture cannot become Markdown or HTML markup (issue 15, "Markdown injection by a
 * lone CR"). Lone CR / LF / TAB / NUL, bidi overrides, zero-width characters, backticks, `|`,
 * `](javascript:…)`, `![…](http://…)` and `<img>` are put in a URI, header values, Content-Range,
 * If-None-Match, a status line and the page's 专业/姓名 fields of a capture this test writes; the
 * report's Markdown is parsed back with markdown-it (HTML and linkify *on*, the most permissive
 * reading) and its HTML opened in Chromium.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import MarkdownIt from 'markdown-it';
import { code, esc, markdownTable, visible } from '../lib';
import { ROOT } from './support/tshark';
import { httpResponse, writeHttpCapture } from './support/http-capture';

type Token = ReturnType<MarkdownIt['parse']>[number];
const strict = new MarkdownIt({ html: true, linkify: true });

/** Every markup a hostile string could have produced, as a list of findings. */
function audit(md: string, allowImage: (src: string) => boolean = () => false): string[] {
  const bad: string[] = [];
  const walk = (tokens: Token[], inHeading: boolean) => {
    for (const t of tokens) {
      if (t.type === 'link_open' && !(t.attrGet('href') ?? '').startsWith('#')) bad.push(`link to ${t.attrGet('href')}`);
      if (t.type === 'image' && !allowImage(t.attrGet('src') ?? '')) bad.push(`image ${t.attrGet('src')}`);
      // The report's own anchors (`<a id="fig-x"></a>`, so links work in any Markdown viewer) are the only HTML.
      if ((t.type === 'html_inline' || t.type === 'html_block') && !/^(<a id="[\w-]+">|<\/a>)$/.test(t.content)) bad.push(`raw HTML ${JSON.stringify(t.content.slice(0, 60))}`);
      if (inHeading && /INJ/.test(t.content)) bad.push(`injected heading ${JSON.stringify(t.content.slice(0, 60))}`);
      if (t.children) walk(t.children, inHeading);
    }
  };
  const tokens = strict.parse(md, {});
  tokens.forEach((t, i) => walk([t], i > 0 && tokens[i - 1].type === 'heading_open'));
  return bad;
}

/** Every `Hk … Tk` marker pair must sit in one inline run (a broken code span or table row splits it). */
function splitMarkers(md: string, ks: number[]): number[] {
  const inlines = strict.parse(md, {}).filter((t) => t.type === 'inline').map((t) => t.content);
  return ks.filter((k) => md.includes(`H${k}`) && !inlines.some((c) => new RegExp(`H${k}\\b[\\s\\S]*T${k}\\b`).test(c)));
}

const INVISIBLE_RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** A value with everything at once; `k` names it in the findings. No LF (it would end a header line). */
const nastyText = (k: number) =>
  `H${k}\u202Eb\u200Bz\u2066i\u2069\uFEFF\r# INJ${k}\r| x | y |\r[l${k}](javascript:alert(${k})) ![i${k}](http://evil.example/${k}.png) <img src=http://evil.example/${k}.png> <script>alert(${k})</script> \`c\` \`\`\`f \t \u0000 \u2028l\u2029 | p ](javascript:x) T${k}`;
/** The same for a request URI (no spaces). */
const nastyUriText = (k: number) => `H${k}\r%23INJ${k}[l${k}](javascript:alert(${k}))![i${k}](http://evil.example/${k}.png)<img/src=x>\`|\u0000T${k}`;

describe('escaping helpers', () => {
  const values = [nastyText(1), nastyUriText(2), '\n# INJ3 heading\n', '\r\n---\r\n', 'a\u0085b\u000bc\u000cd', '`', '``', ' `x` ', '\\|', 'x\\', '-', '+ INJ4', '1. INJ5', '=', '&lt;img&gt;', '$x$', '@mention', 'www.evil.example'];

  test('esc: every value stays one inert paragraph of text', () => {
    for (const v of values) {
      const md = `前 ${esc(v)} 后`;
      expect(audit(md)).toEqual([]);
      const tokens = strict.parse(md, {});
      expect(tokens.map((t) => t.type)).toEqual(['paragraph_open', 'inline', 'paragraph_close']);
      expect(tokens[1].children!.every((c) => c.type === 'text')).toBe(true);
      // What a reader sees is the value itself, invisible characters spelled out.
      expect(tokens[1].children!.map((c) => c.content).join('')).toBe(`前 ${visible(v)} 后`);
    }
  });

  test('code: every value stays one code span with its exact (visible) content', () => {
    for (const v of values) {
      const md = `前 ${code(v)} 后`;
      expect(audit(md)).toEqual([]);
      const spans = strict.parse(md, {})[1].children!.filter((c) => c.type === 'code_inline');
      expect(spans.map((s) => s.content)).toEqual([visible(v)]);
    }
  });

  test('markdownTable: one row per row, one cell per cell, whatever the cells hold', () => {
    const rows = values.map((v, i) => [String(i), code(v), esc(v)]);
    const md = markdownTable(['#', 'code', 'text'], rows);
    expect(audit(md)).toEqual([]);
    const tokens = strict.parse(md, {});
    expect(tokens.filter((t) => t.type === 'tr_open')).toHaveLength(rows.length + 1);
    const cells = tokens.filter((t) => t.type === 'inline').map((t) => t.content);
    // Row by row, the first cell is the row's index: no row was split or merged.
    for (let i = 0; i < rows.length; i++) expect(cells[3 * (i + 1)]).toBe(String(i));
  });

  test('visible: bidi, zero-width, separators and controls are spelled out; ordinary text is not touched', () => {
    expect(visible('a\u202Eb\u200Bc\u2028d\re\u0000f\u0085g\tz')).toBe('a<U+202E>b<U+200B>c<U+2028>d<U+000D>e<U+0000>f<U+0085>g z');
    expect(visible('专业：物联网工程 Ünïcödé 😀')).toBe('专业：物联网工程 Ünïcödé 😀');
    expect(visible('\uD800x')).toBe('<U+D800>x');
  });
});

function reasonToSkip(): string | undefined {
  if (!fs.existsSync('/usr/bin/chromium')) return 'chromium is not installed';
  return undefined;
}

(reasonToSkip() ? describe.skip : describe)('a hostile capture through the whole report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-hostile-md-'));
  const capture = path.join(dir, 'hostile.pcap');
  let md = '';
  let html = '';
  const ks = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12];

  beforeAll(() => {
    // 专业 and 姓名 are read up to 60 characters: the short form fits.
    const short = (k: number) => `H${k}\u202Eb\u200Bz\r# INJ${k} [l](javascript:alert(${k})) T${k}`;
    // HTTP ends a line at a lone CR (RFC 9112 §2.2 lets a recipient do so; Wireshark and wirenote
    // do), so in a header value or a URI a CR would end the line: there it is VT instead. The
    // page's fields keep their CR.
    const nasty = (k: number) => nastyText(k).replace(/\r/g, '\u000b');
    const nastyUri = (k: number) => nastyUriText(k).replace(/\r/g, '\u000b');
    // The page names its logo, audio and icon, so the narrative follows them (and their headers).
    const logo = `/logo${nastyUri(8)}.jpg`;
    const attr = (u: string) => u.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\r\u000b]/g, (c) => `&#${c.charCodeAt(0)};`);
    const page = `<html><head><title>t</title><link rel="icon" href="/icon.jpg"></head><body><p>专业：${short(6)}</p><p>学号：2024001</p><p>姓名：${short(7)}</p><img src="${attr(logo)}"><audio src="/intro.mp3" controls></audio></body></html>`;
    writeHttpCapture(capture, [
      [
        { request: `GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: ${nasty(1)}\r\nX-Note: ${nasty(2)}\r\n\r\n`, response: httpResponse('200 OK', [['Content-Type', 'text/html; charset=utf-8'], ['ETag', nasty(3)], ['Keep-Alive', nasty(4)], ['Cache-Control', nasty(5)]], page) },
        { request: `GET ${logo} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n`, response: httpResponse(`200 OK${nasty(12)}`, [['Content-Type', 'image/jpeg']], Buffer.alloc(100, 0xff)) },
        { request: `GET /intro.mp3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nRange: bytes=0-${nasty(9)}\r\n\r\n`, response: httpResponse('206 Partial Content', [['Content-Type', 'audio/mpeg'], ['Content-Range', `bytes 0-9/10${nasty(10)}`]], Buffer.alloc(10, 1)) },
        { request: `GET /icon.jpg HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nIf-None-Match: ${nasty(11)}\r\n\r\n`, response: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n' },
      ],
    ]);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'lib', 'bin', 'wirenote.js'), 'report', '--no-pdf', '--capture', capture, '--out', path.join(dir, 'report')], { encoding: 'utf8', timeout: 180000 });
    if (r.status !== 0) throw new Error(`report failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    md = fs.readFileSync(path.join(dir, 'report', '实验报告.md'), 'utf8');
    html = fs.readFileSync(path.join(dir, 'report', '实验报告.html'), 'utf8');
  }, 200000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the hostile values reach the report (so the checks below check something)', () => {
    for (const k of ks) expect(md).toContain(`H${k}`);
    for (const k of [1, 3, 6, 8, 9, 10, 11]) expect(md).toMatch(new RegExp(`H${k}[^\\n]*INJ${k}`));
    expect(md).toContain('<U+000B>'); // the stand-in for CR in header values and the URI
    expect(md).toContain('<U+202E>'); // from the UTF-8 page
    expect(md).toContain('<U+0000>');
  });

  test('Markdown: no link, image, raw HTML or heading came from the capture; no code span or table row was broken', () => {
    expect(audit(md, (src) => /^figures\/[\w-]+\.svg$/.test(src))).toEqual([]);
    expect(splitMarkers(md, ks)).toEqual([]);
    expect(md).not.toMatch(INVISIBLE_RAW);
    // Table rows: every row of every table has its header's number of cells in the source.
    const tokens = strict.parse(md, {});
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i].type !== 'table_open') continue;
      const [start, end] = tokens[i].map!;
      const lines = md.split('\n').slice(start, end);
      const cells = (l: string) => l.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
      for (const l of lines) expect(cells(l)).toBe(cells(lines[0]));
    }
  });

  test('HTML in Chromium: no external link, no image, no script, nothing requested', async () => {
    expect(html).not.toMatch(INVISIBLE_RAW);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const dialogs: string[] = [];
      page.on('request', (r: { url(): string }) => requests.push(r.url()));
      page.on('dialog', async (d: { message(): string; dismiss(): Promise<void> }) => {
        dialogs.push(d.message());
        await d.dismiss();
      });
      await page.goto(`file://${path.join(dir, 'report', '实验报告.html')}`, { waitUntil: 'load' });
      const found = await page.evaluate(() => ({
        links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')!).filter((h) => !h.startsWith('#')),
        images: document.querySelectorAll('img, image, script, iframe, object, embed, [onerror], [onload]').length,
        headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => h.textContent ?? '').filter((t) => /INJ/.test(t)),
        deadAnchors: [...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href')!.slice(1)).filter((id) => !document.getElementById(id)),
        text: document.body.innerText,
      }));
      expect(found.links).toEqual([]);
      expect(found.images).toBe(0);
      expect(found.headings).toEqual([]);
      expect(found.deadAnchors).toEqual([]);
      expect(found.text).toContain('javascript:alert(1)'); // shown, as text
      expect(found.text).toContain('<U+202E>');
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60000);
});
