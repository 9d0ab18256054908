/**
 * `wirenote fields`: what `tshark -2 -T fields` (or `-T json`) prints, for the fields wirenote
 * knows. Every tshark option it accepts is implemented with tshark's meaning; every other
 * tshark option is refused (exit 2) by name — none is accepted and ignored.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaptureFile, ReadResult } from '../capture/file';
import { CaptureError } from '../capture/errors';
import { TSHARK_HTTP_PORTS } from '../http/analyzer';
import { FIELD_NAMES, FIELD_TYPES } from '../fields/registry';
import { compileFilter, CompiledFilter, FilterError, pointAt, suggest } from '../fields/filter';
import { DEFAULT_FORMAT, FieldsFormat } from '../fields/output';
import { FieldsResult, runFields } from '../fields/run';
import { FieldsLimitError } from '../fields/limits';
import { ChunkSink } from '../fields/output';
import { Command, EXIT, UsageError } from './command';
import { say } from './locale';

export interface FieldsArgs {
  file?: string;
  fields: string[];
  format: FieldsFormat;
  filter?: string;
  count?: number;
  /** Extra TCP ports decoded as HTTP (-d tcp.port==N,http). */
  httpPorts: number[];
  flushEachRow: boolean;
  list: boolean;
  help: boolean;
  reportPorts: boolean;
}

/** tshark's options wirenote does not implement (refused by name, never ignored). */
const TSHARK_SHORT = new Set('i f s p I B y D L a b M R N H w C F V O P S x j J t u q Q g W X U z v o K G'.split(' ').map((o) => '-' + o));
const TSHARK_LONG = new Set(
  ('interface snapshot-length no-promiscuous-mode monitor-mode buffer-size linktype time-stamp-type list-interfaces list-data-link-types ' +
    'list-time-stamp-types autostop ring-buffer read-filter enable-protocol disable-protocol enable-heuristic disable-heuristic capture-comment ' +
    'print hexdump color no-duplicate-keys elastic-mapping-filter export-objects export-tls-session-keys temp-dir log-level log-fatal ' +
    'log-domains log-debug log-noisy log-file version')
    .split(' ')
    .map((o) => '--' + o),
);
const IMPLEMENTED = '-r -e -E -T -Y -c -d -l -n -2';

/** Options that take a value: -X VALUE, -XVALUE, --long VALUE or --long=VALUE. */
const WITH_VALUE: Record<string, string> = { '-r': '-r', '--read-file': '-r', '-e': '-e', '-E': '-E', '-T': '-T', '-Y': '-Y', '--display-filter': '-Y', '-c': '-c', '-d': '-d' };

export function parseFieldsArgs(args: string[]): FieldsArgs {
  const a: FieldsArgs = { fields: [], format: { ...DEFAULT_FORMAT }, httpPorts: [], flushEachRow: false, list: false, help: false, reportPorts: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let opt = arg;
    let value: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      opt = arg.slice(0, arg.indexOf('='));
      value = arg.slice(arg.indexOf('=') + 1);
    } else if (/^-[A-Za-z0-9]./.test(arg) && WITH_VALUE[arg.slice(0, 2)]) {
      opt = arg.slice(0, 2);
      value = arg.slice(2);
    }
    const canonical = WITH_VALUE[opt];
    if (canonical) {
      if (value === undefined) {
        if (i + 1 >= args.length) throw new UsageError(say(`option ${opt} needs a value`, `选项 ${opt} 需要一个值`));
        value = args[++i];
      }
      applyValue(a, canonical, value);
      continue;
    }
    switch (opt) {
      case '-2':
      case '-n':
        // Always two-pass (tshark -2's results), and never resolving names (-n): both implemented by construction.
        continue;
      case '-l':
        a.flushEachRow = true;
        continue;
      case '--list':
        a.list = true;
        continue;
      case '--http-ports-by-content':
        a.reportPorts = true;
        continue;
      case '-h':
      case '--help':
        a.help = true;
        continue;
    }
    if (TSHARK_SHORT.has(opt.slice(0, 2)) && !opt.startsWith('--')) {
      throw new UsageError(say(`tshark's option ${opt.slice(0, 2)} is not supported by wirenote fields`, `wirenote fields 不支持 tshark 的选项 ${opt.slice(0, 2)}`), say(`implemented: ${IMPLEMENTED} (see wirenote fields --help)`, `已实现的选项：${IMPLEMENTED}（见 wirenote fields --help）`));
    }
    if (TSHARK_LONG.has(opt)) {
      throw new UsageError(say(`tshark's option ${opt} is not supported by wirenote fields`, `wirenote fields 不支持 tshark 的选项 ${opt}`), say(`implemented: ${IMPLEMENTED} (see wirenote fields --help)`, `已实现的选项：${IMPLEMENTED}（见 wirenote fields --help）`));
    }
    if (opt.startsWith('-') && opt !== '-') throw new UsageError(say(`unknown option ${opt}`, `未知选项 ${opt}`), say('see wirenote fields --help', '见 wirenote fields --help'));
    throw new UsageError(say(`unexpected argument "${arg}" (give the capture with -r FILE)`, `多余的参数 "${arg}"（请用 -r 文件 指定抓包文件）`));
  }
  return a;
}

function applyValue(a: FieldsArgs, opt: string, value: string): void {
  switch (opt) {
    case '-r':
      a.file = value;
      return;
    case '-e':
      a.fields.push(value);
      return;
    case '-Y':
      a.filter = value;
      return;
    case '-c':
      if (!/^\d+$/.test(value)) throw new UsageError(say(`the packet count "${value}" is not a decimal number`, `包数 "${value}" 不是十进制整数`));
      if (Number(value) === 0) throw new UsageError(say('the packet count is zero', '包数为零'));
      a.count = Number(value);
      return;
    case '-T':
      if (value !== 'fields' && value !== 'json') {
        throw new UsageError(say(`output format -T ${value} is not supported by wirenote fields (only -T fields and -T json)`, `wirenote fields 不支持输出格式 -T ${value}（只支持 -T fields 和 -T json）`));
      }
      a.format.kind = value;
      return;
    case '-E':
      applyFormatOption(a.format, value);
      return;
    case '-d':
      a.httpPorts.push(...decodeAs(value));
      return;
  }
}

/** -E name=value, with tshark's names and values. */
function applyFormatOption(f: FieldsFormat, spec: string): void {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const v = eq < 0 ? undefined : spec.slice(eq + 1);
  const bad = () => new UsageError(say(`"${spec}" is not a valid -E option`, `"${spec}" 不是有效的 -E 选项`), say('-E header=y|n, separator=/t|/s|<char>, quote=d|s|n, occurrence=f|l|a, aggregator=,|/s|<char>, bom=y|n', '-E header=y|n、separator=/t|/s|<字符>、quote=d|s|n、occurrence=f|l|a、aggregator=,|/s|<字符>、bom=y|n'));
  const yesNo = () => {
    if (v === 'y' || v === 'Y') return true;
    if (v === 'n' || v === 'N') return false;
    throw bad();
  };
  /** /t, /s or one character (tshark would take the first of several; wirenote refuses rather than drop the rest). */
  const char = () => {
    if (v === '/t') return '\t';
    if (v === '/s') return ' ';
    if (v !== undefined && [...v].length === 1) return v;
    throw bad();
  };
  switch (name) {
    case 'header':
      f.header = yesNo();
      return;
    case 'bom':
      f.bom = yesNo();
      return;
    case 'separator':
      f.separator = char();
      return;
    case 'aggregator':
      f.aggregator = char();
      return;
    case 'quote':
      if (v === 'd') f.quote = '"';
      else if (v === 's') f.quote = "'";
      else if (v === 'n') f.quote = '';
      else throw bad();
      return;
    case 'occurrence':
      if (v === 'f' || v === 'l' || v === 'a') f.occurrence = v;
      else throw bad();
      return;
    default:
      throw bad();
  }
}

/** -d tcp.port==N[-M|:K],http → the ports. */
function decodeAs(spec: string): number[] {
  const m = /^tcp\.port={1,2}(\d+)(?:-(\d+)|:(\d+))?,([A-Za-z0-9_.-]+)$/.exec(spec);
  const usage = say('-d tcp.port==N,http (or a range N-M, N:count)', '-d tcp.port==N,http（或范围 N-M、N:个数）');
  if (!m) throw new UsageError(say(`-d "${spec}": wirenote decodes only TCP ports as HTTP`, `-d "${spec}"：wirenote 只支持把 TCP 端口解码为 HTTP`), usage);
  if (m[4].toLowerCase() !== 'http') throw new UsageError(say(`-d "${spec}": decoding as "${m[4]}" is not supported (only http)`, `-d "${spec}"：不支持解码为 "${m[4]}"（只支持 http）`), usage);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? lo + Number(m[3]) - 1 : lo;
  if (lo > 65535 || hi > 65535 || hi < lo) throw new UsageError(say(`-d "${spec}": not a TCP port range`, `-d "${spec}"：不是有效的 TCP 端口范围`), usage);
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
}

function unknownField(name: string): UsageError {
  const hint = suggest(name, FIELD_NAMES);
  return new UsageError(
    say(`unknown field "${name}"${hint.length ? ` — did you mean ${hint.join(', ')}?` : ''}`, `未知字段 "${name}"${hint.length ? `——您是否想输入 ${hint.join('、')}？` : ''}`),
    say(`wirenote fields --list shows the ${FIELD_NAMES.length} supported fields`, `wirenote fields --list 列出支持的 ${FIELD_NAMES.length} 个字段`),
  );
}

/**
 * The capture to read: a file, or standard input (-r -) or another pipe (-r <(…)), which is
 * spooled to a temporary file first (two passes need to read it twice, and the reader looks at
 * the first bytes to tell gzip from plain).
 */
async function openInput(file: string): Promise<{ path: string; name: string; cleanup(): void }> {
  const stdin = file === '-';
  const name = stdin ? say('standard input', '标准输入') : file;
  if (stdin && process.stdin.isTTY) throw new UsageError(say('-r - reads a capture from standard input, but it is a terminal', '-r - 从标准输入读取抓包，但标准输入是终端'), say('pipe one in: cat capture.pcapng | wirenote fields -r - …', '请用管道输入：cat capture.pcapng | wirenote fields -r - …'));
  if ((stdin ? fs.fstatSync(0) : fs.statSync(file)).isFile()) return { path: stdin ? '/dev/stdin' : file, name, cleanup() {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-input-'));
  const spool = path.join(dir, 'capture');
  await new Promise<void>((resolve, reject) => {
    const from = stdin ? process.stdin : fs.createReadStream(file);
    const w = fs.createWriteStream(spool);
    from.on('error', reject);
    w.on('error', reject);
    w.on('finish', () => resolve());
    from.pipe(w);
  });
  return { path: spool, name, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A capture that could not be read, in plain words. */
function readProblem(name: string, e: CaptureError, packets: number): string {
  const zh: Record<string, string> = {
    'not-a-capture': '不是 pcap 或 pcapng 抓包文件',
    empty: '是空文件',
    'truncated-header': '在文件头内就结束了',
    'truncated-record': '在一个数据包中间被截断',
    'bad-caplen': '有一个数据包长度不合理',
    'unsupported-version': '的格式版本不受支持',
    'bad-block': '有一个损坏的 pcapng 块',
    'bad-option': '有一个损坏的 pcapng 选项',
    'bad-interface': '引用了未声明的接口',
    'unknown-link-type': '的链路类型 Wireshark 无法解码',
    gzip: '的 gzip 压缩数据已损坏',
    io: '无法读取',
  };
  return say(
    `"${name}": ${e.detail} (at byte ${e.offset}); ${packets === 1 ? '1 packet before it was' : `${packets} packets before it were`} printed`,
    `"${name}" ${zh[e.code] ?? '已损坏'}（字节偏移 ${e.offset}；${e.detail}）；此前的 ${packets} 个数据包已输出`,
  );
}

/**
 * Write a whole chunk synchronously (the fields writer reuses its buffer). A non-blocking pipe
 * that is full is waited for; a reader that went away (`| head`) ends the output quietly.
 */
function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += fs.writeSync(fd, chunk, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(PAUSE, 0, 0, 1);
      else if (code === 'EPIPE') process.exit(0);
      else throw e;
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Where the command writes: rows (byte chunks, reused after the call) and messages. */
export interface FieldsIo {
  out: ChunkSink;
  err: (text: string) => void;
}

const STDIO: FieldsIo = { out: (chunk) => writeAll(1, chunk), err: (text) => process.stderr.write(text) };

/** The whole command: arguments → output and messages → exit status (usage errors included). */
export async function fieldsCommand(args: string[], io: FieldsIo = STDIO): Promise<number> {
  try {
    return await runParsed(parseFieldsArgs(args), io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`wirenote fields: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return EXIT.USAGE;
  }
}

async function runParsed(a: FieldsArgs, io: FieldsIo): Promise<number> {
  const err = (line: string) => io.err(`wirenote fields: ${line}\n`);
  const text = (s: string) => io.out(Buffer.from(s));
  if (a.help) {
    text(help());
    return EXIT.OK;
  }
  if (a.list) {
    text(FIELD_NAMES.map((f) => `${f}\t${FIELD_TYPES[f]}`).join('\n') + '\n');
    return EXIT.OK;
  }
  for (const f of a.fields) if (!(f in FIELD_TYPES)) throw unknownField(f);
  if (!a.file) throw new UsageError(say('give the capture with -r FILE (or -r - for standard input)', '请用 -r 文件 指定抓包文件（-r - 表示标准输入）'), say('see wirenote fields --help', '见 wirenote fields --help'));
  if (a.fields.length === 0) throw new UsageError(say(`-T ${a.format.kind} needs at least one field: -e FIELD`, `-T ${a.format.kind} 至少需要一个字段：-e 字段名`), say('wirenote fields --list shows them', 'wirenote fields --list 列出全部字段'));
  let filter: CompiledFilter | undefined;
  if (a.filter !== undefined) {
    try {
      filter = compileFilter(a.filter);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      err(say(`bad display filter: ${e.what.en}`, `显示过滤器有误：${e.what.zh}`));
      io.err(pointAt(a.filter, e) + '\n');
      return EXIT.USAGE;
    }
  }
  if (a.file !== '-') {
    let st: fs.Stats;
    try {
      st = fs.statSync(a.file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      err(code === 'ENOENT' ? say(`the file "${a.file}" does not exist`, `文件 "${a.file}" 不存在`) : say(`cannot open "${a.file}": ${(e as Error).message}`, `无法打开 "${a.file}"：${(e as Error).message}`));
      return EXIT.USAGE;
    }
    if (st.isDirectory()) {
      err(say(`"${a.file}" is a folder, not a capture file`, `"${a.file}" 是文件夹，不是抓包文件`));
      return EXIT.USAGE;
    }
    try {
      fs.accessSync(a.file, fs.constants.R_OK);
    } catch (e) {
      err(say(`cannot read "${a.file}": ${(e as Error).message}`, `无法读取 "${a.file}"：${(e as Error).message}`));
      return EXIT.USAGE;
    }
  }
  const input = await openInput(a.file);
  try {
    const ports = a.httpPorts.length ? new Set([...TSHARK_HTTP_PORTS, ...a.httpPorts]) : undefined;
    let res: FieldsResult;
    try {
      res = await runFields((cb) => readCaptureFile(input.path, cb), a.fields, io.out, {
        format: a.format,
        filter,
        maxPackets: a.count,
        flushEachRow: a.flushEachRow,
        http: ports && { ports },
      });
    } catch (e) {
      if (!(e instanceof FieldsLimitError)) throw e;
      err(say(`"${input.name}": ${e.message}`, `"${input.name}"：${limitZh(e)}`));
      return EXIT.LIMIT;
    }
    return report(input.name, res.read, res.undecoded, res.httpLimits, a.reportPorts ? res.httpPortsByContent : undefined, io);
  } finally {
    input.cleanup();
  }
}

/** What a size limit of the HTTP analyzer did (HttpEvents.onLimit). */
const LIMIT_TEXT = {
  head: {
    en: 'an HTTP message still without the end of its head after 16 MiB was read as data from there on (tshark would keep collecting it)',
    zh: '一个 HTTP 消息读了 16 MiB 仍未见到头部的结尾，此后的字节按数据读取（tshark 会继续收集）',
  },
  body: {
    en: 'an HTTP message still waiting for its chunks after 16 MiB was shown as it was (tshark would keep collecting it)',
    zh: '一个 HTTP 消息读了 16 MiB 仍在等待其分块，按当时的样子显示（tshark 会继续收集）',
  },
  kept: { en: 'an HTTP body over 64 MiB was counted, not kept', zh: '一个超过 64 MiB 的 HTTP 消息体只计了长度，没有保存' },
};

function limitZh(e: FieldsLimitError): string {
  return (
    `内存已达上限：保留了 ${e.connections} 个 TCP 连接和 ${e.exchanges} 个 HTTP 交换（已用 JavaScript 堆 ${e.limitMb} MB 中的 ${e.usedMb} MB）；` +
    '可用 NODE_OPTIONS=--max-old-space-size=<MB> 放宽，或少用需要预读的字段'
  );
}

function report(name: string, read: ReadResult, undecoded: CaptureError[], limits: FieldsResult['httpLimits'], portsByContent: number[] | undefined, io: FieldsIo): number {
  const err = (line: string) => io.err(`wirenote fields: ${line}\n`);
  for (const w of read.warnings) err(say(`warning: "${name}": ${w.message}`, `警告："${name}"：${w.message}`));
  for (const u of undecoded) err(say(`"${name}": ${u.detail}`, `"${name}"：其中一种链路类型 wirenote 不解码，这些帧只列出、不分析（${u.detail}）`));
  for (const l of limits) err(say(`warning: "${name}": frame ${l.frame}: ${LIMIT_TEXT[l.what].en}`, `警告："${name}"：第 ${l.frame} 帧：${LIMIT_TEXT[l.what].zh}`));
  if (portsByContent) io.err(`http-ports-by-content: ${portsByContent.join(',')}\n`);
  if (read.error) {
    err(readProblem(name, read.error, read.packets));
    // A file that never opened as a capture is a usage problem (tshark's 2); damage after the start is 1.
    return read.opened || read.error.code === 'empty' ? (read.error.code === 'empty' ? EXIT.OK : EXIT.DAMAGED) : EXIT.USAGE;
  }
  return undecoded.length ? EXIT.UNDECODED : EXIT.OK;
}

function help(): string {
  return say(
    `usage: wirenote fields -r FILE -e FIELD [-e FIELD …] [options]

Prints what tshark 4.0 prints with  tshark -2 -r FILE -T fields -E header=y -e FIELD …
(or -T json), for the fields in  wirenote fields --list.

  -r FILE, --read-file FILE   the capture (pcap, pcapng, gzip-compressed or not); -r - reads standard input
  -e FIELD                    a field to print (repeat for more columns)
  -T fields|json              tab-separated rows (default) or tshark's JSON for the -e fields
  -E header=y|n               a first line naming the fields (default y, as -E header=y)
  -E separator=/t|/s|C        between fields: TAB (default), space or the character C
  -E quote=d|s|n              put values in double, single or no (default) quotes
  -E occurrence=f|l|a         print the first, last or all (default) occurrences of a field
  -E aggregator=,|/s|C        between occurrences: comma (default), space or C
  -E bom=y|n                  start with a UTF-8 byte order mark
  -Y FILTER                   print only frames the display filter accepts (frame numbers stay the capture's):
                              tcp.port == 80 && http.request.method in {"GET", "HEAD"}, ip.addr == 10.0.0.0/8,
                              !tcp.analysis.retransmission, http.host matches "^www\\.", frame.len > 1000, tls …
  -c N                        read only the first N packets
  -d tcp.port==N,http         decode TCP port N (or N-M) as HTTP, as tshark's "Decode As"
  -l                          flush the output after every row
  -n, -2                      accepted: wirenote never resolves names and always gives tshark -2's results
  --list                      the supported fields and their types
  --http-ports-by-content     report on stderr the ports where HTTP was recognised by its content
                              (tshark needs -d tcp.port==N,http for those)

Any other tshark option is refused. Exit status: 0 ok; 1 the capture is damaged (the frames before
the damage are printed); 2 usage error, bad filter, unknown field, or a file that is missing or not
a capture; 3 a link type wirenote does not decode (its frames are listed, not analysed); 4 the memory
limit was reached (the JavaScript heap; NODE_OPTIONS=--max-old-space-size=<MB> allows more).
`,
    `用法：wirenote fields -r 文件 -e 字段 [-e 字段 …] [选项]

输出与 tshark 4.0 的  tshark -2 -r 文件 -T fields -E header=y -e 字段 …（或 -T json）相同，
支持的字段见  wirenote fields --list。

  -r 文件, --read-file 文件   抓包文件（pcap、pcapng，可 gzip 压缩）；-r - 从标准输入读取
  -e 字段                     要输出的字段（重复使用输出多列）
  -T fields|json              制表符分隔的行（默认），或 tshark 对 -e 字段输出的 JSON
  -E header=y|n               第一行写字段名（默认 y，同 -E header=y）
  -E separator=/t|/s|C        字段之间用制表符（默认）、空格或字符 C 分隔
  -E quote=d|s|n              值加双引号、单引号或不加（默认）
  -E occurrence=f|l|a         字段出现多次时输出第一个、最后一个或全部（默认）
  -E aggregator=,|/s|C        多次出现之间用逗号（默认）、空格或字符 C 分隔
  -E bom=y|n                  以 UTF-8 字节顺序标记开头
  -Y 过滤器                   只输出显示过滤器接受的帧（帧号仍是抓包中的原始编号）：
                              tcp.port == 80 && http.request.method in {"GET", "HEAD"}、ip.addr == 10.0.0.0/8、
                              !tcp.analysis.retransmission、http.host matches "^www\\."、frame.len > 1000、tls …
  -c N                        只读取前 N 个数据包
  -d tcp.port==N,http         把 TCP 端口 N（或 N-M）解码为 HTTP，同 tshark 的 “Decode As”
  -l                          每输出一行就刷新
  -n, -2                      接受：wirenote 从不解析名字，且总是给出 tshark -2 的结果
  --list                      支持的字段及其类型
  --http-ports-by-content     在 stderr 报告按内容识别出 HTTP 的端口（tshark 需要 -d tcp.port==N,http）

其他 tshark 选项一律拒绝。退出码：0 成功；1 抓包文件损坏（损坏之前的帧已输出）；2 用法错误、
过滤器有误、未知字段，或文件不存在、不是抓包文件；3 含有 wirenote 不解码的链路类型（其帧只列出、不分析）；
4 内存达到上限（JavaScript 堆；可用 NODE_OPTIONS=--max-old-space-size=<MB> 放宽）。
`,
  );
}

export const command: Command = {
  summary: () => say('print fields of every frame as tshark -2 -T fields / -T json does', '按 tshark -2 -T fields / -T json 的方式输出每一帧的字段'),
  help,
  run: (args) => fieldsCommand(args),
};
