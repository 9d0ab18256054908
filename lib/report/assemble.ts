/**
 * The report from the exported notebooks (export.ts): one Markdown file (+ figures/*.svg, and
 * tables/*.csv for long tables) and one self-contained HTML file (inline SVG and CSS, no network),
 * which Chromium prints to PDF.
 *
 * Numbers come from the notebooks ("图 3-2" is what the notebook showed); cross-references
 * `[图](#fig-x)` are resolved here against the whole report — the same chapter's figure x first,
 * else the first in the report — so a reference to another chapter, which a notebook alone cannot
 * resolve, gets its number here. A reference to something the report does not contain is plain text.
 *
 * Text from a capture is inert: Markdown from outputs is rendered as "generated" (markdown.ts: no
 * HTML, no images, in-report links only); captions and titles are plain text (escaped for both
 * Markdown and HTML); everything else this module writes into HTML goes through `escapeHtml`.
 */
import { code, esc, markdownTable, visible } from '../narrative/blocks';
import { VegaLiteSpec } from '../charts';
import { resolveRefs } from '../notebook';
import { CSS } from './style';
import { ReportChapter, ReportItem } from './export';
import { renderMarkdown, shiftMarkdownHeadings } from './markdown';
import { renderChart, sanitizeSvg } from './render';

export { renderSvg, sanitizeSvg } from './render';
export type { ReportChapter, ReportItem } from './export';

export interface ReportMeta {
  title: string;
  identity: { major?: string; studentId?: string; name?: string };
  /** Shown on the title page when the identity is missing: why (from the lab model). */
  identityMissing?: string;
  captureName: string;
  /** When the capture cannot serve the lab: said first, on the title page. */
  unusable?: string;
}

export interface Report {
  markdown: string;
  html: string;
  /** Files the Markdown refers to (figures/…, tables/…), relative to the report's folder. */
  files: Array<{ file: string; data: string | Buffer }>;
  figures: number;
}

export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Plain text for HTML: escaped, invisible characters shown. */
const text = (s: string) => escapeHtml(visible(s));
/** A safe anchor name (ids come from code, but never trust them into an attribute). */
const anchorName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

interface Target {
  anchor: string;
  number: string;
}

/** Anchors and numbers of every numbered figure and table: per chapter, and report-wide (first wins). */
function targets(chapters: ReportChapter[]) {
  const global = new Map<string, Target>();
  const local = new Map<string, Map<string, Target>>();
  const anchorOf = new Map<ReportItem, string>();
  const used = new Set<string>(chapters.map((c) => `ch-${anchorName(c.number)}`));
  for (const c of chapters) {
    const mine = new Map<string, Target>();
    local.set(c.number, mine);
    for (const it of c.items) {
      if ((it.kind !== 'figure' && it.kind !== 'table') || !it.id || !it.number) continue;
      const key = `${it.kind === 'figure' ? 'fig' : 'tab'}-${it.id}`;
      let anchor = anchorName(key);
      if (used.has(anchor)) anchor = anchorName(`${key}-${it.number}`);
      used.add(anchor);
      const t = { anchor, number: it.number };
      anchorOf.set(it, anchor);
      if (!mine.has(key)) mine.set(key, t);
      if (!global.has(key)) global.set(key, t);
    }
  }
  return { global, local, anchorOf, anchors: used };
}

function resolveIn(chapter: string, t: ReturnType<typeof targets>, md: string): string {
  const mine = t.local.get(chapter)!;
  // resolveRefs maps a target key to its number; here the key may point at another anchor.
  const numbers = new Map<string, string>();
  const anchors = new Map<string, string>();
  for (const [k, v] of [...t.global, ...mine]) {
    numbers.set(k, v.number);
    anchors.set(k, v.anchor);
  }
  return resolveRefs(md, numbers).replace(/\]\(#((?:fig|tab)-[A-Za-z0-9_-]+)\)/g, (m, key: string) => (anchors.has(key) ? `](#${anchors.get(key)})` : m));
}

/** A code fence no content can close: longer than any backtick run inside. */
function fence(body: string, info = ''): string {
  const runs = body.match(/`{3,}/g) ?? [];
  const f = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${f}${info}\n${body}\n${f}`;
}
/** A title from a notebook's heading (authored Markdown): kept as written, on one line. */
const oneLine = (s: string) => visible(s.replace(/\s*[\r\n]+\s*/g, ' '));
/** Program output: line structure kept, every other invisible character shown. */
const visibleLines = (s: string) => s.split(/\r\n|\n/).map(visible).join('\n');

export function assembleReport(chapters: ReportChapter[], meta: ReportMeta): Report {
  const t = targets(chapters);
  const files: Report['files'] = [];
  const md: string[] = [];
  const html: string[] = [];
  let figures = 0;
  const id = meta.identity;
  const who = [id.major ? ['专业', id.major] : undefined, id.studentId ? ['学号', id.studentId] : undefined, id.name ? ['姓名', id.name] : undefined].filter(Boolean) as string[][];

  md.push(`# ${oneLine(meta.title)}`, '');
  if (meta.unusable) md.push(`> **⚠ 这份抓包不能用来完成本实验：${esc(meta.unusable)}**`, '');
  md.push(who.length ? `**${who.map(([k, v]) => `${k}：${esc(v)}`).join('　')}**` : `（${esc(meta.identityMissing ?? '抓包中没有找到含专业、学号、姓名的页面')}）`, '');
  md.push(`抓包文件：${code(meta.captureName)}`, '');
  md.push('## 目录', '', ...chapters.map((c, i) => `${i + 1}. [${oneLine(c.title)}](#ch-${anchorName(c.number)})`), '');
  html.push(
    `<section class="title-page"><h1>${text(meta.title)}</h1>`,
    meta.unusable ? `<div class="notice" role="alert"><strong>⚠ 这份抓包不能用来完成本实验：</strong>${text(meta.unusable)}</div>` : '',
    who.length ? `<div class="who">${who.map(([k, v]) => `${k}：${text(v)}`).join('　')}</div>` : `<div class="who">（${text(meta.identityMissing ?? '抓包中没有找到含专业、学号、姓名的页面')}）</div>`,
    `<div class="src">抓包文件：${text(meta.captureName)} · 由 wirenote 根据抓包自动生成</div></section>`,
    `<nav class="toc"><h2>目录</h2><ol>${chapters.map((c) => `<li><a href="#ch-${anchorName(c.number)}">${text(c.title)}</a></li>`).join('')}</ol></nav>`,
  );

  for (const c of chapters) {
    const chAnchor = `ch-${anchorName(c.number)}`;
    md.push(`<a id="${chAnchor}"></a>`, '', `## ${esc(c.number)} ${oneLine(c.title)}`, '');
    html.push(`<section id="${chAnchor}"><h2>${text(c.number)} ${text(c.title)}</h2>`);
    let unnumbered = 0;
    for (const it of c.items) {
      switch (it.kind) {
        case 'md': {
          const src = resolveIn(c.number, t, it.md);
          md.push(it.trust === 'authored' ? shiftMarkdownHeadings(src, 1) : src, '');
          // A notebook's `#` is its chapter (`##` here); generated Markdown is already written for the report.
          html.push(renderMarkdown(src, it.trust, { shiftHeadings: it.trust === 'authored' ? 1 : 0, anchors: t.anchors }));
          break;
        }
        case 'table': {
          const anchor = t.anchorOf.get(it);
          const caption = it.number ? `表 ${it.number}：${it.caption}` : it.caption;
          const table = markdownTable(it.header, it.rows);
          let note = '';
          let noteMd = '';
          if (it.omitted) {
            note = noteMd = `共 ${it.total} 行，上表省略了 ${it.omitted} 行`;
            if (it.csv !== undefined) {
              const file = `tables/${anchorName(anchor ?? `table-${c.number}-${++unnumbered}`)}.csv`;
              files.push({ file, data: it.csv });
              note += `；完整表格见 ${file}`;
              noteMd += `；完整表格见 ${code(file)}`;
            }
            note += '。';
            noteMd += '。';
          }
          md.push(...(anchor ? [`<a id="${anchor}"></a>`, ''] : []), ...(caption ? [`**${esc(caption)}**`, ''] : []), table, '', ...(noteMd ? [noteMd, ''] : []));
          html.push(
            `<figure class="table"${anchor ? ` id="${anchor}"` : ''}>${caption ? `<figcaption>${text(caption)}</figcaption>` : ''}${renderMarkdown(table, 'generated', { anchors: t.anchors })}${note ? `<p class="table-note">${text(note)}</p>` : ''}</figure>`,
          );
          break;
        }
        case 'figure': {
          const anchor = t.anchorOf.get(it);
          const caption = it.number ? `图 ${it.number}：${it.caption}` : it.caption;
          const base = anchor ?? `chart-${anchorName(c.number)}-${++unnumbered}`;
          let body: string;
          let file: string;
          if (it.spec) {
            const svg = sanitizeSvg(renderChart(it.spec as VegaLiteSpec).svg);
            file = `figures/${base}.svg`;
            files.push({ file, data: svg });
            body = svg;
          } else {
            const ext = it.image!.mime === 'image/png' ? 'png' : 'jpg';
            file = `figures/${base}.${ext}`;
            files.push({ file, data: Buffer.from(it.image!.base64, 'base64') });
            body = `<img alt="${text(caption)}" src="data:${it.image!.mime};base64,${it.image!.base64.replace(/[^A-Za-z0-9+/=]/g, '')}">`;
          }
          figures++;
          md.push(...(anchor ? [`<a id="${anchor}"></a>`, ''] : []), `![${esc(caption || '图')}](${file})`, '', ...(caption ? [`*${esc(caption)}*`, ''] : []));
          html.push(`<figure${anchor ? ` id="${anchor}"` : ''}>${body}${caption ? `<figcaption>${text(caption)}</figcaption>` : ''}</figure>`);
          break;
        }
        case 'text':
          md.push(fence(visibleLines(it.text), 'text'), '');
          html.push(`<pre class="output">${escapeHtml(visibleLines(it.text))}</pre>`);
          break;
        case 'code':
          md.push(it.folded ? '<details><summary>代码</summary>' : '', '', fence(it.source.replace(/\n$/, ''), 'ts'), '', it.folded ? '</details>' : '', '');
          html.push(`${it.folded ? '<details class="code"><summary>代码</summary>' : ''}<pre class="code"><code>${escapeHtml(it.source)}</code></pre>${it.folded ? '</details>' : ''}`);
          break;
      }
    }
    html.push('</section>');
  }

  const page = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(meta.title)}${id.name ? ` - ${text(id.name)}` : ''}</title>
<style>${CSS}</style>
</head>
<body>
${html.filter(Boolean).join('\n')}
</body>
</html>
`;
  return { markdown: md.join('\n').replace(/\n{3,}/g, '\n\n'), html: page, files, figures };
}
