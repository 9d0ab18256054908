/**
 * Build the scenario corpus: real captures of real clients and servers, each in network namespaces of its own,
 * with the facts of what the scenario did (facts.ts).
 *
 *   npx ts-node --transpile-only test/scenarios/build.ts [--out DIR] [name ...]   (all scenarios by default)
 *   npx ts-node --transpile-only test/scenarios/build.ts --list
 *
 * Needs root, iproute2, nftables, ethtool, dumpcap + tcpdump, Debian chromium, nginx, python3, curl
 * (scripts/setup.sh installs them). Writes <out>/<name>.pcapng|.pcap and <out>/<name>.facts.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SCENARIOS } from './scenarios';
import { Run } from './run';
import { netnsUnavailable } from '../support/netns';
import { checkFacts } from './check';
import type { ScenarioFacts } from './facts';

export const CAPTURES = path.join(__dirname, 'captures');

export async function buildScenario(name: string, opts: { out?: string; nsSuffix?: string; log?: (m: string) => void; attempts?: number } = {}): Promise<ScenarioFacts> {
  const def = SCENARIOS.find((s) => s.name === name);
  if (!def) throw new Error(`unknown scenario ${name} (see --list)`);
  const out = opts.out ?? CAPTURES;
  if (def.from && !fs.existsSync(path.join(out, `${def.from}.facts.json`))) await buildScenario(def.from, opts);
  // The builder checks its own result against tshark (check.ts): a capture the kernel dropped packets from, or whose
  // facts tshark contradicts, is not the scenario — build it again, a few times at most, then fail.
  for (let attempt = 1; ; attempt++) {
    const run = new Run(name, out, opts.nsSuffix ?? '', opts.log ?? (() => undefined));
    let facts;
    try {
      facts = await def.build(run);
    } finally {
      await run.cleanup();
    }
    const wrong = checkFacts(out, facts);
    if (!wrong.length) return facts;
    if (attempt >= (opts.attempts ?? 3)) throw new Error(`${name}: the facts disagree with tshark after ${attempt} builds: ${wrong.join('; ')}`);
    run.log(`${name}: building again, tshark disagrees: ${wrong.join('; ')}`);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  let out = CAPTURES;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = path.resolve(argv[++i]);
    else if (argv[i] === '--list') {
      for (const s of SCENARIOS) console.log(`${s.name}\t${s.summary}`);
      return;
    } else if (argv[i].startsWith('-')) {
      console.error(`unknown option ${argv[i]}`);
      process.exit(2);
    } else names.push(argv[i]);
  }
  const why = netnsUnavailable();
  if (why) {
    console.error(`build: ${why}`);
    process.exit(1);
  }
  // Derived scenarios rewrite another's capture: build the sources first.
  const order = (names.length ? names : SCENARIOS.map((s) => s.name)).slice();
  fs.mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const name of order) {
    const t0 = Date.now();
    try {
      await buildScenario(name, { out, log: (m) => console.log(m) });
      console.log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed++;
      console.error(`${name}: FAILED: ${e instanceof Error ? e.stack : e}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();
