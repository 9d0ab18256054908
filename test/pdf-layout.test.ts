/**
 * The printed report: `wirenote report` (what `npm run report` runs: the notebooks executed, the
 * report assembled, printed to A4 by Chromium through printPdf), read back page by page with
 * poppler (pdfinfo, pdftotext, pdffonts) — an independent reader of the PDF. Checked: no page ends with a heading or a table
 * caption; the reference report has no page more than half empty except where a chapter ends;
 * lossy captures stay within 25 pages; the contents' page numbers are where pdftotext finds each
 * chapter; every page has the running header (the student's name) and footer (page N of M); the
 * fonts are embedded as real fonts (no Type 3); inline code is not broken inside a URI.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, SHARED_CAPTURES, runTshark, tsharkAvailable } from './support/tshark';
import { haveChromium } from './support/chromium';
import * as wn from '../lib';

const REFERENCE = path.join(ROOT, 'captures', 'first-visit-server-close.pcapng');
const SCENARIOS = path.join(ROOT, 'test', 'scenarios', 'captures');
const TITLE = '实验二：分析浏览器与 Web 服务器的交互过程';
const LOSSY = [path.join(SCENARIOS, 'veth-loss.pcapng'), path.join(SHARED_CAPTURES, 'pcap2har/fhs_ncomp.pcap')].filter((f) => fs.existsSync(f));
const IPV6 = [path.join(SCENARIOS, 'ipv6-localhost.pcapng'), path.join(SHARED_CAPTURES, 'PcapPlusPlus/one_ipv6_http_stream.pcap')].filter((f) => fs.existsSync(f));

// A4 in PDF points and the report's @page margins (20 mm top, 18 mm bottom).
const PAGE_H = 841.89;
const MM = 72 / 25.4;
const TOP = 20 * MM;
const BOTTOM = PAGE_H - 18 * MM;

interface Printed {
  file: string;
  html: string;
  pages: number;
  /** Text of each page as pdftotext -layout gives it, header and footer lines included. */
  text: string[];
  /** Lowest text on each page inside the margins, as a share of the content height. */
  fill: number[];
  identity: { major?: string; studentId?: string; name?: string };
}

const haveBin = (b: string) => spawnSync(b, ['-v']).error === undefined;

/** `wirenote report` on a capture (notebooks executed, report assembled, PDF printed), read back. */
async function print(capture: string): Promise<Printed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-pdf-'));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'lib', 'bin', 'wirenote.js'), 'report', '--capture', capture, '--out', dir], { cwd: ROOT, encoding: 'utf8', timeout: 240000 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`wirenote report failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const file = path.join(dir, '实验报告.pdf');
  const html = fs.readFileSync(path.join(dir, '实验报告.html'), 'utf8');
  const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout)![1]);
  const text: string[] = [];
  for (let p = 1; p <= pages; p++) text.push(spawnSync('pdftotext', ['-layout', '-f', String(p), '-l', String(p), file, '-'], { encoding: 'utf8' }).stdout);
  const bbox = spawnSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  const fill = [...bbox.matchAll(/<page[^>]*>([\s\S]*?)<\/page>/g)].map((m) => {
    const ys = [...m[1].matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)].map((w) => [Number(w[1]), Number(w[2])]).filter(([y0]) => y0 > TOP && y0 < BOTTOM);
    return ys.length ? (Math.max(...ys.map(([, y1]) => y1)) - TOP) / (BOTTOM - TOP) : 0;
  });
  const { lab } = await wn.loadLab(capture);
  return { file, html, pages, text, fill, identity: lab.page?.profile ?? {} };
}

const norm = (s: string) => s.replace(/\s+/g, '');
const decode = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Headings and table captions (which stand above their tables) of the HTML. */
function headings(html: string): string[] {
  const h = [...html.matchAll(/<h[1-4][^>]*>([\s\S]*?)<\/h[1-4]>/g)].map((m) => decode(m[1]));
  const captions = [...html.matchAll(/<figure class="table"[^>]*><figcaption>([\s\S]*?)<\/figcaption>/g)].map((m) => decode(m[1]));
  return [...h, ...captions].map(norm).filter(Boolean);
}

/** Content lines of a page: without the running header (first line) and footer (last line). */
function content(page: string): string[] {
  const lines = page.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(1, -1);
}

function endsWithHeading(page: string, heads: string[]): string | undefined {
  const lines = content(page).map(norm);
  if (!lines.length) return undefined;
  const last = lines[lines.length - 1];
  const two = lines.slice(-2).join('');
  return heads.find((h) => h === last || h === two);
}

const skip = !haveChromium() || !haveBin('pdftotext') || !haveBin('pdffonts') || !tsharkAvailable();
(skip ? describe.skip : describe)('the printed report (A4 PDF)', () => {
  let ref: Printed;
  const lossy: Printed[] = [];
  const ipv6: Printed[] = [];
  beforeAll(async () => {
    ref = await print(REFERENCE);
    for (const f of LOSSY) lossy.push(await print(f));
    for (const f of IPV6) ipv6.push(await print(f));
  }, 900000);
  const all = () => [ref, ...lossy, ...ipv6];

  test('there is a lossy and an IPv6 capture to print', () => {
    expect(lossy.length).toBeGreaterThan(0);
    expect(ipv6.length).toBeGreaterThan(0);
    const retrans = runTshark(LOSSY[0], ['tcp.analysis.retransmission']).stdout.split('\n').filter((l) => l === '1');
    expect(retrans.length).toBeGreaterThan(0);
  });

  test('no page ends with a heading or a table caption', () => {
    for (const p of all()) {
      const heads = headings(p.html);
      expect(heads.length).toBeGreaterThan(8);
      const bad = p.text.map((t, i) => [i + 1, endsWithHeading(t, heads)]).filter(([, h]) => h);
      expect({ file: path.basename(p.file), bad }).toEqual({ file: path.basename(p.file), bad: [] });
    }
  });

  test('no page more than half empty except where a chapter ends (the reference, and the lossy and IPv6 reports too)', () => {
    // A figure is under half a page and a table over half a page may continue on the next: moving
    // either on never leaves a page more than half empty (lib/report/style.ts, print.ts).
    for (const p of all()) {
      const starts = chapterStarts(p);
      const bad = p.fill.map((f, i) => ({ page: i + 1, fill: Math.round(f * 100) })).filter((x) => x.page < p.pages && !starts.includes(x.page + 1) && x.fill < 50);
      expect({ file: fileOf(p), bad }).toEqual({ file: fileOf(p), bad: [] });
    }
  });

  test('a table that continues on the next page repeats its header row there and keeps at least three rows on each page', () => {
    let continued = 0;
    for (const p of all()) {
      const tables = tablesOf(p.html);
      p.text.forEach((t, i) => {
        const lines = content(t).map(norm);
        // A page opening with a table's header row, right after a page on which that table began.
        const before = i > 0 ? content(p.text[i - 1]).map(norm) : [];
        const tb = tables.find((x) => x.head === lines[0] && before.includes(x.head));
        if (!tb) return;
        continued++;
        const first = rowsFrom(tb.rows, before.slice(before.lastIndexOf(tb.head) + 1), 0);
        const rest = rowsFrom(tb.rows, lines.slice(1), first);
        expect({ file: fileOf(p), page: i + 1, rows: [first, rest], enough: first >= 3 && rest >= 3 }).toEqual({ file: fileOf(p), page: i + 1, rows: [first, rest], enough: true });
      });
    }
    // The lossy lab capture's per-segment table is longer than half a page: it does continue.
    expect(continued).toBeGreaterThan(0);
  });

  test('a lossy capture prints on at most 25 pages', () => {
    for (const p of lossy) expect({ file: p.file, pages: p.pages <= 25 }).toEqual({ file: p.file, pages: true });
  });

  test('contents on the title page, with the page pdftotext finds each chapter on', () => {
    for (const p of all()) {
      const toc = content(p.text[0]).map((l) => /^\s*(\d)\.\s*(.+?)\s+(\d+)\s*$/.exec(l)).filter((m): m is RegExpExecArray => !!m);
      expect(toc.length).toBe(8);
      const starts = chapterStarts(p);
      for (const m of toc) {
        const at = p.text.findIndex((t) => norm(content(t)[0] ?? '') === norm(`${m[1]} ${m[2]}`));
        expect([m[2], Number(m[3])]).toEqual([m[2], at + 1]);
      }
      expect(starts).toHaveLength(8);
    }
  });

  test('every page has the running header with the student and the footer "第 N 页 / 共 M 页"', () => {
    const profile = JSON.parse(fs.readFileSync(path.join(ROOT, 'site', 'profile.json'), 'utf8'));
    expect(ref.identity.name).toBe(profile.name);
    for (const p of all())
      p.text.forEach((t, i) => {
        const lines = t.split('\n').filter((l) => l.trim());
        expect(lines[0]).toContain(TITLE);
        if (p.identity.name) expect(lines[0]).toContain(p.identity.name);
        expect(norm(lines[lines.length - 1])).toBe(norm(`第 ${i + 1} 页 / 共 ${p.pages} 页`));
      });
  });

  test('fonts are embedded as real fonts: no Type 3, the CJK text in a TrueType font', () => {
    for (const p of all()) {
      const out = spawnSync('pdffonts', [p.file], { encoding: 'utf8' }).stdout;
      const rows = out.split('\n').slice(2).filter((l) => l.trim());
      expect(rows.filter((r) => /Type 3/.test(r))).toEqual([]);
      expect(rows.some((r) => /WenQuanYi/.test(r) && /CID TrueType/.test(r) && /\byes\s+yes\s+yes\b/.test(r))).toBe(true);
    }
  });

  test('inline code is never broken inside a request URI', () => {
    for (const p of all()) {
      const raw = spawnSync('pdftotext', [p.file, '-'], { encoding: 'utf8' }).stdout;
      const uris = [...new Set(runTshark(fileOf(p), ['http.request.uri']).stdout.split('\n').slice(1).filter((u) => u && u.length <= 24))];
      for (const u of uris)
        for (let k = 1; k < u.length; k++) {
          const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          // Broken across lines anywhere but before a "/" (where <wbr> allows it).
          if (u[k] === '/' || u[k] === '?') continue;
          expect({ uri: u, broken: new RegExp(`${esc(u.slice(0, k))}\\s*\\n\\s*${esc(u.slice(k))}`).test(raw) }).toEqual({ uri: u, broken: false });
        }
    }
  });

  function fileOf(p: Printed): string {
    return [REFERENCE, ...LOSSY, ...IPV6][all().indexOf(p)];
  }
});

/** Each table of the HTML: its header row's text (normalised) and how each row's first line begins. */
function tablesOf(html: string): Array<{ head: string; rows: string[] }> {
  return [...html.matchAll(/<figure class="table"[^>]*>[\s\S]*?<thead>([\s\S]*?)<\/thead>\s*<tbody>([\s\S]*?)<\/tbody>/g)].map((m) => ({
    head: [...m[1].matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((c) => norm(decode(c[1]))).join(''),
    // A first cell may wrap ("确认号 Acknowledgment" / "Number"): its first word, at most 4 characters, starts the row's first line.
    rows: [...m[2].matchAll(/<tr>\s*<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => [...(decode(c[1]).trim().split(/\s+/)[0] ?? '')].slice(0, 4).join('')),
  }));
}

/** How many rows of a table, in order from row `k`, begin lines of a page (wrapped cells give lines that begin no row). */
function rowsFrom(rows: string[], lines: string[], k: number): number {
  let n = 0;
  for (const l of lines) {
    if (k + n >= rows.length) break;
    if (rows[k + n] && l.startsWith(rows[k + n])) n++;
  }
  return n;
}

/** Pages on which a chapter heading ("3 三次握手") is the first content line. */
function chapterStarts(p: Printed): number[] {
  const titles = [...p.html.matchAll(/<section id="ch-(\d+)"><h2>([\s\S]*?)<\/h2>/g)].map((m) => norm(decode(m[2])));
  return p.text.map((t, i) => (titles.includes(norm(content(t)[0] ?? '')) ? i + 1 : 0)).filter(Boolean);
}
