/**
 * Packets before the damage, against tshark: for every kind of damage (test/support/damage.ts) on
 * captures of every format we read, the reader delivers as many records as `tshark -r` does before
 * it stops, and `wirenote fields` prints as many. Where tshark does something else it is one of the
 * argued exceptions below, and an exception no case needs any more fails too.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaptureFileSync } from '../lib';
import { DamageCase, damageCases } from './support/damage';
import { CLI, ENGLISH, ROOT, SHARED_CAPTURES, tsharkAvailable } from './support/tshark';

const SEEDS = [
  ...['zeek/get.pcap', 'tcpdump/pptp.pcap', 'PcapPlusPlus/nanosecs_big_endian.pcap', 'zeek/get-to-ssh-server.pcap', 'pcap-parser/modified-format.pcap', 'tcpdump/tcp-handshake-nano.pcap', 'PcapPlusPlus/one_ipv6_http_stream.pcap', 'pcapng-test-generator/test001-be.pcapng', 'pcapng-test-generator/test006-le.pcapng', 'pcapng-test-generator/test008-le.pcapng', 'pcapng-test-generator/test018-le.pcapng', 'gopacket/test901.pcapng', 'packets/http_post.pcapng'].map((f) => path.join(SHARED_CAPTURES, f)),
  path.join(ROOT, 'test', 'scenarios', 'captures', 'pipelined-head.pcapng'),
  path.join(ROOT, 'test', 'scenarios', 'captures', 'snaplen-96.pcap'),
].filter((f) => fs.existsSync(f));

const PER_KIND = Number(process.env.WIRENOTE_DAMAGE_PER_KIND ?? 3);

interface Outcome {
  c: DamageCase;
  seed: string;
  file: string;
  ours: number;
  oursError?: string;
  tshark: number;
  tsharkSays: string;
  /** How many of tshark's first frames are the undamaged capture's first frames (time, length, captured length). */
  real: number;
  /** tshark's frames after those that are no packet of the undamaged capture at all. */
  foreign: number;
}

/** Differences that are tshark's, argued; each must still be needed by some case. */
const EXCEPTIONS: { name: string; why: string; applies: (o: Outcome) => boolean }[] = [
  {
    name: 'tshark-reads-garbage',
    why:
      'The damage made tshark read the file as something else: its heuristic openers take a damaged header for ' +
      'another format (MIME types, JSON, MP4, MPEG …), or its pcap reader, finding the first records implausible, ' +
      'switches to another pcap dialect (Nokia, RedHat 6.1, SuSE 6.3 …) whose longer record headers misframe every ' +
      'record. After the capture\'s own first frames, every frame it delivers is no packet of the capture (no record ' +
      'of the undamaged file has its time stamp and lengths). We read the format the magic number names, deliver at ' +
      'least the real frames tshark delivers, and report the damage with its offset.',
    applies: (o) => o.oursError !== undefined && o.tshark > o.real && o.foreign === o.tshark - o.real && o.ours >= o.real,
  },
];

/** The frames tshark delivers, each as "time length captured-length", and what it said on stderr. */
function tsharkFrames(file: string): Promise<{ frames: string[]; says: string }> {
  return new Promise((resolve) => {
    const p = spawn('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/s', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'], { env: ENGLISH });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', () =>
      resolve({
        frames: out.split('\n').filter(Boolean),
        says: err.split('\n').filter((l) => l && !/Running as user/.test(l)).join(' '),
      }),
    );
  });
}

async function inParallel<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const maybe = tsharkAvailable() ? describe : describe.skip;

maybe('packets before the damage, as tshark reads them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-damage-'));
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    const cases: { c: DamageCase; seed: string; file: string }[] = [];
    SEEDS.forEach((seed, s) => {
      const src = fs.readFileSync(seed);
      damageCases(src, 1000 + s, PER_KIND).forEach((c, i) => {
        const file = path.join(dir, `${s}-${i}.bin`);
        fs.writeFileSync(file, c.data);
        cases.push({ c, seed, file });
      });
    });
    const seedFrames = new Map<string, string[]>();
    for (const seed of SEEDS) seedFrames.set(seed, (await tsharkFrames(seed)).frames);
    await inParallel(cases, 2, async ({ c, seed, file }) => {
      let ours = 0;
      const r = readCaptureFileSync(file, () => ours++);
      const t = await tsharkFrames(file);
      const original = seedFrames.get(seed)!;
      let real = 0;
      while (real < t.frames.length && t.frames[real] === original[real]) real++;
      // Frames without a time stamp (custom blocks, simple packets, a guessed format's one frame) match by length alone: not evidence.
      const known = new Set(original.filter((f) => !f.startsWith(' ')));
      const foreign = t.frames.slice(real).filter((f) => !known.has(f)).length;
      outcomes.push({ c, seed, file, ours, oursError: r.error?.code, tshark: t.frames.length, tsharkSays: t.says, real, foreign });
    });
  }, 1200000);

  test('every damage kind: as many packets as tshark, or an argued exception', () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(14);
    const kinds = new Map<string, { cases: number; same: number; excused: Map<string, number> }>();
    const unexplained: string[] = [];
    const used = new Set<string>();
    for (const o of outcomes) {
      const k = kinds.get(o.c.kind) ?? { cases: 0, same: 0, excused: new Map() };
      kinds.set(o.c.kind, k);
      k.cases++;
      if (o.ours === o.tshark) {
        k.same++;
        continue;
      }
      const ex = EXCEPTIONS.find((e) => e.applies(o));
      if (ex) {
        used.add(ex.name);
        k.excused.set(ex.name, (k.excused.get(ex.name) ?? 0) + 1);
        continue;
      }
      unexplained.push(`${path.relative(SHARED_CAPTURES, o.seed)} ${o.c.kind}: ${o.c.what} → ours ${o.ours} (${o.oursError ?? 'no error'}), tshark ${o.tshark} (the first ${o.real} the capture's, ${o.foreign} no packet of it) ${o.tsharkSays.slice(0, 160)}`);
    }
    const lines = [...kinds].sort().map(([kind, k]) => `  ${kind.padEnd(22)} ${String(k.cases).padStart(4)} cases, ${String(k.same).padStart(4)} as tshark${[...k.excused].map(([n, c]) => `, ${c} ${n}`).join('')}`);
    // eslint-disable-next-line no-console
    console.log(`packets before the damage vs tshark: ${outcomes.length} damaged files from ${SEEDS.length} captures\n${lines.join('\n')}`);
    expect(unexplained).toEqual([]);
    for (const e of EXCEPTIONS) expect({ exception: e.name, needed: used.has(e.name) }).toEqual({ exception: e.name, needed: true });
    // Every kind is exercised and mostly agrees outright: the exceptions stay exceptions.
    expect(kinds.size).toBeGreaterThanOrEqual(15);
    const same = outcomes.filter((o) => o.ours === o.tshark).length;
    expect(same / outcomes.length).toBeGreaterThan(0.9);
  });

  test('`wirenote fields` prints as many frames as the reader delivers, and names the damage', () => {
    const damaged = outcomes.filter((o) => o.oursError && o.ours > 0);
    expect(damaged.length).toBeGreaterThan(20);
    for (const o of damaged.filter((_, i) => i % Math.ceil(damaged.length / 25) === 0)) {
      const r = spawnSync('node', [CLI, 'fields', '-r', o.file, '-E', 'header=n', '-e', 'frame.number'], { encoding: 'utf8', env: ENGLISH });
      const printed = r.stdout.split('\n').filter(Boolean).length;
      expect({ what: o.c.what, printed, status: r.status }).toEqual({ what: o.c.what, printed: o.ours, status: 1 });
      expect(r.stderr).toMatch(new RegExp(`at byte \\d+\\); ${o.ours === 1 ? '1 packet before it was' : `${o.ours} packets before it were`} printed`));
    }
  });
});
