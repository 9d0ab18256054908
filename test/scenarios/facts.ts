/**
 * The facts of one scenario: what the builder (test/scenarios/build.ts) did and how it configured every
 * part, recorded from its own actions, the servers' own logs and the tools' own statements — never from
 * wirenote's analysis of the capture. `test/scenarios-corpus.test.ts` checks these facts against tshark, so a
 * test may assert a report's statements against them.
 *
 * Times are milliseconds since the Unix epoch (`at`), taken by the builder when the event happened (a
 * server's log line is stamped when the builder read it, within a few ms). `captured` says whether the
 * event happened while the capture was running (between `capture.startedAt` and `capture.stoppedAt`).
 */

/** One capture file and how it was made. */
export interface CaptureFacts {
  /** file name in test/scenarios/captures/ */
  file: string;
  format: 'pcapng' | 'pcap';
  /** 'dumpcap' (pcapng, writes SHB/IDB options) or 'tcpdump' (classic pcap) */
  tool: 'dumpcap' | 'tcpdump';
  toolVersion: string;
  /** the tool's argument list as run (file name replaced by FILE) */
  command: string[];
  /** interface name as given to the tool: 'lo', 'any', or a veth end */
  interface: string;
  /** link-layer type the tool said it captured with (pcap DLT name: EN10MB, LINUX_SLL, LINUX_SLL2) */
  linkType: string;
  /** capture filter given to the tool; null = none (everything on the interface) */
  filter: string | null;
  /** snapshot length asked for (the tools' default 262144 when none was given) */
  snaplen: number;
  /** network namespace the tool ran in */
  namespace: string;
  startedAt: number;
  stoppedAt: number;
  /** packets the kernel dropped, as the tool reported when it stopped (the builder rebuilds a scenario that had drops) */
  dropped: number;
  /** what had already happened when the capture started (null: started before anything) */
  startedAfter: string | null;
  /** what had not happened yet when the capture stopped (null: stopped after everything) */
  stoppedBefore: string | null;
}

export interface LinkFacts {
  /** 'loopback': client and server in one namespace on `lo`; 'veth': two namespaces joined by a veth pair */
  kind: 'loopback' | 'veth';
  /** namespaces: [client, server] for veth; [the one] for loopback */
  namespaces: string[];
  /** MTU of the capture interface */
  mtu: number;
  family: 4 | 6;
  clientAddress: string;
  serverAddress: string;
  /** offload settings the builder changed (veth: `ethtool -K … tso off gso off gro off`) */
  offloads: string | null;
}

export interface ClientFacts {
  /** 'browser' = Chromium; 'tool' = curl; 'script' = a raw socket written by the builder */
  kind: 'browser' | 'tool' | 'script';
  software: 'Chromium' | 'curl' | 'node-net';
  version: string;
  /** User-Agent the client sends (null: sends none) */
  userAgent: string | null;
  /** Chromium: a fresh --user-data-dir per scenario */
  freshProfile: boolean | null;
  /** Chromium's command-line flags (besides playwright's own) */
  flags: string[];
}

export interface ServerFacts {
  /** 'lab' = serves the student's page; 'other' = background traffic */
  role: 'lab' | 'other';
  software: 'http-server' | 'python-http.server' | 'nginx' | 'node-http';
  version: string;
  /** exact Server header value, null when the server sends none */
  serverHeader: string | null;
  /** HTTP version of the server's status lines */
  httpVersion: '1.0' | '1.1';
  address: string;
  /** address it listens on (e.g. '::' while clients reach it at '::1') */
  listenAddress: string;
  port: number;
  family: 4 | 6;
  /** idle keep-alive timeout in seconds; null: closes after each response */
  keepAliveTimeoutSeconds: number | null;
  /** the server sends `Keep-Alive: timeout=N` */
  advertisesKeepAliveTimeout: boolean;
  closesAfterEachResponse: boolean;
  /** answers Range with 206 */
  ranges: boolean;
  /** sends ETag / Last-Modified and answers conditional requests with 304 */
  conditional: boolean;
  /** Cache-Control header it sends on every response (null: none) */
  cacheControl: string | null;
  /** how the page body is sent */
  page: { contentEncoding: 'gzip' | null; transferEncoding: 'chunked' | null } | null;
  /** pipelined requests are answered in order */
  pipelining: boolean | null;
}

export interface Profile {
  major: string;
  studentId: string;
  name: string;
}

export interface PageFacts {
  url: string;
  uri: string;
  /** the values after 专业： / 学号： / 姓名： on the page */
  profile: Profile;
  title: string;
  /** the page has <link rel="… icon …"> */
  hasIconLink: boolean;
  /** the rel attribute of that link ('icon', 'shortcut icon'), null without one */
  iconLinkRel: string | null;
  /** bytes of the HTML file (before any content coding) */
  size: number;
}

export interface AssetFacts {
  /** what the asset is on the page: <img> = logo, <audio> = audio, <link rel=icon> = icon;
   *  'favicon' = /favicon.ico the browser asks for on its own when the page has no icon link */
  role: 'logo' | 'audio' | 'icon' | 'favicon';
  /** file name on the server's disk (null when there is no such file: the favicon 404) */
  file: string | null;
  /** URI as the client requests it (percent-encoded) */
  uri: string;
  /** the same, percent-decoded */
  decodedUri: string;
  /** how the page refers to it: 'img', 'audio', 'link rel=icon', 'none (browser default)' */
  referencedBy: string;
  contentType: string | null;
  size: number | null;
  /** status the server answers a plain GET with (404 for a missing favicon) */
  status: number;
}

export interface RequestFact {
  method: string;
  /** request-target as sent (percent-encoded) */
  uri: string;
  /** status the server answered with; null: it sent no response (the client went away first, or no log) */
  status: number | null;
  /** the server handed the whole response to its socket (the client may still have closed before reading it all);
   *  false: the client went away before the server had written it (an abandoned response, e.g. after a seek);
   *  null: the server's log does not say */
  complete: boolean | null;
  /** server port the request went to (several servers in one scenario) */
  port: number;
  /** Range header, if any */
  range: string | null;
  /** the request carried If-None-Match or If-Modified-Since */
  conditional: boolean | null;
  /** the client's address and port as the server saw it, when the server logs it */
  remote: { address: string; port: number } | null;
  at: number;
  /** the request is in the capture file: sent while the capture ran (and not removed by a rewrite, see derivedFrom) */
  captured: boolean;
  /** where this fact comes from */
  source: 'server-log' | 'script';
}

/** A connection the server logged (http-server and the Node servers log accept and close). */
export interface ConnectionFact {
  port: number;
  remote: { address: string; port: number };
  openedAt: number;
  closedAt: number | null;
  requests: number;
  /** opened while the capture ran, so its handshake is in the file */
  handshakeCaptured: boolean;
  /** closed while the capture ran */
  closeCaptured: boolean;
  /** who closed it, as the server saw it: 'server' (its timeout or Connection: close) or 'client' */
  closedBy: 'server' | 'client' | null;
}

export interface RefusedFact {
  address: string;
  port: number;
  family: 4 | 6;
  /** 'closed port': nothing listens there; the kernel answers the SYN with RST */
  reason: 'closed port';
  /** what made the attempt */
  by: string;
}

export interface TlsAttemptFact {
  /** the client sent a TLS ClientHello to this port */
  address: string;
  port: number;
  /** what the server there did: 'http 400' = an HTTP server answered 400 and closed;
   *  'refused' = no connection (so no ClientHello on the wire) */
  answer: 'http 400' | 'refused';
  clientHelloSent: boolean;
  url: string;
  /** connections the server logged for this attempt (Chromium retries the handshake on new connections); null: none */
  connections: number | null;
}

export type CloseReason =
  /** HTTP/1.0 server, no keep-alive: one request per connection, closed right after the response (the server
   *  closes it, and a browser that knows it cannot be reused may close it first) */
  | 'http10-server-close'
  /** the response said Connection: close */
  | 'connection-close-header'
  /** the server's idle keep-alive timeout */
  | 'keepalive-timeout'
  /** the browser was closed: its remaining connections close together */
  | 'browser-exit'
  /** a command-line client exited after its last response */
  | 'client-exit'
  /** the browser dropped a media request after a seek */
  | 'client-abort-after-seek'
  /** the browser closed a connection on its own before the end, with no seek (Chromium's media loader drops the
   *  audio connection once it has what it wants; a RST follows when data was still arriving) */
  | 'client-abort'
  /** an HTTP server rejected TLS bytes with 400 and closed */
  | 'tls-rejected'
  /** the capture stopped while connections were still open: no close is captured */
  | 'capture-stopped-first';

export interface CloseFact {
  /** which connections: 'all lab connections', 'the page connection', 'audio connections', 'tls attempt', … */
  scope: string;
  /** the client ports of the connections it covers, where the server's log names them; null: every lab connection
   *  not named by another close fact */
  clientPorts: number[] | null;
  reason: CloseReason;
  /** who sends the first FIN (or RST) by design; null when nothing closes inside the capture, or when the order is a race */
  by: 'server' | 'client' | null;
  /** keep-alive timeout in seconds, for 'keepalive-timeout' */
  seconds: number | null;
  detail: string;
}

export interface LossFact {
  /** where the rule ran */
  namespace: string;
  /** the nft rule as given */
  rule: string;
  /** packets the rule dropped (its nft counter after the run) */
  dropped: number;
  /** drops happen before the capture point, so the capture shows gaps and retransmissions */
  beforeCapturePoint: boolean;
}

export interface OtherTrafficFact {
  kind: 'http' | 'udp';
  /** what made it */
  client: string;
  address: string;
  port: number;
  /** how many requests / datagrams were sent while the capture ran */
  count: number;
  /** it started before the student's page was loaded */
  startedBeforePage: boolean;
  /** for http: the other page's URI and whether it holds 专业/学号/姓名 (it never does) */
  uri: string | null;
  hasProfile: boolean;
}

/** A scenario derived by rewriting another scenario's capture. */
export interface RewriteFacts {
  from: string;
  /** 'drop-frames' (editcap -d style, by frame number) or 'duplicate-block' (a pcapng EPB copied in place) */
  how: 'drop-frames' | 'duplicate-block';
  /** frame numbers in the source capture (1-based) that were dropped or duplicated */
  frames: number[];
  /** what those frames carried (as tshark shows them in the source) */
  carried: string;
  /** for duplicate-block: the duplicate's frame number in the new file */
  duplicateFrame: number | null;
}

/** Requests the builder wrote itself, all in one write() on a fresh connection (so in one TCP segment). */
export interface PipelineFacts {
  /** the request lines, in the order written */
  requests: string[];
  oneWrite: true;
  /** the client's port */
  localPort: number;
}

export interface ScenarioFacts {
  schema: 1;
  name: string;
  /** one line: what the scenario is */
  summary: string;
  capture: CaptureFacts;
  link: LinkFacts;
  client: ClientFacts;
  /** servers[0] is the lab's server */
  servers: ServerFacts[];
  page: PageFacts | null;
  assets: AssetFacts[];
  /** every request the servers logged (or the script sent), in the order they arrived */
  requests: RequestFact[];
  /** the order of `requests` is fixed by the scenario (curl, a raw socket), not the browser's choice */
  requestsOrdered: boolean;
  connections: ConnectionFact[];
  refused: RefusedFact[];
  tls: TlsAttemptFact[];
  closes: CloseFact[];
  loss: LossFact | null;
  otherTraffic: OtherTrafficFact[];
  derivedFrom: RewriteFacts | null;
  pipelined: PipelineFacts | null;
  /** the builder's own log of what it did, in order (for people) */
  timeline: { at: number; event: string }[];
}
