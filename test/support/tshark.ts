/**
 * Run tshark (the oracle) and `wirenote fields` on the same capture and compare every cell.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as os from 'os';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_CAPTURES = path.resolve(ROOT, '..', 'shared', 'captures');
export const CLI = path.join(ROOT, 'lib', 'dist', 'cli', 'main.js');

/** The fields issue #2 requires `wirenote fields` to print exactly as tshark does. */
export const REQUIRED_FIELDS = `frame.number frame.time_relative frame.time_delta frame.len frame.cap_len ip.src ip.dst
ipv6.src ipv6.dst tcp.srcport tcp.dstport tcp.stream tcp.len tcp.seq tcp.seq_raw tcp.nxtseq tcp.ack tcp.ack_raw
tcp.hdr_len tcp.flags tcp.flags.str tcp.window_size_value tcp.window_size tcp.window_size_scalefactor
tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm tcp.options.timestamp.tsval tcp.options.sack_le
tcp.options.sack_re tcp.completeness tcp.analysis.acks_frame tcp.analysis.ack_rtt tcp.analysis.initial_rtt
tcp.analysis.bytes_in_flight tcp.analysis.push_bytes_sent tcp.analysis.retransmission
tcp.analysis.fast_retransmission tcp.analysis.spurious_retransmission tcp.analysis.out_of_order
tcp.analysis.lost_segment tcp.analysis.ack_lost_segment tcp.analysis.duplicate_ack tcp.analysis.duplicate_ack_num
tcp.analysis.duplicate_ack_frame tcp.analysis.zero_window tcp.analysis.zero_window_probe tcp.analysis.window_update
tcp.analysis.window_full tcp.analysis.keep_alive tcp.analysis.keep_alive_ack tcp.reassembled_in tcp.segment.count
http.request.method http.request.uri http.request.version http.host http.user_agent http.response.code
http.response.phrase http.content_length_header http.content_type http.server http.connection http.last_modified
http.cache_control http.request_in http.response_in http.time http.prev_request_in http.next_request_in`
  .split(/\s+/)
  .filter(Boolean);

/** Fields wirenote added for display filters (and -e) beyond issue #2's; compared the same way. */
export const EXTRA_FIELDS = `frame.time_epoch ip.addr ipv6.addr icmp.type icmp.code icmpv6.type icmpv6.code udp.srcport udp.dstport udp.port
udp.length tcp.port tcp.flags.fin tcp.flags.syn tcp.flags.reset tcp.flags.push tcp.flags.ack tcp.flags.urg tcp.flags.ece tcp.flags.cwr tcp.flags.ae tcp.flags.ace
tcp.analysis tcp.analysis.flags http.request http.response http.prev_response_in http.next_response_in`
  .split(/\s+/)
  .filter(Boolean);

/** Every field wirenote supports. */
export const ALL_FIELDS = [...REQUIRED_FIELDS, ...EXTRA_FIELDS];

/** The capture files listed in ../shared/captures/MANIFEST.tsv (relative paths). */
export function sharedCaptureFiles(): string[] {
  return fs
    .readFileSync(path.join(SHARED_CAPTURES, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0])
    .filter((f) => /\.(pcap|pcapng|bin)$/.test(f));
}

export interface FieldsRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Tests read wirenote's messages in English whatever the machine's locale (tests of the Chinese ones set their own). */
export const ENGLISH: NodeJS.ProcessEnv = { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' };

export function runWirenote(file: string, fields: string[], extra: string[] = []): FieldsRun {
  const args = [CLI, 'fields', '-r', file, ...fields.flatMap((f) => ['-e', f]), ...extra];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, env: ENGLISH });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** `wirenote ARGS…` as given (output as UTF-8 text; `input` is piped to standard input). */
export function wirenote(args: string[], opts: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}): FieldsRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, input: opts.input, env: opts.env ?? ENGLISH });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** `tshark ARGS…` as given, without its warning about running as root. */
export function tshark(args: string[]): FieldsRun {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { stdout: r.stdout, stderr: r.stderr.replace(/^Running as user.*\n/m, ''), status: r.status };
}

/** tshark as a promise (to run several at once: see `inPool`). */
export function tsharkAsync(args: string[]): Promise<FieldsRun> {
  return new Promise((resolve, reject) => {
    const p = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (status) =>
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').replace(/^Running as user.*\n/m, ''), status }),
    );
  });
}

/** Run the jobs with at most one per core at a time, results in order. */
export async function inPool<T>(jobs: Array<() => Promise<T>>, width = Math.max(2, os.cpus().length)): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

/** `wirenote fields ARGS…` inside this process (the command's own code path, without starting Node). */
export async function wirenoteFields(args: string[]): Promise<FieldsRun> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { fieldsCommand } = require(path.join(ROOT, 'lib', 'dist', 'cli', 'fields.js')) as typeof import('../../lib/dist/cli/fields');
  const out: Buffer[] = [];
  let err = '';
  const status = await fieldsCommand(args, { out: (chunk) => out.push(Buffer.from(chunk)), err: (t) => (err += t) });
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: err, status };
}

/** tshark's output; `httpPorts` are extra ports to decode as HTTP (-d tcp.port==N,http). */
export function runTshark(file: string, fields: string[], httpPorts: number[] = [], extra: string[] = []): FieldsRun {
  const args = ['-2', '-n', '-r', file, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', ...extra];
  for (const p of httpPorts) args.push('-d', `tcp.port==${p},http`);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CellDiff {
  frame: string;
  field: string;
  tshark: string;
  wirenote: string;
}

export interface Comparison {
  rowsTshark: number;
  rowsWirenote: number;
  cells: number;
  agree: number;
  /** Per field: [agreeing cells, total cells]. */
  perField: Map<string, [number, number]>;
  diffs: CellDiff[];
}

export function compareOutputs(fields: string[], tshark: string, ours: string): Comparison {
  const t = tshark.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  const w = ours.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  const perField = new Map<string, [number, number]>(fields.map((f) => [f, [0, 0]]));
  const diffs: CellDiff[] = [];
  let cells = 0;
  let agree = 0;
  const rows = Math.max(t.length, w.length);
  for (let i = 1; i < rows; i++) {
    const tc = (t[i] ?? '').split('\t');
    const wc = (w[i] ?? '').split('\t');
    for (let j = 0; j < fields.length; j++) {
      const a = tc[j] ?? '';
      const b = wc[j] ?? '';
      const pf = perField.get(fields[j])!;
      pf[1]++;
      cells++;
      if (a === b && i < t.length && i < w.length) {
        pf[0]++;
        agree++;
      } else diffs.push({ frame: tc[0] || wc[0] || String(i), field: fields[j], tshark: a, wirenote: b });
    }
  }
  return { rowsTshark: t.length - 1, rowsWirenote: w.length - 1, cells, agree, perField, diffs };
}

/** Compare tshark and wirenote on one capture, giving tshark the HTTP ports wirenote found by content. */
export function compareCapture(file: string, fields: string[] = REQUIRED_FIELDS): Comparison & { ours: FieldsRun; theirs: FieldsRun } {
  const ours = runWirenote(file, fields, ['--http-ports-by-content']);
  const m = /http-ports-by-content: ([0-9,]*)/.exec(ours.stderr);
  const ports = m && m[1] ? m[1].split(',').map(Number) : [];
  const theirs = runTshark(file, fields, ports);
  return { ...compareOutputs(fields, theirs.stdout, ours.stdout), ours, theirs };
}

/** Some columns of a tab-separated output (e.g. tshark's, to compare with a run that printed fewer fields). */
export function columns(output: string, fields: string[], keep: string[]): string {
  const idx = keep.map((f) => fields.indexOf(f));
  return output
    .split('\n')
    .map((l, i, a) => (l === '' && i === a.length - 1 ? l : idx.map((j) => l.split('\t')[j] ?? '').join('\t')))
    .join('\n');
}
