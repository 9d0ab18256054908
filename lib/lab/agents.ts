/**
 * Who is talking, from what they say about themselves: the client's User-Agent and the server's
 * Server header (RFC 9110 §10.1.5, §10.2.4). A header can be absent or false; the report says
 * which header a name came from, and says "not stated" rather than guessing.
 */

export interface ClientAgent {
  /** 'browser' for a web browser; 'tool' for curl / wget / a script library. */
  kind: 'browser' | 'tool' | 'unknown';
  /** Display name: "Chromium 156" / "Firefox 128" / "curl 7.88.1". */
  name: string;
  product: string;
  version?: string;
  /** The browser ran headless (HeadlessChrome): no window on screen. */
  headless?: boolean;
  /** The User-Agent value as sent. */
  raw: string;
}

const TOOLS: Array<[RegExp, string]> = [
  [/^curl\/(\S+)/i, 'curl'],
  [/^Wget\/(\S+)/i, 'Wget'],
  [/^python-requests\/(\S+)/i, 'python-requests'],
  [/^Python-urllib\/(\S+)/i, 'Python urllib'],
  [/^python-httpx\/(\S+)/i, 'httpx'],
  [/^aiohttp\/(\S+)/i, 'aiohttp'],
  [/^HTTPie\/(\S+)/i, 'HTTPie'],
  [/^(?:node-fetch|undici)\/?(\S*)/i, 'Node.js fetch'],
  [/^node$/i, 'Node.js fetch'],
  [/^axios\/(\S+)/i, 'axios'],
  [/^Go-http-client\/(\S+)/i, 'Go net/http'],
  [/^Java\/(\S+)/i, 'Java'],
  [/^okhttp\/(\S+)/i, 'OkHttp'],
  [/^PostmanRuntime\/(\S+)/i, 'Postman'],
  [/^ApacheBench\/(\S+)/i, 'ApacheBench'],
  [/^Apache-HttpClient\/(\S+)/i, 'Apache HttpClient'],
];

/** Browsers in the order their tokens must be tested (Edge and Opera also say "Chrome"; Chrome also says "Safari"). */
const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/(\d[\d.]*)/, 'Edge'],
  [/\bOPR\/(\d[\d.]*)/, 'Opera'],
  [/\bFirefox\/(\d[\d.]*)/, 'Firefox'],
  [/\bHeadlessChrome\/(\d[\d.]*)/, 'Chrome'],
  [/\bChrom(?:e|ium)\/(\d[\d.]*)/, 'Chrome'],
  [/\bVersion\/(\d[\d.]*).*\bSafari\//, 'Safari'],
  [/\bMSIE (\d[\d.]*)|Trident\/.*rv:(\d[\d.]*)/, 'Internet Explorer'],
];

export function clientAgent(ua: string | undefined, secChUa?: string): ClientAgent | undefined {
  if (ua === undefined) return undefined;
  const raw = ua;
  for (const [re, product] of TOOLS) {
    const m = re.exec(ua.trim());
    if (m) return { kind: 'tool', product, version: m[1] || undefined, name: m[1] ? `${product} ${m[1]}` : product, raw };
  }
  if (/^Mozilla\/\d/.test(ua)) {
    for (const [re, product] of BROWSERS) {
      const m = re.exec(ua);
      if (!m) continue;
      const version = m[1] ?? m[2];
      // Chromium names itself in the client hint; Chrome-branded builds say "Google Chrome".
      // The User-Agent of Chrome and Chromium is the same; only the client hint (sec-ch-ua) tells them apart.
      let p = product === 'Chrome' ? 'Chrome/Chromium' : product;
      if (product === 'Chrome' && secChUa) p = /"Google Chrome"/.test(secChUa) ? 'Chrome' : /"Chromium"/.test(secChUa) ? 'Chromium' : p;
      const major = version.split('.')[0];
      const headless = /HeadlessChrome/.test(ua) || undefined;
      return { kind: 'browser', product: p, version, name: `${p} ${major}${headless ? '（无头模式）' : ''}`, headless, raw };
    }
    return { kind: 'browser', product: 'Mozilla-compatible', name: '浏览器（User-Agent 未能识别）', raw };
  }
  return { kind: 'unknown', product: ua.split(/[\s/]/)[0] || ua, name: ua.slice(0, 40), raw };
}

export interface ServerAgent {
  /** Product as the Server header names it ("nginx", "SimpleHTTP", …) or undefined when absent. */
  product?: string;
  version?: string;
  /** A name for the text: "nginx 1.22.1", "Python http.server (SimpleHTTP/0.6 Python/3.11.2)". */
  name?: string;
  /** The Server header value as sent, if any. */
  raw?: string;
}

const SERVERS: Array<[RegExp, string]> = [
  [/^nginx(?:\/(\S+))?/i, 'nginx'],
  [/^Apache(?:\/(\S+))?/i, 'Apache httpd'],
  [/^SimpleHTTP\/\S+ Python\/(\S+)/i, 'Python http.server'],
  [/^BaseHTTP\/\S+ Python\/(\S+)/i, 'Python http.server'],
  [/^Werkzeug\/(\S+)/i, 'Werkzeug (Flask)'],
  [/^uvicorn/i, 'uvicorn'],
  [/^gunicorn(?:\/(\S+))?/i, 'gunicorn'],
  [/^Microsoft-IIS\/(\S+)/i, 'IIS'],
  [/^lighttpd(?:\/(\S+))?/i, 'lighttpd'],
  [/^Caddy/i, 'Caddy'],
  [/^Kestrel/i, 'Kestrel (ASP.NET)'],
  [/^Jetty\((\S+)\)/i, 'Jetty'],
  [/^Apache-Coyote\/(\S+)/i, 'Tomcat'],
  [/^TornadoServer\/(\S+)/i, 'Tornado'],
  [/^Node\.js|^node/i, 'Node.js'],
  [/^Express/i, 'Express'],
  [/^LiteSpeed/i, 'LiteSpeed'],
  [/^openresty(?:\/(\S+))?/i, 'OpenResty'],
  [/^cloudflare/i, 'Cloudflare'],
];

export function serverAgent(server: string | undefined, poweredBy?: string): ServerAgent {
  if (server === undefined && poweredBy === undefined) return {};
  const v = (server ?? poweredBy)!.trim();
  for (const [re, product] of SERVERS) {
    const m = re.exec(v);
    if (m) return { product, version: m[1], name: m[1] && product !== 'Python http.server' ? `${product} ${m[1]}` : product === 'Python http.server' ? `${product}（${v}）` : product, raw: v };
  }
  return { product: v.split(/[\s/]/)[0], name: v.slice(0, 60), raw: v };
}
