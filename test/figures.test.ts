/**
 * The report's figures, rendered as the report renders them (lib's renderSvg) and laid out in
 * headless Chromium at A4 content width in print media: every label inside its SVG, no two labels
 * overlapping, text at least 8 px, a legend naming every series of a multi-series chart, every axis
 * titled, tooltips that name frames. What the figures show is checked against tshark on the same
 * capture: the flow graph draws every SYN/FIN/RST/retransmission/HTTP frame, the time-sequence
 * graph marks exactly tshark's retransmissions, bytes in flight are tshark's, the waterfall labels
 * each request with its URI and its response's status, the MSS line is the SYN's MSS option.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, SHARED_CAPTURES, runTshark, tsharkAvailable } from './support/tshark';
import { Browser, FigureLayout, haveChromium, launch, layoutFigures, overlaps } from './support/chromium';
import * as wn from '../lib';

const REFERENCE = path.join(ROOT, 'captures', 'first-visit-server-close.pcapng');
const SCENARIOS = path.join(ROOT, 'test', 'scenarios', 'captures');
const CAPTURES: Array<{ name: string; file: string }> = [
  { name: 'reference', file: REFERENCE },
  { name: 'lossy lab capture (veth, nft drops)', file: path.join(SCENARIOS, 'veth-loss.pcapng') },
  { name: 'lossy, 7 endpoints (pcap2har/fhs_ncomp)', file: path.join(SHARED_CAPTURES, 'pcap2har/fhs_ncomp.pcap') },
  { name: 'IPv6 localhost lab capture', file: path.join(SCENARIOS, 'ipv6-localhost.pcapng') },
  { name: 'IPv6 (PcapPlusPlus/one_ipv6_http_stream)', file: path.join(SHARED_CAPTURES, 'PcapPlusPlus/one_ipv6_http_stream.pcap') },
  { name: '6 endpoints (PcapPlusPlus/three_http_streams)', file: path.join(SHARED_CAPTURES, 'PcapPlusPlus/three_http_streams.pcap') },
].filter((c) => fs.existsSync(c.file));

type Spec = Record<string, unknown>;

/** Every unit (layer leaf) of a spec with the data it draws and its encoding. */
function units(spec: Spec, data?: unknown[]): Array<{ data: Array<Record<string, unknown>>; encoding: Record<string, Record<string, unknown>>; mark: unknown }> {
  const own = ((spec.data as { values?: unknown[] })?.values ?? data) as Array<Record<string, unknown>> | undefined;
  const kids = [...((spec.layer as Spec[]) ?? []), ...((spec.vconcat as Spec[]) ?? []), ...((spec.hconcat as Spec[]) ?? [])];
  const enc = (spec.encoding ?? {}) as Record<string, Record<string, unknown>>;
  if (!kids.length) return [{ data: own ?? [], encoding: enc, mark: spec.mark }];
  return kids.flatMap((k) => units({ ...k, encoding: { ...(spec.layer ? enc : {}), ...((k.encoding as object) ?? {}) } }, own));
}

/** The series a chart distinguishes by colour or shape (values actually drawn). */
function seriesOf(spec: Spec): string[] {
  const out = new Set<string>();
  for (const u of units(spec))
    for (const ch of ['color', 'shape', 'fill']) {
      const e = u.encoding[ch];
      if (!e) continue;
      if (e.datum !== undefined) out.add(String(e.datum));
      // An arrowhead's shape says which way it points: a direction, not a series.
      else if (e.field === 'dir') continue;
      else if (typeof e.field === 'string' && e.legend !== null) for (const d of u.data) out.add(String(d[e.field]));
      else if (typeof e.field === 'string' && u.data.some((d) => d[e.field as string] !== u.data[0][e.field as string])) out.add(`(no legend: ${e.field})`);
    }
  return [...out];
}

function tshark(file: string, fields: string[]): string[][] {
  return runTshark(file, fields)
    .stdout.trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
}

const skip = !haveChromium() || !tsharkAvailable();
(skip ? describe.skip : describe)('figures in Chromium at A4 width', () => {
  let browser: Browser;
  const built = new Map<string, { lab: wn.LabModel; figures: Array<{ id: string; spec: Spec; svg: string }>; layout: FigureLayout[] }>();
  beforeAll(async () => {
    browser = await launch();
    const page = await browser.newPage();
    for (const c of CAPTURES) {
      const { lab } = await wn.loadLab(c.file);
      const blocks = wn.allTopics(lab);
      const figures: Array<{ id: string; spec: Spec; svg: string }> = [];
      for (const b of blocks) if (b.kind === 'figure') figures.push({ id: b.id, spec: b.spec, svg: await wn.renderSvg(b.spec) });
      built.set(c.name, { lab, figures, layout: await layoutFigures(page, figures, wn.CSS) });
    }
  }, 120000);
  afterAll(async () => browser && (await browser.close()));

  test('the reference, a lossy and an IPv6 capture are all here', () => {
    expect(CAPTURES.map((c) => c.name)).toEqual(expect.arrayContaining(['reference', 'lossy, 7 endpoints (pcap2har/fhs_ncomp)', 'IPv6 (PcapPlusPlus/one_ipv6_http_stream)', '6 endpoints (PcapPlusPlus/three_http_streams)']));
  });

  describe.each(CAPTURES.map((c) => [c.name]))('%s', (name) => {
    const get = () => built.get(name)!;

    test('every label lies inside its SVG, none overlaps another, none is under 8 px', () => {
      for (const f of get().layout) {
        const outside = f.texts.filter((t) => t.left < f.box.left - 1 || t.right > f.box.right + 1 || t.top < f.box.top - 1 || t.bottom > f.box.bottom + 1);
        expect({ id: f.id, outside: outside.map((t) => t.text) }).toEqual({ id: f.id, outside: [] });
        expect({ id: f.id, overlaps: overlaps(f.texts) }).toEqual({ id: f.id, overlaps: [] });
        const small = f.texts.filter((t) => t.px < 8 - 1e-6).map((t) => `${t.text} (${t.px.toFixed(1)} px)`);
        expect({ id: f.id, small }).toEqual({ id: f.id, small: [] });
        expect(f.width).toBeLessThanOrEqual(673 + 1);
      }
    });

    test('a legend names every series of a multi-series chart; every axis has a title; tooltips name frames', () => {
      const { figures, layout } = get();
      for (const f of figures) {
        const l = layout.find((x) => x.id === f.id)!;
        const series = seriesOf(f.spec);
        // A channel that tells series apart but has its legend switched off is a defect by itself.
        expect({ id: f.id, unlabelled: series.filter((x) => x.startsWith('(no legend')) }).toEqual({ id: f.id, unlabelled: [] });
        if (series.length > 1) expect({ id: f.id, missing: series.filter((s) => !l.legendLabels.includes(s)) }).toEqual({ id: f.id, missing: [] });
        for (const a of l.axes.filter((x) => x.labels > 0)) expect({ id: f.id, axis: a.label, title: a.title.trim() !== '' }).toEqual({ id: f.id, axis: a.label, title: true });
        const tips = units(f.spec).flatMap((u) => ((u.encoding.tooltip as unknown as Array<{ title?: string }>) ?? []).map((t) => t.title));
        expect({ id: f.id, framesInTooltip: tips.some((t) => t === '帧' || t === '请求') }).toEqual({ id: f.id, framesInTooltip: true });
        const meta = (f.spec.usermeta as { figure: { id: string; caption: string } }).figure;
        expect(meta.id).toBe(f.id);
        expect(meta.caption.length).toBeGreaterThan(10);
        expect(typeof f.spec.title === 'string' && /[\u4e00-\u9fff]/.test(f.spec.title as string)).toBe(true);
      }
    });

    test('the flow graph draws every SYN, FIN, RST, retransmission and HTTP frame (tshark) of the lab connections', () => {
      const { lab, figures, layout } = get();
      const flow = layout.filter((f) => /^flow(-\d+)?$/.test(f.id));
      expect(flow.length).toBe(figures.filter((f) => /^flow(-\d+)?$/.test(f.id)).length);
      const drawn = new Set(flow.flatMap((f) => f.texts.map((t) => t.text)));
      const shownStreams = new Set(wn.flowGraphInput(lab).packets.map((p) => String(p.stream)));
      const rows = tshark(getFile(name), ['frame.number', 'tcp.stream', 'tcp.flags.syn', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.analysis.retransmission', 'http.request.method', 'http.response.code']);
      const important = rows.filter((r) => shownStreams.has(r[1]) && (r[2] === '1' || r[3] === '1' || r[4] === '1' || r[5] === '1' || r[6] !== '' || r[7] !== '')).map((r) => r[0]);
      expect(important.length).toBeGreaterThan(0);
      expect(important.filter((n) => !drawn.has(n))).toEqual([]);
    });

    test('time-sequence graph: red segments are exactly tshark\'s retransmissions in that direction', () => {
      const { lab, figures } = get();
      for (const f of figures.filter((x) => x.id.startsWith('tsg-'))) {
        const stream = Number(f.id.slice(4));
        const lc = lab.connections.find((c) => c.conn.stream === stream)!;
        const input = wn.timeSequenceInput(lc);
        const sender = input.direction.startsWith('服务器') ? lc.conn.server : lc.conn.client;
        const red = new Set(units(f.spec).flatMap((u) => u.data.filter((d) => d.series === '重传的数据段').map((d) => String(d.frame))));
        const expected = tshark(getFile(name), ['frame.number', 'tcp.stream', 'tcp.srcport', 'tcp.len', 'tcp.analysis.retransmission'])
          .filter((r) => r[1] === String(stream) && r[2] === String(sender.port) && Number(r[3]) > 0 && r[4] === '1')
          .map((r) => r[0]);
        expect([...red].sort()).toEqual(expected.sort());
      }
    });

    test('bytes in flight on data frames are tshark\'s tcp.analysis.bytes_in_flight', () => {
      const { figures, lab } = get();
      const bif = figures.find((f) => f.id === 'bif');
      if (!lab.connections.some((c) => c.bytes.server > 0)) return expect(bif).toBeUndefined();
      const ours = new Map(wn.bytesInFlightInput(lab).series.flatMap((s) => s.points.filter((p) => p.kind === 'data')).map((p) => [String(p.frame), p.bytes]));
      const rows = tshark(getFile(name), ['frame.number', 'tcp.analysis.bytes_in_flight']).filter((r) => r[1] !== '' && ours.has(r[0]));
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect([r[0], ours.get(r[0])]).toEqual([r[0], Number(r[1])]);
    });

    test('waterfall: one label "METHOD URI → status" per request of the lab, the status of its response (tshark\'s bytes, paired in order)', () => {
      const { lab, layout } = get();
      const w = layout.find((f) => f.id === 'waterfall');
      const streams = new Set(lab.connections.map((c) => String(c.conn.stream)));
      const expected = expectedWaterfall(getFile(name), streams);
      if (!w) return expect(expected).toEqual([]);
      expect(expected.length).toBeGreaterThan(0);
      const texts = w.texts.map((t) => t.text);
      // Each request has a label of its own (two requests for /icon.jpg are two labels), whole or
      // with only the URI shortened: the method and the status always readable.
      const drawn = (e: { method: string; uri: string; status: string }) =>
        texts.filter((t) => {
          const m = /^(\S+) (.*) → (.+)$/.exec(t);
          if (!m || m[1] !== e.method || m[3] !== e.status) return false;
          return [e.uri, shown(e.uri)].some((u) => m[2] === u || (m[2].endsWith('…') && m[2].length > 1 && u.startsWith(m[2].slice(0, -1))));
        }).length;
      const want = new Map<string, number>();
      for (const e of expected) want.set(JSON.stringify(e), (want.get(JSON.stringify(e)) ?? 0) + 1);
      for (const [k, n] of want) expect({ request: JSON.parse(k), labels: drawn(JSON.parse(k)) }).toEqual({ request: JSON.parse(k), labels: n });
    });

    test('segment sizes: the MSS line is the MSS option of the receiver\'s SYN (tshark)', () => {
      const { layout, lab } = get();
      const s = layout.find((f) => f.id === 'segsize');
      if (!s) return;
      const mss = tshark(getFile(name), ['tcp.stream', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.options.mss_val']).filter((r) => r[1] === '1' && r[3] !== '');
      const fromServer = mss.filter((r) => r[2] === '1' && lab.connections.some((c) => String(c.conn.stream) === r[0])).map((r) => Number(r[3]));
      if (fromServer.length) expect(s.texts.map((t) => t.text)).toContain(`MSS ${Math.min(...fromServer).toLocaleString('en-US')}`);
    });
  });

  test('six endpoints: one lane each, text still at least 8 px at A4 width, nothing overlapping', async () => {
    // Every TCP packet of a capture with three connections between six endpoints, straight from the
    // analysis (whatever the lab model would choose to show).
    const a = await wn.analyzeCaptureFile(path.join(SHARED_CAPTURES, 'PcapPlusPlus/three_http_streams.pcap'));
    const ep = (addr: string, port: number) => `${addr}:${port}`;
    const lanes = [...new Set(a.connections.flatMap((c) => [ep(c.client.addr, c.client.port), ep(c.server.addr, c.server.port)]))].map((id) => ({ id, role: '端点', address: id }));
    expect(lanes).toHaveLength(6);
    const input: wn.FlowGraphInput = {
      lanes,
      packets: a.frames.map((f) => ({ frame: f.frame, time: f.time, from: ep(f.src, f.srcPort), to: ep(f.dst, f.dstPort), stream: f.stream, flags: wn.flagsText(f.flags), detail: `Seq=${f.seq} Ack=${f.ack} Len=${f.len}`, len: f.len, important: !!(f.flags & (wn.TH_SYN | wn.TH_FIN | wn.TH_RST)) })),
    };
    const specs = wn.flowGraphCharts(input);
    // One lane line per endpoint on every page, at six different places, each headed by its address.
    for (const s of specs) {
      const laneLines = units(s).filter((u) => (u.mark as { type?: string })?.type === 'rule' && !u.encoding.color);
      expect(new Set(laneLines.flatMap((u) => u.data.map((d) => d.x))).size).toBe(6);
    }
    const page = await browser.newPage();
    const layout = await layoutFigures(page, await Promise.all(specs.map(async (s, i) => ({ id: `flow-${i}`, svg: await wn.renderSvg(s) }))), wn.CSS);
    await page.close();
    for (const f of layout) {
      expect(f.width).toBeLessThanOrEqual(673 + 1);
      expect(Math.min(...f.texts.map((t) => t.px))).toBeGreaterThanOrEqual(8);
      expect(overlaps(f.texts)).toEqual([]);
      // Addresses may wrap onto two lines in the lane header: read the header's texts in order.
      const header = f.texts.filter((t) => t.top < f.box.top + 60).map((t) => t.text).join('');
      for (const l of lanes) expect(header).toContain(l.address);
    }
    // Every packet is drawn (28 packets: no folding below two pages).
    const drawn = new Set(layout.flatMap((f) => f.texts.map((t) => t.text)));
    expect(a.frames.filter((f) => !drawn.has(String(f.frame))).map((f) => f.frame)).toEqual([]);
  });

  test('a long lossy capture: the flow graph folds ordinary packets and pages, the bursts are magnified', () => {
    const b = built.get('lossy, 7 endpoints (pcap2har/fhs_ncomp)')!;
    const flows = b.figures.filter((f) => /^flow/.test(f.id));
    const input = wn.flowGraphInput(b.lab);
    expect(input.packets.length).toBeGreaterThan(44);
    const rowsDrawn = flows.reduce((n, f) => n + units(f.spec).filter((u) => (u.mark as { type?: string })?.type === 'rule' && u.encoding.color).reduce((m, u) => m + u.data.length, 0), 0);
    expect(rowsDrawn).toBeLessThan(input.packets.length); // folded …
    expect(rowsDrawn).toBeGreaterThanOrEqual(input.packets.filter((p) => p.important).length); // … never the important ones
    for (const f of b.layout.filter((x) => /^flow/.test(x.id))) expect(f.height).toBeLessThan(480); // under half an A4 page
  });
});

/**
 * The waterfall label each HTTP request on the given connections should have, from tshark alone:
 * the requests tshark decodes, and the response start lines in the server's segments (their first
 * bytes as tshark gives them, retransmissions left out), paired in order per connection — the n-th
 * final response answers the n-th request (RFC 9112 §9.3.2; 1xx other than 101 are interim, RFC
 * 9110 §15.2). This is the lab model's rule on purpose, and where it differs from tshark's own
 * pairing (http.response_in) it is the right one: tshark 4.0 gives up on a response whose
 * reassembly a lost segment interrupted (veth-loss /logo.jpg, fhs_ncomp /fhs/fhs.xsl show no
 * response at all although their start lines were captured), and pairs a pipelined response
 * with the last request it saw. Where tshark does pair, both must agree (checked here).
 */
function expectedWaterfall(file: string, streams: Set<string>): Array<{ method: string; uri: string; status: string }> {
  const rows = tshark(file, ['frame.number', 'tcp.stream', 'tcp.analysis.retransmission', 'http.request.method', 'http.request.uri', 'http.response_in', 'http.response.code', 'tcp.payload']);
  const byStream = new Map<string, { reqs: string[][]; codes: Array<{ frame: string; code: string }> }>();
  const codeOf = new Map(rows.filter((r) => r[6]).map((r) => [r[0], r[6]]));
  for (const r of rows) {
    if (!streams.has(r[1])) continue;
    const s = byStream.get(r[1]) ?? { reqs: [], codes: [] };
    byStream.set(r[1], s);
    if (r[3] && r[4]) s.reqs.push(r);
    const head = Buffer.from((r[7] ?? '').slice(0, 64), 'hex').toString('latin1');
    const m = /^HTTP\/1\.\d (\d{3})/.exec(head);
    if (m && r[2] !== '1' && !(m[1] < '200' && m[1] >= '100' && m[1] !== '101')) s.codes.push({ frame: r[0], code: m[1] });
  }
  const out: Array<{ method: string; uri: string; status: string }> = [];
  for (const { reqs, codes } of byStream.values())
    reqs.forEach((r, i) => {
      const status = codes[i]?.code ?? '无响应';
      // tshark's pairing, where it has one, says the same.
      if (r[5]) expect({ request: r[0], status: codeOf.get(r[5]) }).toEqual({ request: r[0], status });
      out.push({ method: r[3], uri: r[4], status });
    });
  return out;
}

/** A request target as the figures show it: percent-decoded where that is valid UTF-8. */
function shown(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}

function getFile(name: string): string {
  return CAPTURES.find((c) => c.name === name)!.file;
}
