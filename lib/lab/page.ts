/**
 * The student's page and what it loads, found by content: the page is an HTML response whose
 * decoded text states 专业 / 学号 / 姓名; its logo is what its `<img>` shows, its audio what its
 * `<audio>` plays, its icon what `<link rel=icon>` names — whatever the files are called. A
 * request the page did not ask for (the browser's own /favicon.ico) is named as such.
 */
import { bodyOf, header, LabExchange, LabMessage } from './http';
import { PageProfile, PageRef, readPage } from './html';
import { DecodedText, Sniffed } from './content';

export type AssetRole = 'logo' | 'audio' | 'icon' | 'favicon' | 'image' | 'media' | 'stylesheet' | 'script';

export interface Asset {
  role: AssetRole;
  /** The reference in the page (undefined for the browser's own /favicon.ico). */
  ref?: PageRef;
  /** Path and query as the browser requests it (percent-encoded), and as a person reads it. */
  target: string;
  display: string;
  /** Every exchange that requested it, in order (a reload, several Range requests, …). */
  exchanges: LabExchange[];
}

export interface Page {
  exchange: LabExchange;
  /** The page's URL as the browser had it (from Host and the request target). */
  url: string;
  profile: PageProfile;
  /** How the text was decoded (charset and where it came from). */
  text: Pick<DecodedText, 'charset' | 'source'>;
  /** Content codings undone to read it (e.g. ["gzip"]), and whether that worked. */
  codings: string[];
  decodeProblem?: { coding: string; kind: string };
  capped: boolean;
  /** How many of 专业/学号/姓名 it states. */
  identityFields: number;
  /** Later loads of the same page (a reload), by exchange. */
  reloads: LabExchange[];
  assets: Asset[];
}

export function identityCount(p: Pick<PageProfile, 'major' | 'studentId' | 'name'>): number {
  return (p.major ? 1 : 0) + (p.studentId ? 1 : 0) + (p.name ? 1 : 0);
}

/** An HTML document response: by its Content-Type, or by its bytes when the type is missing or generic. */
export function isHtmlResponse(ex: LabExchange): boolean {
  if (!ex.response?.body || (ex.response.code ?? 0) < 200 || (ex.response.code ?? 0) >= 300) return false;
  if (ex.mediaType === 'text/html' || ex.mediaType === 'application/xhtml+xml') return true;
  if (ex.mediaType && ex.mediaType !== 'application/octet-stream' && ex.mediaType !== 'text/plain') return false;
  return bodyOf(ex.response)?.sniffed.type === 'html';
}

export interface PageCandidate {
  exchange: LabExchange;
  profile: PageProfile;
  text: DecodedText;
  fields: number;
}

/** Read an HTML response as a page. */
export function readCandidate(ex: LabExchange): PageCandidate | undefined {
  const body = bodyOf(ex.response);
  if (!body) return undefined;
  const text = body.text();
  const profile = readPage(text.text);
  return { exchange: ex, profile, text, fields: identityCount(profile) };
}

/** The request target's path and query, as sent (absolute-form reduced to origin-form). */
export function targetOf(m: LabMessage | undefined): string | undefined {
  const u = m?.uri;
  if (u === undefined) return undefined;
  if (/^https?:\/\//i.test(u)) {
    try {
      const url = new URL(u);
      return url.pathname + url.search;
    } catch {
      return u;
    }
  }
  return u;
}

/** Percent-decoded for people (Chinese file names), falling back to the raw text where it is not valid UTF-8. */
export function displayTarget(t: string): string {
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}

function pageUrl(ex: LabExchange, serverHost: string): string {
  const host = header(ex.request, 'host') ?? serverHost;
  const t = targetOf(ex.request) ?? '/';
  return `http://${host}${t.startsWith('/') ? t : '/' + t}`;
}

function resolve(raw: string, base: string): string | undefined {
  try {
    const u = new URL(raw.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.pathname + u.search;
  } catch {
    return undefined;
  }
}

const ROLE_OF: Record<PageRef['element'], AssetRole | undefined> = {
  img: 'image',
  audio: 'audio',
  source: 'media',
  video: 'media',
  icon: 'icon',
  stylesheet: 'stylesheet',
  script: 'script',
  other: undefined,
};

/**
 * The page built from the chosen candidate: its assets matched with the exchanges that requested
 * them on the lab's connections (`exchanges`, in request order).
 */
export function buildPage(c: PageCandidate, exchanges: LabExchange[], serverHost: string): Page {
  const url = pageUrl(c.exchange, serverHost);
  const byTarget = new Map<string, LabExchange[]>();
  const byDecoded = new Map<string, LabExchange[]>();
  for (const ex of exchanges) {
    const t = targetOf(ex.request);
    if (t === undefined) continue;
    for (const [m, k] of [
      [byTarget, t],
      [byDecoded, displayTarget(t)],
    ] as const) {
      const l = m.get(k);
      if (l) l.push(ex);
      else m.set(k, [ex]);
    }
  }
  const assets: Asset[] = [];
  const seen = new Set<string>();
  let logo = false;
  let audio = false;
  for (const ref of c.profile.refs) {
    const target = resolve(ref.raw, url);
    if (target === undefined || seen.has(target + ref.element)) continue;
    seen.add(target + ref.element);
    let role = ROLE_OF[ref.element];
    if (!role) continue;
    // The page's first <img> is its logo; the first thing its <audio> plays is its audio.
    if (role === 'image' && !logo) {
      role = 'logo';
      logo = true;
    }
    if ((ref.element === 'audio' || (ref.element === 'source' && ref.parent === 'audio')) && !audio) {
      role = 'audio';
      audio = true;
    }
    const found = byTarget.get(target) ?? byDecoded.get(displayTarget(target)) ?? [];
    assets.push({ role, ref, target, display: displayTarget(target), exchanges: found });
  }
  // The browser asks for /favicon.ico on its own when the page names no icon (HTML §4.6.7.8).
  const fav = byTarget.get('/favicon.ico');
  if (fav && !assets.some((a) => a.target === '/favicon.ico')) assets.push({ role: 'favicon', target: '/favicon.ico', display: '/favicon.ico', exchanges: fav });
  const pageTarget = targetOf(c.exchange.request);
  const reloads = pageTarget === undefined ? [] : exchanges.filter((ex) => ex !== c.exchange && ex.request && targetOf(ex.request) === pageTarget && ex.request.frame > (c.exchange.request?.frame ?? c.exchange.response!.frame));
  const body = bodyOf(c.exchange.response)!;
  return {
    exchange: c.exchange,
    url,
    profile: c.profile,
    text: { charset: c.text.charset, source: c.text.source },
    codings: body.decoded.codings,
    decodeProblem: body.decoded.problem,
    capped: body.decoded.capped,
    identityFields: c.fields,
    reloads,
    assets,
  };
}

export function assetOf(page: Page | undefined, role: AssetRole): Asset | undefined {
  return page?.assets.find((a) => a.role === role);
}

/** The exchange that delivered an asset: the first with a 2xx response, else the first with any response, else the first. */
export function deliveringExchange(a: Asset | undefined): LabExchange | undefined {
  if (!a) return undefined;
  return a.exchanges.find((e) => (e.response?.code ?? 0) >= 200 && (e.response?.code ?? 0) < 300) ?? a.exchanges.find((e) => e.response) ?? a.exchanges[0];
}

/** What an exchange's response body is by its first bytes (after content decoding). */
export function sniffedOf(ex: LabExchange | undefined): Sniffed | undefined {
  return ex && bodyOf(ex.response)?.sniffed;
}

