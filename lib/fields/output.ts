/**
 * Tab-separated output straight into a byte buffer: numbers are written as digits without
 * becoming strings, and nothing per line is left for the garbage collector. Text is UTF-8, as
 * tshark prints it.
 */
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
