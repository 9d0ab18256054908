/**
 * Writing evidence: a topic builds its blocks through `Writer`, and every frame it names goes
 * through `frame()` with what the sentence claims the frame is. The claims travel with the block
 * (`cites`) so a test can check each one against tshark. Values from the capture go through
 * `code` / `esc` (blocks.ts), never straight into Markdown.
 */
import { TcpFrame } from '../analysis';
import { LabMessage } from '../lab/http';
import { Block, Cite, code, md, table } from './blocks';
import { Endpoint } from '../lab/tcp';

export class Writer {
  private readonly out: Block[] = [];
  private pending: Cite[] = [];

  /** "第 N 帧", recording what the text says frame N is. */
  frame(f: TcpFrame | number, claim: Cite['claim'] = 'frame', extra: Omit<Cite, 'frame' | 'claim'> = {}): string {
    const n = typeof f === 'number' ? f : f.frame;
    this.pending.push({ frame: n, claim, ...extra });
    return `第 ${n} 帧`;
  }

  /** "第 N 帧" for a message, citing its start line (a request's method and target, a response's status). */
  msg(m: LabMessage): string {
    return m.isRequest ? this.frame(m.frame, 'request', { method: m.method, uri: m.uri }) : this.frame(m.frame, 'response', { code: m.code });
  }

  /** The bare frame number of a message (for table cells), cited like `msg`. */
  num(m: LabMessage): string {
    this.msg(m);
    return String(m.frame);
  }

  /** "第 3、5、9 帧" (at most `max` listed, then "等 N 帧"). */
  frames(fs: Array<TcpFrame | number>, claim: Cite['claim'] = 'frame', max = 8): string {
    const ns = [...new Set(fs.map((f) => (typeof f === 'number' ? f : f.frame)))].sort((a, b) => a - b);
    const shown = ns.slice(0, max);
    for (const n of shown) this.pending.push({ frame: n, claim });
    return `第 ${shown.join('、')} 帧${ns.length > max ? ` 等共 ${ns.length} 帧` : ''}`;
  }

  /** A paragraph. */
  p(text: string): this {
    this.out.push(this.cited(md(text)));
    return this;
  }

  /** A bulleted list (empty items dropped; nothing at all when every item is empty). */
  list(items: Array<string | undefined | false>): this {
    const xs = items.filter((x): x is string => !!x);
    if (xs.length) this.out.push(this.cited(md(xs.map((x) => `- ${x}`).join('\n'))));
    else this.pending = [];
    return this;
  }

  table(id: string, caption: string, header: string[], rows: Array<Array<string | number | undefined>>): this {
    this.out.push(this.cited(table(id, caption, header, rows)));
    return this;
  }

  block(b: Block): this {
    this.out.push(b);
    return this;
  }

  blocks(): Block[] {
    return this.out;
  }

  private cited<B extends Block>(b: B): B {
    if (this.pending.length && (b.kind === 'md' || b.kind === 'table')) (b as B & { cites: Cite[] }).cites = this.pending;
    this.pending = [];
    return b;
  }
}

/** 127.0.0.1:8080 / [::1]:8080, as inline code. */
export const endpoint = (e: Endpoint) => code(e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

/** Seconds with a unit that reads well: 0.000123 → "0.123 毫秒", 6.0 → "6.000 秒". */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s === 0) return '0 秒';
  const a = Math.abs(s);
  if (a < 1e-3) return `${(s * 1e6).toFixed(1)} 微秒`;
  if (a < 1) return `${(s * 1e3).toFixed(1)} 毫秒`;
  return `${s.toFixed(3)} 秒`;
}

/** Byte counts: 82081 → "82081 字节（80.2 KiB）". */
export function bytes(n: number): string {
  return n >= 10240 ? `${n} 字节（${(n / 1024).toFixed(1)} KiB）` : `${n} 字节`;
}

/** A span of seconds, shown once when both ends read the same. */
export function secondsRange(a: number, b: number): string {
  const x = seconds(a);
  const y = seconds(b);
  return x === y ? x : `${x}–${y}`;
}

