/**
 * Output as tshark writes it, straight into a byte buffer: `-T fields` with its -E options
 * (header, separator, quote, occurrence, aggregator, bom) and `-T json` for the -e fields.
 * Numbers are written as digits without becoming strings, and nothing per line is left for the
 * garbage collector. Text is UTF-8, as tshark prints it.
 */
import { Packet } from '../decode/packet';
import { FieldCell, Value } from './registry';
import { escapeDisplay, jsonString } from './text';

/** Receives output; the chunk is reused after the call returns (write it out or copy it). */
export type ChunkSink = (chunk: Buffer) => void;

const TAB = 0x09;
const NEWLINE = 0x0a;

export class FieldWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly digits = new Uint8Array(24);

  constructor(
    private readonly sink: ChunkSink,
    private readonly size = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** One cell: a string as UTF-8, a number as a decimal integer. */
  value(v: string | number): void {
    if (typeof v === 'number') this.integer(v);
    else this.text(v);
  }

  tab(): void {
    this.room(1);
    this.buf[this.pos++] = TAB;
  }

  /** End the line; hands a full buffer to the sink. */
  newline(): void {
    this.room(1);
    this.buf[this.pos++] = NEWLINE;
    if (this.pos > this.size - 4096) this.flush();
  }

  line(s: string): void {
    this.text(s);
    this.newline();
  }

  /** Text as it is (no line end). */
  raw(s: string): void {
    this.text(s);
  }

  flush(): void {
    if (this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.sink(out);
  }

  private text(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: let Node encode the whole string.
        this.pos += b.write(s, this.pos, 'utf8');
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  private integer(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.text(String(v));
      return;
    }
    this.room(24);
    const b = this.buf;
    if (v < 0) {
      b[this.pos++] = 0x2d; // '-'
      v = -v;
    }
    if (v < 10) {
      b[this.pos++] = 0x30 + v;
      return;
    }
    const d = this.digits;
    let k = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      d[k++] = 0x30 + (v - q * 10);
      v = q;
    }
    while (k > 0) b[this.pos++] = d[--k];
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
}

/** tshark's -E options for -T fields (and occurrence for -T json). */
export interface FieldsFormat {
  kind: 'fields' | 'json';
  /** -E header=y (wirenote's default) | n */
  header: boolean;
  /** -E separator: a TAB by default (/t), a space (/s) or one character. */
  separator: string;
  /** -E quote=d → '"', s → "'", n → '' (default). */
  quote: string;
  /** -E occurrence: first, last or all (default) occurrences of each field. */
  occurrence: 'f' | 'l' | 'a';
  /** -E aggregator: between occurrences, ',' by default. */
  aggregator: string;
  /** -E bom=y: a UTF-8 byte order mark first. */
  bom: boolean;
}

export const DEFAULT_FORMAT: Readonly<FieldsFormat> = { kind: 'fields', header: true, separator: '\t', quote: '', occurrence: 'a', aggregator: ',', bom: false };

/** What the fields pass writes: the header (or opening bracket), one row per displayed frame, the end. */
export interface RowWriter {
  begin(fields: readonly string[]): void;
  row(cells: readonly FieldCell[], p: Packet): void;
  end(): void;
  /** Hand what is buffered to the sink (after every row with -l). */
  flush(): void;
}

/** The occurrences to print of a cell (occurrence=f|l|a); '' → none. */
function pick(c: FieldCell, occurrence: 'f' | 'l' | 'a'): FieldCell {
  if (typeof c !== 'object') return c;
  if (c.length === 0) return '';
  if (occurrence === 'f') return c[0];
  if (occurrence === 'l') return c[c.length - 1];
  return c;
}

/** -T fields. */
export class TsvWriter implements RowWriter {
  private readonly out: FieldWriter;
  /** The default layout (TAB, no quotes, all occurrences joined by ','): the per-cell fast path. */
  private readonly plain: boolean;

  constructor(
    sink: ChunkSink,
    private readonly f: FieldsFormat = DEFAULT_FORMAT,
  ) {
    this.out = new FieldWriter(sink);
    this.plain = f.separator === '\t' && f.quote === '' && f.occurrence === 'a' && f.aggregator === ',';
  }

  begin(fields: readonly string[]): void {
    if (this.f.bom) this.out.raw('\ufeff');
    if (this.f.header) this.out.line(fields.join(this.f.separator));
  }

  row(cells: readonly FieldCell[], _p: Packet): void {
    const out = this.out;
    for (let i = 0; i < cells.length; i++) {
      if (i > 0) {
        if (this.plain) out.tab();
        else out.raw(this.f.separator);
      }
      const c = this.plain ? cells[i] : pick(cells[i], this.f.occurrence);
      if (typeof c === 'number') {
        if (this.f.quote === '') out.value(c);
        else out.raw(this.f.quote + c + this.f.quote);
      } else if (typeof c === 'string') {
        if (c === '') continue;
        if (this.f.quote === '') out.value(escapeDisplay(c));
        else out.raw(this.f.quote + escapeDisplay(c) + this.f.quote);
      } else if (c.length) {
        const text = c.map((v) => (typeof v === 'string' ? escapeDisplay(v) : String(v))).join(this.f.aggregator);
        out.raw(this.f.quote + text + this.f.quote);
      }
    }
    out.newline();
  }

  end(): void {
    this.out.flush();
  }

  flush(): void {
    this.out.flush();
  }
}

/**
 * -T json with -e fields: tshark's layout (two-space indentation, an "_index" named after the
 * frame's local date, each present field an array of strings in -e order).
 */
export class JsonWriter implements RowWriter {
  private readonly out: FieldWriter;
  private fields: readonly string[] = [];
  private rows = 0;

  constructor(
    sink: ChunkSink,
    private readonly occurrence: 'f' | 'l' | 'a' = 'a',
  ) {
    this.out = new FieldWriter(sink);
  }

  begin(fields: readonly string[]): void {
    this.fields = fields.map((f) => jsonString(f));
    this.out.raw('[');
  }

  row(cells: readonly FieldCell[], p: Packet): void {
    const out = this.out;
    out.raw(this.rows++ === 0 ? '\n' : ',\n');
    out.raw(`  {\n    "_index": "packets-${localDate(p.hasTs ? p.tsSec : 0)}",\n    "_type": "doc",\n    "_score": null,\n    "_source": {\n      "layers": {`);
    let any = false;
    for (let i = 0; i < cells.length; i++) {
      const c = pick(cells[i], this.occurrence);
      const values: readonly Value[] = typeof c === 'object' ? c : c === '' ? [] : [c];
      if (values.length === 0) continue;
      out.raw(any ? ',\n' : '\n');
      any = true;
      out.raw(`        ${this.fields[i]}: [\n`);
      for (let k = 0; k < values.length; k++) out.raw(`          ${jsonString(String(values[k]))}${k + 1 < values.length ? ',' : ''}\n`);
      out.raw('        ]');
    }
    out.raw(any ? '\n      }\n    }\n  }' : '}\n    }\n  }');
    if (this.rows % 64 === 0) out.flush();
  }

  end(): void {
    this.out.raw(this.rows ? '\n]\n' : ']\n');
    this.out.flush();
  }

  flush(): void {
    this.out.flush();
  }
}

/** YYYY-MM-DD of a time in the local time zone, as tshark names its JSON "_index". */
function localDate(sec: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
