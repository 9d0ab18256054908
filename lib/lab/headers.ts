/**
 * What header values mean, parsed from the values themselves: Cache-Control directives one by
 * one (RFC 9111 §5.2), Keep-Alive parameters (RFC 2068 §19.7.1, still sent by Node), Connection
 * options (RFC 9110 §7.6.1), byte ranges (RFC 9110 §14).
 * The explanations are short phrases chosen by the value, never a fixed sentence per header.
 */

export interface Directive {
  name: string;
  value?: string;
  /** What this directive tells a cache, in Chinese (undefined for directives we do not know). */
  meaning?: string;
}

const CACHE_MEANING: Record<string, (v?: string) => string> = {
  'no-cache': () => '可以存下，但每次使用前都必须先向服务器确认（重新验证）',
  'no-store': () => '不许把响应存进任何缓存',
  'must-revalidate': () => '过期后必须向服务器确认才能再用',
  'proxy-revalidate': () => '共享缓存过期后必须向服务器确认',
  'max-age': (v) => `${v ?? '?'} 秒内可以直接使用缓存，不必询问服务器`,
  's-maxage': (v) => `共享缓存（代理）中的新鲜期为 ${v ?? '?'} 秒`,
  public: () => '任何缓存（包括代理）都可以存',
  private: () => '只能存在用户自己的浏览器缓存里',
  immutable: () => '新鲜期内内容不会变，重新加载也不必确认',
  'no-transform': () => '中间代理不得改写内容',
  'stale-while-revalidate': (v) => `过期后 ${v ?? '?'} 秒内可以先用旧副本、同时后台确认`,
  'stale-if-error': (v) => `服务器出错时 ${v ?? '?'} 秒内可用旧副本`,
  'only-if-cached': () => '（请求指令）只要缓存里的副本',
  'max-stale': (v) => `（请求指令）可以接受过期不超过 ${v ?? '任意'} 秒的副本`,
  'min-fresh': (v) => `（请求指令）至少还要新鲜 ${v ?? '?'} 秒`,
};

/** Cache-Control as a list of directives (quoted values kept whole). */
export function cacheControl(value: string | undefined): Directive[] {
  if (!value) return [];
  const out: Directive[] = [];
  for (const m of value.matchAll(/\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)/g)) {
    const name = m[1].toLowerCase();
    const v = m[2]?.trim().replace(/^"|"$/g, '');
    out.push({ name, value: v, meaning: CACHE_MEANING[name]?.(v) });
  }
  return out;
}

/** Keep-Alive: timeout=5, max=100 → { timeout: 5, max: 100 }. */
export function keepAliveParams(value: string | undefined): { timeout?: number; max?: number } {
  const r: { timeout?: number; max?: number } = {};
  if (!value) return r;
  const t = /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(value);
  const m = /(?:^|[,\s])max\s*=\s*(\d+)/i.exec(value);
  if (t) r.timeout = Number(t[1]);
  if (m) r.max = Number(m[1]);
  return r;
}

/** Connection options, lower case ("keep-alive", "close", "upgrade"). */
export function connectionOptions(m: { headers: Array<[string, string]> }): string[] {
  return m.headers.filter(([k]) => k.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

export interface ByteRange {
  first: number;
  last?: number;
  /** "bytes=-500": the last 500 bytes. */
  suffix?: number;
}

/** Range: bytes=0-, bytes=100-199, bytes=-500 (first range only; multi-range is rare in browsers). */
export function parseRange(value: string | undefined): { ranges: ByteRange[]; raw: string } | undefined {
  if (!value) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(value);
  if (!m) return { ranges: [], raw: value };
  const ranges: ByteRange[] = [];
  for (const part of m[1].split(',')) {
    const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(part);
    if (!r) continue;
    if (r[1] === '' && r[2] !== '') ranges.push({ first: -1, suffix: Number(r[2]) });
    else if (r[1] !== '') ranges.push({ first: Number(r[1]), last: r[2] === '' ? undefined : Number(r[2]) });
  }
  return { ranges, raw: value };
}

/** Content-Range: bytes 0-66663/66664 (or bytes * /66664 on a 416). */
export function parseContentRange(value: string | undefined): { first?: number; last?: number; complete?: number; raw: string } | undefined {
  if (!value) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)\s*-\s*(\d+)|\*)\s*\/\s*(\d+|\*)\s*$/i.exec(value);
  if (!m) return { raw: value };
  return { first: m[1] === undefined ? undefined : Number(m[1]), last: m[2] === undefined ? undefined : Number(m[2]), complete: m[3] === '*' ? undefined : Number(m[3]), raw: value };
}

/** Statuses whose responses never have a body (RFC 9110 §6.4.1), and a HEAD's response. */
export function bodyless(res: { code?: number }, req?: { method?: string }): boolean {
  const c = res.code ?? 0;
  return req?.method === 'HEAD' || (c >= 100 && c < 200) || c === 204 || c === 304;
}
