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
  (tshark ? test : test.skip)('the corpus is there', () => {
    expect(committed.length).toBeGreaterThan(0);
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
        const f = await buildScenario(name, { out, nsSuffix: `-t${process.pid % 10000}` });
        expect(checkFacts(out, f)).toEqual([]);
        expect(f.requests.filter((q) => q.captured).length).toBeGreaterThanOrEqual(4);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }, 60000);
  }
});
