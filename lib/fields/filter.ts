/**
 * Display filters (tshark -Y) over the fields wirenote knows, with Wireshark 4.0's syntax and
 * meaning: a field or protocol name alone tests presence; == != === !== ~= < > <= >= (and eq ne
 * gt lt ge le), contains, matches (case-insensitive regular expression), in / not in {…} with
 * a..b ranges, the bitwise test field & mask; && || ! (and or not) with `and` binding tighter;
 * parentheses. Literals are read as the field's type: integers in decimal, hex (0x) or octal
 * (leading 0), 'c' characters, seconds for times, quoted strings (or bare words), IPv4 / IPv6
 * addresses with an optional /prefix.
 *
 * Occurrences follow Wireshark: a relation holds when any occurrence satisfies it, except
 * `!=` (no occurrence equal: the same as !(a == b), but false when the field is absent), `===`
 * (every occurrence equal) and `!==` / `~=` (some occurrence different).
 */
import { FieldCell, FieldContext, FieldType, FIELD_NAMES, FIELD_TYPES, FIELDS, Value } from './registry';

/** A filter that does not parse or does not make sense: the message and where in the text. */
export class FilterError extends Error {
  constructor(
    readonly what: FilterProblem,
    readonly at: number,
    readonly length: number,
  ) {
    super(what.en);
  }
}

/** One problem in both languages (the CLI picks one with `say`). */
export interface FilterProblem {
  en: string;
  zh: string;
}

// ---------------------------------------------------------------- tokens

type TokenKind = 'word' | 'string' | 'char' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  at: number;
  /** Length in the filter text. */
  len: number;
}

const OPS = ['===', '!==', '==', '!=', '~=', '>=', '<=', '&&', '||', '..', '>', '<', '!', '&', '(', ')', '{', '}', ',', '~', '[', ']'];
/** Letters of a bare word: field names, numbers, addresses (with a /prefix), time values. */
const WORD = /[A-Za-z0-9_.:\-/+]/;

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || ((c === 'r' || c === 'R') && s[i + 1] === '"')) {
      const raw = c !== '"';
      const start = i;
      i += raw ? 2 : 1;
      let text = '';
      for (;;) {
        if (i >= s.length) throw new FilterError({ en: 'The string is not closed (a " is missing).', zh: '字符串没有结束（缺少 "）。' }, start, s.length - start);
        const d = s[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && !raw) {
          const e = s[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'", '0': '\0' };
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
            text += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16));
            i += 4;
          } else if (/^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
            text += String.fromCharCode(parseInt(s.slice(i + 1, i + 4), 8));
            i += 4;
          } else if (e !== undefined && e in simple) {
            text += simple[e];
            i += 2;
          } else {
            throw new FilterError({ en: `Unknown escape sequence "\\${e ?? ''}" in a string.`, zh: `字符串中有未知的转义序列 "\\${e ?? ''}"。` }, i, 2);
          }
          continue;
        }
        text += d;
        i++;
      }
      out.push({ kind: 'string', text, at: start, len: i - start });
      continue;
    }
    if (c === "'") {
      const m = /^'(\\x[0-9a-fA-F]{2}|\\[0-7]{3}|\\.|[^\\'])'/.exec(s.slice(i));
      if (!m) throw new FilterError({ en: 'A character constant is written like \'a\'.', zh: "字符常量应写成 'a' 的形式。" }, i, 1);
      const body = m[1];
      const code = body.startsWith('\\x') ? parseInt(body.slice(2), 16) : /^\\[0-7]{3}$/.test(body) ? parseInt(body.slice(1), 8) : body.startsWith('\\') ? ({ n: 10, t: 9, r: 13, '\\': 92, "'": 39, '0': 0 } as Record<string, number>)[body[1]] ?? body.charCodeAt(1) : body.charCodeAt(0);
      out.push({ kind: 'char', text: String(code), at: i, len: m[0].length });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, at: i, len: op.length });
      i += op.length;
      continue;
    }
    if (WORD.test(c)) {
      // A word stops at "..", the range operator of a set (1..5).
      const start = i;
      while (i < s.length && WORD.test(s[i]) && !s.startsWith('..', i)) i++;
      out.push({ kind: 'word', text: s.slice(start, i), at: start, len: i - start });
      continue;
    }
    throw new FilterError({ en: `"${c}" was unexpected in this context.`, zh: `此处不应出现 "${c}"。` }, i, 1);
  }
  out.push({ kind: 'end', text: '', at: s.length, len: 0 });
  return out;
}

// ---------------------------------------------------------------- syntax tree

type Rel = 'eq' | 'ne' | 'all_eq' | 'any_ne' | 'gt' | 'lt' | 'ge' | 'le';

interface FieldRef {
  kind: 'field';
  name: string;
  type: FieldType;
  /** `field & mask` */
  mask?: number;
  at: number;
  len: number;
}
interface Literal {
  kind: 'literal';
  /** A bare word, a quoted string or a character constant. */
  lit: Token;
}
type Operand = FieldRef | Literal;

type Node =
  | { kind: 'or' | 'and'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'present'; field: FieldRef }
  | { kind: 'proto'; name: string }
  | { kind: 'rel'; rel: Rel; left: FieldRef; right: Operand; relTok: Token }
  | { kind: 'contains'; left: FieldRef; right: Operand }
  | { kind: 'matches'; left: FieldRef; re: RegExp }
  | { kind: 'in'; left: FieldRef; set: Array<[Literal, Literal | undefined]> };

const REL_WORDS: Record<string, Rel> = {
  '==': 'eq', eq: 'eq', any_eq: 'eq', '!=': 'ne', ne: 'ne', all_ne: 'ne', '===': 'all_eq', all_eq: 'all_eq', '!==': 'any_ne', '~=': 'any_ne', any_ne: 'any_ne',
  '>': 'gt', gt: 'gt', '<': 'lt', lt: 'lt', '>=': 'ge', ge: 'ge', '<=': 'le', le: 'le',
};

/**
 * Protocol names a filter can test for (their presence in the frame, as tshark's dissectors
 * add them), and what each needs from a first pass.
 */
const PROTOCOLS: Record<string, (c: FieldContext) => boolean> = {
  frame: () => true,
  eth: (c) => c.p.linkType === 1 && c.p.capLen >= 14,
  ip: (c) => c.p.ipVersion === 4 || c.p.inner?.ipVersion === 4,
  ipv6: (c) => c.p.ipVersion === 6 || c.p.inner?.ipVersion === 6,
  icmp: (c) => c.p.ipVersion === 4 && c.p.icmp !== undefined,
  icmpv6: (c) => c.p.ipVersion === 6 && c.p.icmp !== undefined,
  tcp: (c) => c.p.tcp !== undefined || c.p.inner?.tcp !== undefined,
  udp: (c) => c.p.udp !== undefined || c.p.inner?.udp !== undefined,
  // HTTP over TCP; HTTP over UDP is SSDP's (tshark shows it as ssdp).
  http: (c) => (c.http.length > 0 && c.http[0].stream >= 0) || (c.httpHeaders.length > 0 && c.http.length === 0 && c.t !== undefined) || c.tunnel === true,
  tls: (c) => c.tls === true,
  ssdp: (c) => c.http.length > 0 && c.http[0].stream < 0,
};
export const PROTOCOL_NAMES: readonly string[] = Object.keys(PROTOCOLS);
/** Protocol tests that need what only a first pass knows (see FIELD_NEEDS). */
export const PROTOCOL_NEEDS: Readonly<Record<string, string[]>> = {};

class Parser {
  private i = 0;
  readonly fields = new Set<string>();
  readonly protocols = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly toks: Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === w;
  }
  private isOp(t: Token, o: string): boolean {
    return t.kind === 'op' && t.text === o;
  }

  private unexpected(t: Token): never {
    if (t.kind === 'end') throw new FilterError({ en: 'Unexpected end of filter expression.', zh: '过滤表达式意外结束。' }, t.at, 0);
    throw new FilterError({ en: `"${t.text}" was unexpected in this context.`, zh: `此处不应出现 "${t.text}"。` }, t.at, t.len);
  }

  parse(): Node {
    if (this.peek().kind === 'end') throw new FilterError({ en: 'The filter is empty.', zh: '过滤表达式为空。' }, 0, 0);
    const n = this.or();
    if (this.peek().kind !== 'end') this.unexpected(this.peek());
    return n;
  }

  private or(): Node {
    const items = [this.and()];
    while (this.isOp(this.peek(), '||') || this.isWord(this.peek(), 'or')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): Node {
    const items = [this.unary()];
    while (this.isOp(this.peek(), '&&') || this.isWord(this.peek(), 'and')) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(): Node {
    const t = this.peek();
    if (this.isOp(t, '!') || this.isWord(t, 'not')) {
      this.next();
      return { kind: 'not', item: this.unary() };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const n = this.or();
      const close = this.next();
      if (!this.isOp(close, ')')) this.unexpected(close);
      return n;
    }
    return this.test();
  }

  /** A field, protocol or relation. */
  private test(): Node {
    const t = this.next();
    if (t.kind !== 'word') this.unexpected(t);
    const name = t.text;
    if (this.isOp(this.peek(), '(')) {
      throw new FilterError({ en: `Functions such as ${name}() are not supported by wirenote.`, zh: `wirenote 不支持 ${name}() 之类的函数。` }, t.at, t.len);
    }
    if (this.isOp(this.peek(), '[')) {
      throw new FilterError({ en: `Slices (${name}[…]) are not supported by wirenote.`, zh: `wirenote 不支持切片（${name}[…]）。` }, this.peek().at, 1);
    }
    if (name in PROTOCOLS && !(name in FIELDS)) {
      const after = this.peek();
      if (this.relation(after) || this.isWord(after, 'contains') || this.isWord(after, 'matches') || this.isOp(after, '~') || this.isWord(after, 'in')) {
        throw new FilterError({ en: `Comparing the protocol "${name}" (its bytes) is not supported by wirenote; compare one of its fields.`, zh: `wirenote 不支持对协议 "${name}" 本身（其字节）进行比较，请比较它的某个字段。` }, t.at, t.len);
      }
      for (const f of PROTOCOL_NEEDS[name] ?? []) this.fields.add(f);
      this.protocols.add(name);
      return { kind: 'proto', name };
    }
    const field = this.fieldRef(t);
    let left = field;
    if (this.isOp(this.peek(), '&')) {
      const amp = this.next();
      const m = this.next();
      if (!isInteger(field.type)) throw new FilterError({ en: `${name} is not an integer field: "&" cannot be applied to it.`, zh: `${name} 不是整数字段，不能使用 "&"。` }, amp.at, 1);
      if (m.kind !== 'word' && m.kind !== 'char') this.unexpected(m);
      left = { ...field, mask: parseInteger(m, field.type, this.text) };
    }
    const op = this.peek();
    const rel = this.relation(op);
    if (rel) {
      this.next();
      if (field.type === 'none') this.cannotCompare(field, op);
      const right = this.operand();
      if (right.kind === 'field' && right.type === 'none') this.cannotCompare(right, op);
      if (right.kind === 'literal') checkLiteral(left, right.lit, this.text);
      return { kind: 'rel', rel, left, right, relTok: op };
    }
    if (this.isWord(op, 'contains')) {
      this.next();
      if (field.type !== 'string') this.cannotCompare(field, op);
      const right = this.operand();
      return { kind: 'contains', left, right };
    }
    if (this.isWord(op, 'matches') || this.isOp(op, '~')) {
      this.next();
      if (field.type !== 'string') this.cannotCompare(field, op);
      const r = this.next();
      if (r.kind !== 'string' && r.kind !== 'word') this.unexpected(r);
      return { kind: 'matches', left, re: compileRegex(r) };
    }
    let negated = false;
    if (this.isWord(op, 'not') && this.isWord(this.toks[this.i + 1], 'in')) {
      this.next();
      negated = true;
    }
    if (this.isWord(this.peek(), 'in')) {
      const inTok = this.next();
      if (field.type === 'none') this.cannotCompare(field, inTok);
      const set = this.set(left);
      const node: Node = { kind: 'in', left, set };
      return negated ? { kind: 'not', item: node } : node;
    }
    if (negated) this.unexpected(this.peek());
    return { kind: 'present', field: left };
  }

  private relation(t: Token): Rel | undefined {
    if (t.kind === 'op' && t.text in REL_WORDS) return REL_WORDS[t.text];
    if (t.kind === 'word' && t.text.toLowerCase() in REL_WORDS) return REL_WORDS[t.text.toLowerCase()];
    return undefined;
  }

  private cannotCompare(f: FieldRef, op: Token): never {
    const what = f.type === 'none' ? 'Label' : f.type;
    throw new FilterError(
      { en: `${f.name} (type=${what}) cannot participate in ${op.text} comparison.`, zh: `${f.name}（类型 ${what}）不能用于 ${op.text} 比较。` },
      f.at,
      f.len,
    );
  }

  private fieldRef(t: Token): FieldRef {
    const type = FIELD_TYPES[t.text];
    if (type === undefined) {
      const hint = suggest(t.text, [...FIELD_NAMES, ...PROTOCOL_NAMES]);
      throw new FilterError(
        {
          en: `"${t.text}" is neither a field nor a protocol name wirenote knows.${hint.length ? ` Did you mean ${hint.join(', ')}?` : ''}`,
          zh: `"${t.text}" 既不是 wirenote 认识的字段，也不是协议名。${hint.length ? `您是否想输入 ${hint.join('、')}？` : ''}`,
        },
        t.at,
        t.len,
      );
    }
    this.fields.add(t.text);
    return { kind: 'field', name: t.text, type, at: t.at, len: t.len };
  }

  private operand(): Operand {
    const t = this.next();
    if (t.kind === 'string' || t.kind === 'char') return { kind: 'literal', lit: t };
    if (t.kind !== 'word') this.unexpected(t);
    if (t.text in FIELD_TYPES) return this.fieldRef(t);
    return { kind: 'literal', lit: t };
  }

  private set(left: FieldRef): Array<[Literal, Literal | undefined]> {
    const open = this.next();
    if (!this.isOp(open, '{')) this.unexpected(open);
    const items: Array<[Literal, Literal | undefined]> = [];
    for (;;) {
      const a = this.next();
      if (a.kind === 'end' || a.kind === 'op') this.unexpected(a);
      checkLiteral(left, a, this.text);
      let b: Token | undefined;
      if (this.isOp(this.peek(), '..')) {
        this.next();
        b = this.next();
        if (b.kind === 'end' || b.kind === 'op') this.unexpected(b);
        checkLiteral(left, b, this.text);
      }
      items.push([{ kind: 'literal', lit: a }, b && { kind: 'literal', lit: b }]);
      const sep = this.next();
      if (this.isOp(sep, '}')) break;
      if (!this.isOp(sep, ',')) this.unexpected(sep);
    }
    return items;
  }
}

function compileRegex(t: Token): RegExp {
  let src = t.text;
  // PCRE's leading option groups; Wireshark matches case-insensitively unless told (?-i).
  let flags = 'is';
  const m = /^\(\?(-?)i\)/.exec(src);
  if (m) {
    if (m[1] === '-') flags = 's';
    src = src.slice(m[0].length);
  }
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new FilterError({ en: `Regex compilation error: ${(e as Error).message}.`, zh: `正则表达式无法编译：${(e as Error).message}。` }, t.at, t.len);
  }
}

// ---------------------------------------------------------------- values

const isInteger = (t: FieldType) => t === 'uint' || t === 'int' || t === 'framenum' || t === 'bool';

function parseInteger(t: Token, type: FieldType, _text: string): number {
  if (t.kind === 'char') return Number(t.text);
  const s = t.text;
  let v: number;
  if (/^-?0x[0-9a-fA-F]+$/.test(s)) v = s.startsWith('-') ? -parseInt(s.slice(3), 16) : parseInt(s.slice(2), 16);
  else if (/^-?0[0-7]+$/.test(s)) v = s.startsWith('-') ? -parseInt(s.slice(2), 8) : parseInt(s.slice(1), 8);
  else if (/^-?[0-9]+$/.test(s)) v = Number(s);
  else
    throw new FilterError(
      { en: `"${s}" is not a valid number (decimal, 0x hex or 0 octal).`, zh: `"${s}" 不是有效的数字（十进制、0x 十六进制或 0 开头的八进制）。` },
      t.at,
      t.len,
    );
  if (v < 0 && type !== 'int') throw new FilterError({ en: `"${s}" is negative, but the field is unsigned.`, zh: `"${s}" 是负数，而该字段是无符号的。` }, t.at, t.len);
  return v;
}

/** Seconds and nanoseconds from "S.NNN…" (a time literal or a printed time value). */
function parseTime(s: string): [number, number] | undefined {
  const m = /^(-?)(\d*)(?:\.(\d{0,9})\d*)?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const sign = m[1] ? -1 : 1;
  return [sign * Number(m[2] || 0), sign * Number((m[3] ?? '').padEnd(9, '0'))];
}

function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  let tail: number[] = [];
  const v4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4) {
    const n = parseIPv4(v4[1]);
    if (n === undefined) return undefined;
    tail = [n >>> 16, n & 0xffff];
    text = text.slice(0, -v4[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === '' ? [] : h.split(':'));
  const left = part(halves[0]);
  const right = halves.length === 2 ? part(halves[1]) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const total = left.length + right.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...left.map((g) => parseInt(g, 16)), ...Array(8 - total).fill(0), ...right.map((g) => parseInt(g, 16)), ...tail];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** A literal as a value of the field's type, or a comparison set (CIDR prefix). */
type Typed =
  | { t: 'num'; v: number }
  | { t: 'time'; v: [number, number] }
  | { t: 'str'; v: string }
  | { t: 'v4'; v: number; bits: number }
  | { t: 'v6'; v: bigint; bits: number };

function literalValue(left: FieldRef, lit: Token, text: string): Typed {
  const type = left.type;
  if (left.mask !== undefined || isInteger(type)) return { t: 'num', v: parseInteger(lit, type, text) };
  if (type === 'time') {
    const v = lit.kind === 'word' ? parseTime(lit.text) : undefined;
    if (!v) throw new FilterError({ en: `"${lit.text}" is not a valid time in seconds.`, zh: `"${lit.text}" 不是有效的时间（秒）。` }, lit.at, lit.len);
    return { t: 'time', v };
  }
  if (type === 'string') return { t: 'str', v: lit.kind === 'char' ? String.fromCharCode(Number(lit.text)) : lit.text };
  if (type === 'ipv4') {
    const [addr, prefix] = lit.text.split('/');
    const v = lit.kind !== 'char' ? parseIPv4(addr) : undefined;
    const bits = prefix === undefined ? 32 : /^\d{1,2}$/.test(prefix) ? Number(prefix) : NaN;
    if (v === undefined || !(bits >= 0 && bits <= 32)) throw new FilterError({ en: `"${lit.text}" is not a valid IPv4 address (host names are not looked up).`, zh: `"${lit.text}" 不是有效的 IPv4 地址（不解析主机名）。` }, lit.at, lit.len);
    return { t: 'v4', v, bits };
  }
  if (type === 'ipv6') {
    const slash = lit.text.lastIndexOf('/');
    const addr = slash >= 0 ? lit.text.slice(0, slash) : lit.text;
    const prefix = slash >= 0 ? lit.text.slice(slash + 1) : undefined;
    const v = lit.kind !== 'char' ? parseIPv6(addr) : undefined;
    const bits = prefix === undefined ? 128 : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (v === undefined || !(bits >= 0 && bits <= 128)) throw new FilterError({ en: `"${lit.text}" is not a valid IPv6 address.`, zh: `"${lit.text}" 不是有效的 IPv6 地址。` }, lit.at, lit.len);
    return { t: 'v6', v, bits };
  }
  throw new FilterError({ en: `${left.name} cannot be compared with a value.`, zh: `${left.name} 不能与值比较。` }, lit.at, lit.len);
}

function checkLiteral(left: FieldRef, lit: Token, text: string): void {
  literalValue(left, lit, text);
}

/** A field's printed occurrence as a typed value. */
function fieldValue(type: FieldType, v: Value, mask: number | undefined): Typed | undefined {
  if (mask !== undefined || isInteger(type)) {
    const n = typeof v === 'number' ? v : v.startsWith('0x') ? parseInt(v, 16) : Number(v);
    return { t: 'num', v: mask !== undefined ? Number(BigInt(n) & BigInt(mask)) : n };
  }
  const s = String(v);
  if (type === 'time') {
    const t = parseTime(s);
    return t && { t: 'time', v: t };
  }
  if (type === 'ipv4') {
    const n = parseIPv4(s);
    return n === undefined ? undefined : { t: 'v4', v: n, bits: 32 };
  }
  if (type === 'ipv6') {
    const n = parseIPv6(s);
    return n === undefined ? undefined : { t: 'v6', v: n, bits: 128 };
  }
  return { t: 'str', v: s };
}

/** a ⋚ b: negative, zero or positive (b may be an address prefix: then "equal" is "inside"). */
function compare(a: Typed, b: Typed): number {
  switch (a.t) {
    case 'num':
      return a.v - (b as { v: number }).v;
    case 'time': {
      const [s2, n2] = (b as { v: [number, number] }).v;
      return a.v[0] !== s2 ? a.v[0] - s2 : a.v[1] - n2;
    }
    case 'str': {
      const s = (b as { v: string }).v;
      return a.v < s ? -1 : a.v > s ? 1 : 0;
    }
    case 'v4': {
      const bb = b as { v: number; bits: number };
      const shift = 32 - bb.bits;
      const x = shift === 32 ? 0 : a.v >>> shift;
      const y = shift === 32 ? 0 : bb.v >>> shift;
      return x - y;
    }
    case 'v6': {
      const bb = b as { v: bigint; bits: number };
      const shift = BigInt(128 - bb.bits);
      const x = a.v >> shift;
      const y = bb.v >> shift;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

function holds(rel: Rel, c: number): boolean {
  switch (rel) {
    case 'eq':
    case 'all_eq':
      return c === 0;
    case 'ne':
    case 'any_ne':
      return c !== 0;
    case 'gt':
      return c > 0;
    case 'lt':
      return c < 0;
    case 'ge':
      return c >= 0;
    case 'le':
      return c <= 0;
  }
}

function occurrences(cell: FieldCell): readonly Value[] {
  if (typeof cell === 'object') return cell;
  return cell === '' ? [] : [cell];
}

// ---------------------------------------------------------------- evaluation

type Test = (c: FieldContext) => boolean;

function values(f: FieldRef): (c: FieldContext) => Typed[] {
  const get = FIELDS[f.name];
  return (c) => {
    const out: Typed[] = [];
    for (const v of occurrences(get(c))) {
      const t = fieldValue(f.type, v, f.mask);
      if (t) out.push(t);
    }
    return out;
  };
}

function build(n: Node, text: string): Test {
  switch (n.kind) {
    case 'or': {
      const items = n.items.map((x) => build(x, text));
      return (c) => items.some((t) => t(c));
    }
    case 'and': {
      const items = n.items.map((x) => build(x, text));
      return (c) => items.every((t) => t(c));
    }
    case 'not': {
      const item = build(n.item, text);
      return (c) => !item(c);
    }
    case 'proto':
      return PROTOCOLS[n.name];
    case 'present': {
      const vs = values(n.field);
      // A bare `field & mask` tests for a non-zero result.
      if (n.field.mask !== undefined) return (c) => vs(c).some((v) => (v as { v: number }).v !== 0);
      const get = FIELDS[n.field.name];
      return (c) => occurrences(get(c)).length > 0;
    }
    case 'rel': {
      const left = values(n.left);
      const rel = n.rel;
      const right: (c: FieldContext) => Typed[] =
        n.right.kind === 'field' ? values(n.right) : ((lit) => () => [lit])(literalValue(n.left, n.right.lit, text));
      if (n.right.kind === 'field' && !sameKind(n.left.type, n.right.type)) {
        throw new FilterError({ en: `${n.left.name} and ${n.right.name} are of different types.`, zh: `${n.left.name} 与 ${n.right.name} 的类型不同。` }, n.relTok.at, n.relTok.len);
      }
      return (c) => {
        const a = left(c);
        if (a.length === 0) return false;
        const b = right(c);
        if (b.length === 0) return false;
        if (rel === 'ne') return a.every((x) => b.every((y) => compare(x, y) !== 0));
        if (rel === 'all_eq') return a.every((x) => b.some((y) => compare(x, y) === 0));
        return a.some((x) => b.some((y) => holds(rel, compare(x, y))));
      };
    }
    case 'contains': {
      const left = values(n.left);
      const right: (c: FieldContext) => string[] =
        n.right.kind === 'field' ? ((vs) => (c: FieldContext) => vs(c).map((v) => String(v.v)))(values(n.right)) : ((s) => () => [s])(n.right.lit.kind === 'char' ? String.fromCharCode(Number(n.right.lit.text)) : n.right.lit.text);
      return (c) => {
        const b = right(c);
        return left(c).some((x) => b.some((s) => (x as { v: string }).v.includes(s)));
      };
    }
    case 'matches': {
      const left = values(n.left);
      const re = n.re;
      return (c) => left(c).some((x) => re.test((x as { v: string }).v));
    }
    case 'in': {
      const left = values(n.left);
      const items = n.set.map(([a, b]) => [literalValue(n.left, a.lit, text), b && literalValue(n.left, b.lit, text)] as const);
      return (c) => left(c).some((x) => items.some(([a, b]) => (b ? compare(x, a) >= 0 && compare(x, b) <= 0 : compare(x, a) === 0)));
    }
  }
}

const sameKind = (a: FieldType, b: FieldType) => (isInteger(a) && isInteger(b)) || a === b;

export interface CompiledFilter {
  /** Fields the filter reads. */
  readonly fields: readonly string[];
  /** It tests for `tls` (the caller then follows TLS records: FieldContext.tls). */
  readonly usesTls: boolean;
  test(c: FieldContext): boolean;
}

/** Parse and check a display filter; throws FilterError (with the position) when it cannot. */
export function compileFilter(text: string): CompiledFilter {
  const p = new Parser(text, tokenize(text));
  const tree = p.parse();
  const test = build(tree, text);
  return { fields: [...p.fields], usesTls: p.protocols.has('tls') || p.protocols.has('http'), test };
}

/** The problem drawn under the filter text, as tshark shows it (a caret under the spot). */
export function pointAt(text: string, e: FilterError): string {
  return `    ${text}\n    ${' '.repeat(e.at)}^${'~'.repeat(Math.max(0, e.length - 1))}`;
}

/** Names close to `name` (edit distance, or the same last part), best first, at most three. */
export function suggest(name: string, names: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 4));
  const scored: Array<[number, string]> = [];
  for (const n of names) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase(), limit);
    if (d <= limit) scored.push([d, n]);
    else if (name.length >= 3 && (n.endsWith('.' + name) || n.startsWith(name + '.'))) scored.push([limit + 1, n]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, 3)
    .map(([, n]) => n);
}

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < best) best = cur[j];
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
