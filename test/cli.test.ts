/**
 * The command line as a new user meets it: help and version, exit statuses (0 ok, 1 damaged
 * capture with the frames before the damage printed, 2 usage / missing file / not a capture),
 * every tshark option wirenote does not implement refused by name, "did you mean" for fields,
 * messages in the user's language, and the same for `wirenote batch`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { editDistance, suggest } from '../lib/dist/fields/filter';
import { ROOT, SHARED_CAPTURES, tshark, tsharkAvailable, wirenote } from './support/tshark';

const GET = path.join(SHARED_CAPTURES, 'zeek/get.pcap');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-cli-'));
const EN = { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
const ZH = { ...process.env, LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
const CJK = /[\u4e00-\u9fff]/;

describe('help and version', () => {
  test.each([[['--help']], [['-h']], [['fields', '--help']], [['fields', '-h']], [['batch', '--help']], [['help', 'fields']]])('wirenote %j exits 0 with usage on stdout', (args) => {
    const r = wirenote(args, { env: EN });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: wirenote/);
    expect(r.stderr).toBe('');
  });

  test('wirenote --help lists every command with a line of its own', () => {
    const out = wirenote(['--help'], { env: EN }).stdout;
    expect(out).toMatch(/^ {2}fields {5}\S/m);
    expect(out).toMatch(/^ {2}batch {6}\S/m);
  });

  test('--version is lib/package.json\'s', () => {
    const v = JSON.parse(fs.readFileSync(path.join(ROOT, 'lib', 'package.json'), 'utf8')).version;
    expect(wirenote(['--version']).stdout).toBe(`wirenote ${v}\n`);
    expect(wirenote(['-v']).status).toBe(0);
  });

  test('no command: usage on stderr, exit 2; an unknown command suggests the near one', () => {
    expect(wirenote([], { env: EN }).status).toBe(2);
    const r = wirenote(['feilds'], { env: EN });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "feilds" — did you mean fields?');
  });

  test('help in Chinese when the locale is Chinese (LC_ALL over LC_MESSAGES over LANG)', () => {
    expect(wirenote(['fields', '--help'], { env: ZH }).stdout).toMatch(/^用法：wirenote fields/);
    expect(wirenote(['fields', '--help'], { env: { ...ZH, LC_ALL: 'en_US.UTF-8' } }).stdout).toMatch(/^usage:/);
    expect(wirenote(['--help'], { env: { ...EN, LC_MESSAGES: 'zh_TW.UTF-8' } }).stdout).toMatch(/^用法/);
  });
});

describe('exit statuses and messages', () => {
  test('a missing file: exit 2, named in plain words (English and Chinese)', () => {
    const en = wirenote(['fields', '-r', 'no-such.pcap', '-e', 'frame.number'], { env: EN });
    expect(en.status).toBe(2);
    expect(en.stderr).toBe('wirenote fields: the file "no-such.pcap" does not exist\n');
    expect(en.stdout).toBe('');
    const zh = wirenote(['fields', '-r', 'no-such.pcap', '-e', 'frame.number'], { env: ZH });
    expect(zh.stderr).toBe('wirenote fields: 文件 "no-such.pcap" 不存在\n');
  });

  test('a folder, and a file that is not a capture: exit 2 (tshark\'s 2)', () => {
    expect(wirenote(['fields', '-r', dir, '-e', 'frame.number'], { env: EN }).stderr).toMatch(/is a folder/);
    expect(wirenote(['fields', '-r', dir, '-e', 'frame.number']).status).toBe(2);
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'these are my notes, not a capture\n');
    const r = wirenote(['fields', '-r', text, '-e', 'frame.number'], { env: EN });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a pcap or pcapng capture/);
    if (tsharkAvailable()) expect(tshark(['-r', text]).status).toBe(2);
  });

  test('a damaged capture: exit 1, the frames before the damage printed (as many as tshark prints), the offset named', () => {
    const data = fs.readFileSync(GET);
    const cut = path.join(dir, 'cut.pcap');
    fs.writeFileSync(cut, data.subarray(0, data.length - 100));
    const r = wirenote(['fields', '-r', cut, '-e', 'frame.number', '-e', 'tcp.seq'], { env: EN });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/"\S*cut\.pcap": .* \(at byte \d+\); \d+ packets before it were printed/);
    if (tsharkAvailable()) {
      const t = tshark(['-2', '-r', cut, '-T', 'fields', '-E', 'header=y', '-e', 'frame.number', '-e', 'tcp.seq']);
      expect(r.stdout).toBe(t.stdout);
    }
    expect(wirenote(['fields', '-r', cut, '-e', 'frame.number'], { env: ZH }).stderr).toMatch(/在一个数据包中间被截断/);
  });

  test('a 0-byte file prints the header and exits 0, as tshark does', () => {
    const empty = path.join(dir, 'empty.pcap');
    fs.writeFileSync(empty, '');
    const r = wirenote(['fields', '-r', empty, '-e', 'frame.number']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('frame.number\n');
  });

  test('an unknown field: exit 2 with "did you mean" (edit distance)', () => {
    const r = wirenote(['fields', '-r', GET, '-e', 'tcp.sequence', '-e', 'http.reqest.uri'], { env: EN });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown field "tcp.sequence"');
    const r2 = wirenote(['fields', '-r', GET, '-e', 'http.reqest.uri'], { env: EN });
    expect(r2.stderr).toContain('did you mean http.request.uri?');
    expect(r2.stderr).toMatch(/wirenote fields --list shows the \d+ supported fields/);
    expect(wirenote(['fields', '-r', GET, '-e', 'ip.scr'], { env: ZH }).stderr).toContain('您是否想输入 ip.src');
  });

  test('suggest and editDistance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abcdef', 'abcdef')).toBe(0);
    expect(editDistance('abcdefgh', 'zzzzzzzz', 2)).toBe(3);
    expect(suggest('frame.numbr', ['frame.number', 'frame.len', 'tcp.seq'])).toEqual(['frame.number']);
    expect(suggest('completely.different', ['frame.number'])).toEqual([]);
  });

  test('usage errors: exit 2, nothing on stdout', () => {
    const cases: string[][] = [
      ['fields', '-e', 'frame.number'], // no -r
      ['fields', '-r', GET], // no -e
      ['fields', '-r', GET, '-e'], // -e without a value
      ['fields', '-r', GET, '-e', 'frame.number', '-c', '0'],
      ['fields', '-r', GET, '-e', 'frame.number', '-c', 'ten'],
      ['fields', '-r', GET, '-e', 'frame.number', '-T', 'pdml'],
      ['fields', '-r', GET, '-e', 'frame.number', '-T', 'ek'],
      ['fields', '-r', GET, '-e', 'frame.number', '-E', 'quote=x'],
      ['fields', '-r', GET, '-e', 'frame.number', '-E', 'header=maybe'],
      ['fields', '-r', GET, '-e', 'frame.number', '-E', 'separator=ab'],
      ['fields', '-r', GET, '-e', 'frame.number', '-E', 'occurrence=2'],
      ['fields', '-r', GET, '-e', 'frame.number', '-E', 'escape=y'],
      ['fields', '-r', GET, '-e', 'frame.number', '-d', 'udp.port==53,dns'],
      ['fields', '-r', GET, '-e', 'frame.number', '-d', 'tcp.port==8080,tls'],
      ['fields', '-r', GET, '-e', 'frame.number', '-Y', 'tcp.port =='],
      ['fields', '-r', GET, '-e', 'frame.number', 'extra-argument'],
      ['fields', '-r', GET, '-e', 'frame.number', '--no-such-option'],
    ];
    for (const args of cases) {
      const r = wirenote(args, { env: EN });
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr).toMatch(/^wirenote fields: \S/);
    }
  });

  test('every tshark option wirenote does not implement is refused with exit 2, by name', () => {
    const IMPLEMENTED = new Set(['-r', '--read-file', '-e', '-E', '-T', '-Y', '--display-filter', '-c', '-d', '-l', '-n', '-2', '-h', '--help']);
    let options: string[];
    if (tsharkAvailable()) {
      // tshark's own list, from its help (short options and long ones).
      const h = execFileSync('tshark', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      options = [...new Set([...h.matchAll(/^ {2}(-[A-Za-z0-9])\b/gm)].map((m) => m[1]).concat([...h.matchAll(/(--[a-z][a-z-]+)/g)].map((m) => m[1])))];
      expect(options.length).toBeGreaterThan(60);
    } else {
      options = ['-i', '-f', '-V', '-x', '-R', '-o', '-z', '-w', '-q', '-t', '--color', '--export-objects'];
    }
    const refused: string[] = [];
    for (const o of options.filter((x) => !IMPLEMENTED.has(x))) {
      const r = wirenote(['fields', '-r', GET, '-e', 'frame.number', o, 'x'], { env: EN });
      if (r.status === 2 && r.stdout === '' && r.stderr.includes(`tshark's option ${o} is not supported`)) refused.push(o);
      else throw new Error(`${o}: exit ${r.status}, stderr ${r.stderr}`);
    }
    expect(refused.length).toBe(options.filter((x) => !IMPLEMENTED.has(x)).length);
  });

  test('attached and long forms of the implemented options work', () => {
    const a = wirenote(['fields', '-r', GET, '-e', 'frame.number', '-e', 'tcp.len', '-E', 'separator=,', '-Y', 'tcp.len > 0', '-c', '8']);
    const b = wirenote(['fields', `--read-file=${GET}`, '-eframe.number', '-etcp.len', '-Eseparator=,', '--display-filter', 'tcp.len > 0', '-c8', '-n', '-2']);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout.split('\n')[0]).toBe('frame.number,tcp.len');
  });

  test('a bad filter: exit 2, the problem in words and a caret under it (Chinese too)', () => {
    const r = wirenote(['fields', '-r', GET, '-e', 'frame.number', '-Y', 'tcp.port in {80 443}'], { env: EN });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('wirenote fields: bad display filter: "443" was unexpected in this context.\n    tcp.port in {80 443}\n                    ^~~\n');
    const zh = wirenote(['fields', '-r', GET, '-e', 'frame.number', '-Y', 'ip.scr == 1.2.3.4'], { env: ZH });
    expect(zh.stderr).toMatch(/显示过滤器有误：.*您是否想输入 ip\.src/);
    expect(CJK.test(zh.stderr)).toBe(true);
  });

  test('-r - on a terminal-less empty pipe is an empty read, not a hang', () => {
    const r = wirenote(['fields', '-r', '-', '-e', 'frame.number'], { input: Buffer.alloc(0) });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('frame.number\n');
  });
});

describe('wirenote batch', () => {
  test('usage errors exit 2 with a message in the user\'s language', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /give the folder of captures/],
      [['/no/such/folder'], /the folder "\/no\/such\/folder" does not exist/],
      [[GET], /is a file, not a folder of captures/],
      [[dir, '--threads', '0'], /--threads "0"/],
      [[dir, '--frobnicate'], /unknown option --frobnicate/],
      [[dir, dir], /unexpected argument/],
      [[dir, '--out'], /option --out needs a value/],
    ];
    for (const [args, msg] of cases) {
      const r = wirenote(['batch', ...args], { env: EN });
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(msg);
    }
    expect(wirenote(['batch', '/no/such/folder'], { env: ZH }).stderr).toMatch(/文件夹 "\/no\/such\/folder" 不存在/);
  });

  test('a folder with a damaged capture: the table is written, exit 0, the row says why', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-batch-'));
    fs.copyFileSync(GET, path.join(folder, 'good.pcap'));
    const data = fs.readFileSync(GET);
    fs.writeFileSync(path.join(folder, 'cut.pcap'), data.subarray(0, data.length - 100));
    const out = path.join(folder, 'summary');
    const r = wirenote(['batch', folder, '--out', out, '--threads', '1'], { env: EN });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/2 captures \(1 unreadable or damaged\)/);
    const csv = fs.readFileSync(`${out}.csv`, 'utf8');
    expect(csv).toMatch(/cut\.pcap,否,truncated-record @\d+/);
    expect(csv).toMatch(/good\.pcap,是,/);
    fs.rmSync(path.join(folder, 'cut.pcap'));
    expect(wirenote(['batch', folder, '--out', out, '-j', '1'], { env: ZH }).stderr).toMatch(/1 个抓包文件（其中 0 个无法读取或已损坏）/);
    expect(wirenote(['batch', folder, '--out', out]).status).toBe(0);
  });
});
