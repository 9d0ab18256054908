/**
 * Assemble the report from the chapters' blocks: number figures and tables, resolve
 * cross-references, render charts to static SVG, and produce Markdown and one self-contained
 * HTML file (inline SVG and CSS, no network). Text from the capture is inert: markdown-it runs
 * with HTML disabled, and everything this module writes into HTML goes through `escapeHtml`.
 */
import type MarkdownItType from 'markdown-it';
import { Block, markdownTable } from '../narrative/blocks';
import { renderSvg } from '../charts/render';
import { CSS } from './style';

export interface ReportChapter {
  number: number;
  title: string;
  blocks: Block[];
  /** Source of the notebook's code cells (shown only with --with-code). */
  code?: string[];
}

export interface ReportMeta {
  title: string;
  identity: { major?: string; studentId?: string; name?: string };
  captureName: string;
  withCode: boolean;
}

export interface Report {
  markdown: string;
  html: string;
  /** Figures as SVG files, referenced from the Markdown as figures/fig-N.svg. */
  figures: Array<{ number: number; id: string; file: string; svg: string }>;
}

export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// Static SVG with text widths estimated for CJK (lib/charts/render.ts).
export { renderSvg };

interface Numbering {
  fig: Map<string, number>;
  tab: Map<string, number>;
}

function number(chapters: ReportChapter[]): Numbering {
  const n: Numbering = { fig: new Map(), tab: new Map() };
  for (const c of chapters)
    for (const b of c.blocks) {
      if (b.kind === 'figure' && !n.fig.has(b.id)) n.fig.set(b.id, n.fig.size + 1);
      if (b.kind === 'table' && !n.tab.has(b.id)) n.tab.set(b.id, n.tab.size + 1);
    }
  return n;
}

/** "[图](#fig-x)" → "[图 3](#fig-x)"; references to figures absent from this report lose their link. */
function resolveRefs(text: string, n: Numbering): string {
  return text.replace(/\[(图|表)\]\(#(fig|tab)-([A-Za-z0-9_-]+)\)/g, (_, word: string, kind: 'fig' | 'tab', id: string) => {
    const k = n[kind].get(id);
    return k ? `[${word} ${k}](#${kind}-${id})` : `${word}`;
  });
}


export async function assembleReport(chapters: ReportChapter[], meta: ReportMeta): Promise<Report> {
  const n = number(chapters);
  // Loaded here, not at the top: importing the library for analysis alone should not pay for it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const MarkdownIt = require('markdown-it') as typeof MarkdownItType;
  const mdIt = new MarkdownIt({ html: false, linkify: false, typographer: false });
  const figures: Report['figures'] = [];
  const mdOut: string[] = [];
  const htmlOut: string[] = [];
  const id = meta.identity;
  const who = [id.major ? `专业：${id.major}` : '', id.studentId ? `学号：${id.studentId}` : '', id.name ? `姓名：${id.name}` : ''].filter(Boolean);

  mdOut.push(`# ${meta.title}`, '', who.length ? `**${who.map((w) => w.replace(/[\\`*_[\]<>|]/g, '\\$&')).join('　')}**` : '', '', `抓包文件：\`${meta.captureName.replace(/`/g, '')}\``, '');
  mdOut.push('## 目录', '', ...chapters.map((c) => `${c.number}. [${c.title}](#ch-${c.number})`), '');
  htmlOut.push(
    `<section class="title-page"><h1>${escapeHtml(meta.title)}</h1>`,
    who.length ? `<div class="who">${who.map(escapeHtml).join('　')}</div>` : '<div class="who">（抓包中没有找到含专业、学号、姓名的页面）</div>',
    `<div class="src">抓包文件：${escapeHtml(meta.captureName)} · 由 wirenote 根据抓包自动生成</div></section>`,
    `<nav class="toc"><h2>目录</h2><ol>${chapters.map((c) => `<li><a href="#ch-${c.number}">${escapeHtml(c.title)}</a></li>`).join('')}</ol></nav>`,
  );

  for (const c of chapters) {
    mdOut.push(`## ${c.number} ${c.title}`, '');
    htmlOut.push(`<section id="ch-${c.number}"><h2>${c.number} ${escapeHtml(c.title)}</h2>`);
    for (const b of c.blocks) {
      if (b.kind === 'md') {
        const text = resolveRefs(b.md, n);
        mdOut.push(text, '');
        htmlOut.push(mdIt.render(text));
      } else if (b.kind === 'table') {
        const k = n.tab.get(b.id)!;
        const t = markdownTable(b.header, b.rows);
        mdOut.push(`**表 ${k}：${b.caption}**`, '', t, '');
        htmlOut.push(`<figure class="table" id="tab-${escapeHtml(b.id)}"><figcaption>表 ${k}：${escapeHtml(b.caption)}</figcaption>${mdIt.render(t)}</figure>`);
      } else {
        const k = n.fig.get(b.id)!;
        if (figures.some((f) => f.id === b.id)) continue;
        const svg = sanitizeSvg(await renderSvg(b.spec));
        const file = `figures/fig-${k}.svg`;
        figures.push({ number: k, id: b.id, file, svg });
        mdOut.push(`![图 ${k}：${b.caption}](${file})`, '', `*图 ${k}：${b.caption}*`, '');
        htmlOut.push(`<figure id="fig-${escapeHtml(b.id)}">${svg}<figcaption>图 ${k}：${escapeHtml(b.caption)}</figcaption></figure>`);
      }
    }
    if (meta.withCode && c.code?.length) {
      htmlOut.push(`<details class="code"><summary>本章笔记本代码</summary>${c.code.map((s) => `<pre><code>${escapeHtml(s)}</code></pre>`).join('')}</details>`);
      mdOut.push('<details><summary>本章笔记本代码</summary>', '', ...c.code.map((s) => '```ts\n' + s + '\n```'), '', '</details>', '');
    }
    htmlOut.push('</section>');
  }

  const html = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(meta.title)}${id.name ? ` - ${escapeHtml(id.name)}` : ''}</title>
<style>${CSS}</style>
</head>
<body>
${htmlOut.join('\n')}
</body>
</html>
`;
  return { markdown: mdOut.join('\n').replace(/\n{3,}/g, '\n\n'), html, figures };
}

/**
 * Vega writes text with entity escaping; as a second line of defence drop anything in the SVG
 * that could run: script elements, event-handler attributes, javascript: URLs.
 */
export function sanitizeSvg(svg: string): string {
  return svg
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '')
    .replace(/(href\s*=\s*["'])\s*javascript:[^"']*/gi, '$1#');
}
