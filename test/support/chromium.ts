/**
 * Headless Chromium for the figure and PDF tests: launch once per suite, and lay figures out the
 * way the printed report does (A4 content width, print media, the report's style sheet).
 */
import * as fs from 'fs';

export const CHROMIUM = process.env.WIRENOTE_CHROMIUM || '/usr/bin/chromium';
export const haveChromium = (): boolean => fs.existsSync(CHROMIUM);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Browser = any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Page = any;

export async function launch(): Promise<Browser> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
}

/** A4 (210 mm) less the report's 16 mm side margins, in CSS pixels. */
export const A4_CONTENT_PX = Math.round(((210 - 2 * 16) / 25.4) * 96);

export interface TextBox {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Font size as drawn (CSS px at this width). */
  px: number;
}

export interface FigureLayout {
  id: string;
  width: number;
  height: number;
  box: { left: number; top: number; right: number; bottom: number };
  texts: TextBox[];
  legendLabels: string[];
  /** Per axis (Vega's role-axis groups): its label count and title. */
  axes: Array<{ label: string; labels: number; title: string }>;
}

/** Lay out SVG figures at A4 content width in print media and measure every text element. */
export async function layoutFigures(page: Page, figures: Array<{ id: string; svg: string }>, css: string): Promise<FigureLayout[]> {
  await page.setViewportSize({ width: A4_CONTENT_PX, height: 1200 });
  await page.emulateMedia({ media: 'print' });
  const body = figures.map((f) => `<figure data-id="${f.id}">${f.svg}</figure>`).join('\n');
  await page.setContent(`<!DOCTYPE html><html><head><meta charset="utf-8"><style>${css}</style></head><body>${body}</body></html>`, { waitUntil: 'load' });
  return page.$$eval('figure', (els: Element[]) =>
    els.map((fig) => {
      const svg = fig.querySelector('svg')!;
      const b = svg.getBoundingClientRect();
      const scale = b.width / (svg.viewBox.baseVal?.width || b.width);
      const texts = [...svg.querySelectorAll('text')]
        .filter((t) => (t.textContent ?? '').trim() !== '')
        .map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent ?? '', left: r.left, top: r.top, right: r.right, bottom: r.bottom, px: parseFloat(getComputedStyle(t).fontSize) * scale };
        });
      const legendLabels = [...svg.querySelectorAll('.role-legend-label text')].map((t) => t.textContent ?? '');
      const axes = [...svg.querySelectorAll('g.mark-group.role-axis')].map((g) => ({
        label: g.getAttribute('aria-label') ?? '',
        labels: [...g.querySelectorAll('.role-axis-label text')].filter((t) => (t.textContent ?? '').trim()).length,
        title: [...g.querySelectorAll('.role-axis-title text')].map((t) => t.textContent ?? '').join(''),
      }));
      return { id: (fig as HTMLElement).dataset.id!, width: b.width, height: b.height, box: { left: b.left, top: b.top, right: b.right, bottom: b.bottom }, texts, legendLabels, axes };
    }),
  );
}

/** Pairs of text boxes that overlap by more than `tol` pixels each way. */
export function overlaps(texts: TextBox[], tol = 1): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < texts.length; i++)
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i];
      const b = texts[j];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > tol && h > tol) out.push([a.text, b.text]);
    }
  return out;
}
