/**
 * The scenario corpus (test/scenarios/captures): every committed scenario's facts are checked against tshark and
 * capinfos (test/scenarios/check.ts) — never against wirenote. A second part rebuilds cheap scenarios end to end
 * in namespaces of their own and checks the fresh facts the same way.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ScenarioFacts } from './scenarios/facts';
import { checkFacts } from './scenarios/check';
import { netnsUnavailable } from './support/netns';

const CAPTURES = path.join(__dirname, 'scenarios', 'captures');

const committed = fs.existsSync(CAPTURES) ? fs.readdirSync(CAPTURES).filter((n) => n.endsWith('.facts.json')).sort() : [];
const tshark = spawnSync('tshark', ['--version']).status === 0;

describe('scenario corpus: committed facts agree with tshark', () => {
  test('every scenario the builder defines is committed, and the corpus stays small', async () => {
    const { SCENARIOS } = await import('./scenarios/scenarios');
    expect(committed.map((n) => n.replace('.facts.json', ''))).toEqual(SCENARIOS.map((d) => d.name).sort());
    const bytes = fs.readdirSync(CAPTURES).reduce((n, f) => n + fs.statSync(path.join(CAPTURES, f)).size, 0);
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
  });
  test('every facts file has every field of the schema', () => {
    const keys = ['schema', 'name', 'summary', 'capture', 'link', 'client', 'servers', 'page', 'assets', 'requests', 'requestsOrdered', 'connections',
      'refused', 'tls', 'closes', 'loss', 'otherTraffic', 'derivedFrom', 'pipelined', 'timeline'];
    const captureKeys = ['file', 'format', 'tool', 'toolVersion', 'command', 'interface', 'linkType', 'filter', 'snaplen', 'namespace', 'startedAt', 'stoppedAt', 'dropped', 'startedAfter', 'stoppedBefore'];
    for (const name of committed) {
      const f = JSON.parse(fs.readFileSync(path.join(CAPTURES, name), 'utf8'));
      expect([name, Object.keys(f).sort()]).toEqual([name, [...keys].sort()]);
      expect([name, Object.keys(f.capture).sort()]).toEqual([name, [...captureKeys].sort()]);
      for (const q of f.requests) expect([name, typeof q.captured, 'complete' in q]).toEqual([name, 'boolean', true]);
    }
  });
  for (const name of committed) {
    (tshark ? test : test.skip)(name.replace('.facts.json', ''), () => {
      const f = JSON.parse(fs.readFileSync(path.join(CAPTURES, name), 'utf8')) as ScenarioFacts;
      expect(f.schema).toBe(1);
      expect(`${f.name}.facts.json`).toBe(name);
      expect(checkFacts(CAPTURES, f)).toEqual([]);
    });
  }
});

const why = netnsUnavailable() ?? (tshark ? undefined : 'tshark missing') ?? (fs.existsSync('/usr/bin/chromium') ? undefined : 'chromium missing');
describe('scenario builder: cheap scenarios rebuilt end to end in their own namespaces', () => {
  for (const name of ['python-http10', 'curl-client']) {
    (why ? test.skip : test)(`${name}${why ? ` (skipped: ${why})` : ''}`, async () => {
      const { buildScenario } = await import('./scenarios/build');
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wn-corpus-'));
      try {
        // One attempt: the builder would otherwise build again until tshark agrees.
        const f = await buildScenario(name, { out, nsSuffix: `-t${process.pid % 10000}`, attempts: 1 });
        expect(checkFacts(out, f)).toEqual([]);
        expect(f.requests.filter((q) => q.captured).length).toBeGreaterThanOrEqual(4);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }, 60000);
  }
});
