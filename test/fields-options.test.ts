/**
 * Every `wirenote fields` option against tshark -2 with the same option, byte for byte, on a
 * representative subset of the shared captures (simple GET; retransmissions, duplicate ACKs and
 * SSDP; TLS and IPv6; IPv4 + IPv6; many GETs, chunked) and on captures written here: -E (header,
 * separator, quote, occurrence, aggregator, bom), -T json, -Y display filters, -c, -r - (a pipe of
 * pcap / pcapng / gzip), -d decode-as, -l.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { inPool, SHARED_CAPTURES, tshark, tsharkAsync, tsharkAvailable, wirenote, wirenoteFields } from './support/tshark';
import { Conn, F, pcap, timed, eth, ipv4, icmp, udpDatagram } from './support/pcap-builder';

const shared = (f: string) => path.join(SHARED_CAPTURES, f);
const SUBSET = ['zeek/get.pcap', 'pcap2har/fhs_ncomp.pcap', 'PcapPlusPlus/tls.pcap', 'packets/http_ip4and6.pcapng', 'PcapPlusPlus/http-packets2.pcap'].map(shared);

/** Fields with several occurrences, non-ASCII text, first-pass needs (final state, pairing, reassembly). */
const FIELDS = [
  'frame.number', 'frame.time_relative', 'ip.src', 'ipv6.src', 'tcp.stream', 'tcp.seq', 'tcp.analysis.duplicate_ack', 'tcp.options.sack_le',
  'tcp.flags.str', 'tcp.completeness', 'http.request.uri', 'http.user_agent', 'http.host', 'http.response_in', 'tcp.reassembled_in',
];
const E = (fields: string[]) => fields.flatMap((f) => ['-e', f]);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-options-'));

/**
 * tshark -2 -T fields (with wirenote's default -E header=y) and wirenote with the same extra
 * options: the same bytes. (wirenote runs its command in this process; cli.test.ts covers the
 * process around it.)
 */
async function same(file: string, extra: string[], fields = FIELDS): Promise<string> {
  const [t, w] = await Promise.all([tsharkAsync(['-2', '-r', file, '-T', 'fields', '-E', 'header=y', ...extra, ...E(fields)]), wirenoteFields(['-r', file, ...extra, ...E(fields)])]);
  expect(w.stderr).toBe('');
  expect(w.status).toBe(0);
  expect(w.stdout).toBe(t.stdout);
  return t.stdout;
}

/** A capture with a TAB, a backslash, quotes, control bytes and non-ASCII bytes in HTTP text, an ICMP error and SSDP. */
function hostileText(): string {
  const c = new Conn('10.0.0.1', '10.0.0.2', 40000, 80);
  let bytes = '';
  for (let i = 1; i < 256; i++) if (i !== 10 && i !== 13) bytes += String.fromCharCode(i);
  const req = `GET /a\tb\\c"d\x7f\xc3\xa9\xe9?q=\x01 HTTP/1.1\r\nHost: h\tx\\y"z,w\r\nUser-Agent: ${bytes}\r\n\r\n`;
  const resp = 'HTTP/1.1 200 O\tK \xe9\r\nServer: s\x00t\r\nContent-Type: \xe4\xbd\xa0\xe5\xa5\xbd\r\nContent-Length: 0\r\n\r\n';
  const u = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udpDatagram('10.0.0.1', '10.0.0.2', 5353, 9999, Buffer.from('x')) });
  const ssdp = ipv4({ src: '10.0.0.1', dst: '239.255.255.250', proto: 17, payload: udpDatagram('10.0.0.1', '239.255.255.250', 1900, 1900, Buffer.from('NOTIFY * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n')) });
  const pk = [c.c(F.SYN), c.s(F.SYN | F.ACK), c.c(F.ACK), c.c(F.ACK | F.PSH, req), c.s(F.ACK | F.PSH, resp), eth(u), eth(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 1, payload: icmp(3, 3, u) })), eth(ssdp)];
  const f = path.join(dir, 'hostile-text.pcap');
  fs.writeFileSync(f, pcap(timed(pk)));
  return f;
}

(tsharkAvailable() ? describe : describe.skip)('wirenote fields options = tshark -2 with the same options', () => {
  const hostile = hostileText();

  describe('-E', () => {
    const settings: string[][] = [
      [],
      ['-E', 'header=n'],
      ['-E', 'separator=/s'],
      ['-E', 'separator=,'],
      ['-E', 'quote=d'],
      ['-E', 'quote=s', '-E', 'separator=;'],
      ['-E', 'occurrence=f'],
      ['-E', 'occurrence=l'],
      ['-E', 'aggregator=/s'],
      ['-E', 'aggregator=;', '-E', 'quote=d', '-E', 'occurrence=a'],
      ['-E', 'bom=y'],
      ['-Eheader=n', '-Ebom=y', '-Eseparator=|', '-Equote=n', '-Eoccurrence=l'],
    ];
    test.each(settings.map((s) => [s.join(' ') || '(defaults)', s]))('%s', async (_name, s) => {
      for (const f of [SUBSET[1], SUBSET[2], hostile]) await same(f, s as string[]);
    });

    test('TSV injection: a TAB in a header value is written \\t, non-ASCII bytes U+FFFD, a NUL ends the value — as tshark', async () => {
      const out = await same(hostile, [], ['frame.number', 'http.request.uri', 'http.host', 'http.user_agent', 'http.response.phrase', 'http.server', 'http.content_type']);
      const rows = out.split('\n');
      expect(rows.every((r) => r === '' || r.split('\t').length === 7)).toBe(true);
      expect(out).toContain('/a\\tb\\c"d\x7f\ufffd\ufffd\ufffd?q=\x01');
      expect(out).toContain('\ufffd'.repeat(6));
    });
  });

  describe('-T json', () => {
    test.each([[[]], [['-E', 'occurrence=f']], [['-E', 'occurrence=l']]])('%j', async (s) => {
      for (const f of [...SUBSET, hostile]) {
        const [t, w] = await Promise.all([tsharkAsync(['-2', '-r', f, '-T', 'json', ...s, ...E(FIELDS)]), wirenoteFields(['-r', f, '-T', 'json', ...s, ...E(FIELDS)])]);
        expect(w.status).toBe(0);
        // The same structure, and the same bytes (layout, escaping, _index date).
        expect(JSON.parse(w.stdout)).toEqual(JSON.parse(t.stdout));
        expect(w.stdout).toBe(t.stdout);
      }
    });

    test('an empty capture and a filter that matches nothing', () => {
      for (const [f, y] of [[shared('tcpdump/empty.pcap'), []], [SUBSET[0], ['-Y', 'frame.number == 99999']]] as Array<[string, string[]]>) {
        const t = tshark(['-2', '-r', f, '-T', 'json', ...y, '-e', 'frame.number']);
        expect(wirenote(['fields', '-r', f, '-T', 'json', ...y, '-e', 'frame.number']).stdout).toBe(t.stdout);
      }
    });
  });

  describe('-Y', () => {
    // Presence, every relation, sets and ranges, bitwise tests, addresses and prefixes, times,
    // strings (contains, matches), field against field, multi-occurrence semantics, protocols.
    const FILTERS = [
      'tcp', 'udp', 'ip', 'ipv6', 'http', 'tls', 'frame', 'icmp', 'ssdp', 'eth',
      'tcp.port == 80', 'tcp.port != 80', 'tcp.srcport == 80 || tcp.dstport == 80', '!(tcp.port == 80)', 'not tcp.port eq 80',
      'tcp.port in {80, 443, 8080}', 'tcp.port in {1..1024}', 'tcp.port not in {80}', 'tcp.dstport in {0x50, 0700}',
      'ip.addr == 10.0.0.0/8', 'ip.src == 192.168.0.0/16 and tcp', 'ip.dst >= 128.0.0.0', 'ipv6.addr == ::1', 'ipv6.src == 2001::/16', 'ipv6.dst != fe80::/10',
      'tcp.flags.syn == 1 && tcp.flags.ack == 0', 'tcp.flags & 0x02', 'tcp.flags & 0x12 == 0x12', 'tcp.flags == 0x018', 'tcp.flags.reset || tcp.flags.fin == 1',
      'tcp.len > 0', 'tcp.len >= 1460', 'tcp.len le 100 and tcp.len gt 0',
      'tcp.analysis.retransmission', 'tcp.analysis.flags', '!tcp.analysis.flags && tcp.len > 0', 'tcp.analysis.duplicate_ack', 'tcp.analysis', 'tcp.analysis.bytes_in_flight > 1000',
      'tcp.analysis.ack_rtt > 0.01', 'tcp.analysis.initial_rtt < 0.1', 'frame.time_relative > 1', 'frame.time_delta < 0.0001', 'frame.time_epoch > 1300000000.5',
      'frame.len > 1000', 'frame.number >= 10 && frame.number <= 20', '(frame.number < 5 || frame.number > 100) && tcp',
      'http.request', 'http.response', 'http.request.method == "GET"', 'http.request.method == GET', 'http.request.method in {"GET", "POST"}',
      'http.request.uri contains "/"', 'http.request.uri matches "\\\\.(js|css|png)$"', 'http.host matches "^WWW"', 'http.host matches "(?-i)^WWW"', 'http.request.uri ~ "index"',
      'http.response.code >= 300', 'http.response.code == 200 or http.response.code == 404', 'http.content_type contains "text"', 'http.user_agent',
      'tcp.stream == 0', 'tcp.stream eq 1 and tcp.len gt 0', 'tcp.completeness == 31', 'tcp.window_size_scalefactor == -1', 'tcp.window_size < 1000',
      'http.time > 0.05', 'http.response_in', 'tcp.seq == 1', 'tcp.ack == 1 and tcp.len == 0', 'tcp.srcport == tcp.dstport', 'tcp.stream === 0',
      'tcp.port ~= 80', 'tcp.port !== 80', 'ip.src != ip.dst', 'not ip', 'tcp.options.mss_val == 1460', 'tcp.options.sack_perm', 'tcp.options.sack_le',
      'tcp.reassembled_in', 'udp.port == 53', 'udp.srcport == 1900 || udp.dstport == 1900', "http.request.method contains 'G'", 'http.request.uri == r"/"',
    ];
    const FEW = ['frame.number', 'ip.src', 'tcp.srcport', 'http.request.uri'];
    // Every filter on the richest capture and on the one written here; the ones that tell the
    // captures apart (protocols, addresses, TLS, IPv6) on the others. tshark runs one per core.
    const ON_ALL = FILTERS.filter((y) => /^(tcp|udp|ip|ipv6|http|tls|ssdp|eth|icmp|frame)$|addr|src|dst|tls|ipv6|http\.(request|response)$|stream|scalefactor|completeness/.test(y));
    const runs: Array<[string, string[]]> = [
      [SUBSET[1], FILTERS],
      [hostile, ON_ALL],
      [SUBSET[0], ON_ALL],
      [SUBSET[2], ON_ALL],
      [SUBSET[3], ON_ALL],
    ];
    test.each(runs.map(([f, ys]) => [path.basename(f), ys.length, f, ys] as const))('%s: %i filters', async (_name, _n, f, ys) => {
      const theirs = await inPool(ys.map((y) => () => tsharkAsync(['-2', '-r', f, '-Y', y, '-T', 'fields', '-E', 'header=y', ...E(FEW)])));
      const mismatched: string[] = [];
      for (let i = 0; i < ys.length; i++) {
        const w = await wirenoteFields(['-r', f, '-Y', ys[i], ...E(FEW)]);
        if (w.stdout !== theirs[i].stdout || w.status !== 0) mismatched.push(`${ys[i]}: ${w.stderr}`);
      }
      expect(mismatched).toEqual([]);
      // The filters do select: not everything, not nothing, on the whole.
      const rowCounts = theirs.map((t) => t.stdout.split('\n').length);
      expect(new Set(rowCounts).size).toBeGreaterThan(3);
    });

    test('frame numbers stay the capture\'s, time_delta is to the previous captured frame (as tshark -2 -Y)', async () => {
      const out = await same(SUBSET[1], ['-Y', 'http.request'], ['frame.number', 'frame.time_delta', 'frame.time_relative', 'tcp.stream']);
      expect(out.split('\n')[1].split('\t')[0]).toBe('4');
    });

    test('bad filters are refused (exit 2) where tshark refuses them, with the caret where tshark puts it', () => {
      const BAD = ['tcp.port in {80 443}', 'tcp.prt == 1', 'tcp.port == "abc"', 'tcp.port ==', '(tcp.port == 1', 'ip.src == 1.2.3.400', 'http.host matches "("',
        'tcp.analysis.retransmission == 1', 'tcp.port == 80 xor ip', 'tcp.flags.syn == true', 'tcp.port &&', '== 80', 'http.host contains'];
      for (const y of BAD) {
        const t = tshark(['-r', SUBSET[0], '-Y', y, '-T', 'fields', '-e', 'frame.number']);
        const w = wirenote(['fields', '-r', SUBSET[0], '-Y', y, '-e', 'frame.number']);
        expect({ y, tshark: t.status, wirenote: w.status }).toEqual({ y, tshark: 2, wirenote: 2 });
        expect(w.stdout).toBe('');
        const caret = (s: string) => s.split('\n').find((l) => /^ *\^~*$/.test(l));
        if (caret(t.stderr)) expect({ y, caret: caret(w.stderr) }).toEqual({ y, caret: caret(t.stderr) });
      }
    });
  });

  describe('-c', () => {
    test.each([1, 5, 30])('-c %i, alone and with -Y (the count is of packets read, as in tshark -2)', async (n) => {
      for (const f of [SUBSET[0], SUBSET[1]]) {
        await same(f, ['-c', String(n)]);
        await same(f, ['-c', String(n), '-Y', 'tcp.len > 0']);
      }
    });
  });

  describe('-r - (standard input)', () => {
    const cases: Array<[string, () => Buffer]> = [
      ['pcap', () => fs.readFileSync(SUBSET[0])],
      ['pcapng', () => fs.readFileSync(SUBSET[3])],
      ['gzip-compressed pcap', () => zlib.gzipSync(fs.readFileSync(SUBSET[1]))],
    ];
    test.each(cases)('a pipe of %s', (_name, data) => {
      const input = data();
      const file = path.join(dir, 'stdin-copy');
      fs.writeFileSync(file, input);
      const t = tshark(['-2', '-r', file, '-T', 'fields', '-E', 'header=y', ...E(FIELDS)]);
      const w = wirenote(['fields', '-r', '-', ...E(FIELDS)], { input });
      expect(w.status).toBe(0);
      expect(w.stdout).toBe(t.stdout);
    });
  });

  describe('-d tcp.port==N,http', () => {
    // HTTP on port 8888 whose connection starts with bytes that are not HTTP: recognising HTTP by
    // its content does not decode it; decode-as does, as tshark does.
    const c = new Conn('10.0.0.1', '10.0.0.2', 40000, 8888);
    const pk = [c.c(F.SYN), c.s(F.SYN | F.ACK), c.c(F.ACK), c.c(F.ACK | F.PSH, 'hello\r\n'), c.c(F.ACK | F.PSH, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n'), c.s(F.ACK | F.PSH, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), c.c(F.ACK)];
    const file = path.join(dir, 'port-8888.pcap');
    fs.writeFileSync(file, pcap(timed(pk)));
    test.each([['tcp.port==8888,http'], ['tcp.port==8880-8890,http'], ['tcp.port==8887:3,http']])('%s', async (d) => {
      const out = await same(file, ['-d', d], FIELDS.concat('http.response.code'));
      expect(out).toMatch(/\tGET|\/x/);
      // Without it, neither decodes this connection as HTTP.
      expect(wirenote(['fields', '-r', file, '-e', 'http.request.uri']).stdout.trim()).toBe('http.request.uri');
    });
  });

  test('-l hands the output over after every row (without it, in large chunks), and prints the same', async () => {
    await same(SUBSET[1], ['-l']);
    const chunks = async (extra: string[]) => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { fieldsCommand } = require('../lib/dist/cli/fields');
      let n = 0;
      let rows = 0;
      await fieldsCommand(['-r', SUBSET[1], '-e', 'frame.number', ...extra], { out: (b: Buffer) => { n++; rows += b.toString().split('\n').length - 1; }, err: () => undefined });
      return { n, rows };
    };
    const flushed = await chunks(['-l']);
    expect(flushed.n).toBeGreaterThanOrEqual(flushed.rows - 1);
    expect((await chunks([])).n).toBeLessThanOrEqual(2);
  });
});
