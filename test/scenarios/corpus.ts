/**
 * The committed corpus for other tests: `scenarioNames()`, `loadFacts(name)` and `capturePath(name)`.
 *   import { loadFacts, capturePath } from './scenarios/corpus';
 *   const f = loadFacts('node-gzip-chunked'); // f.page!.profile.studentId === '2011427'
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ScenarioFacts } from './facts';

export const CORPUS_DIR = path.join(__dirname, 'captures');

export function scenarioNames(): string[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((n) => n.endsWith('.facts.json'))
    .map((n) => n.slice(0, -'.facts.json'.length))
    .sort();
}

export function loadFacts(name: string): ScenarioFacts {
  return JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, `${name}.facts.json`), 'utf8')) as ScenarioFacts;
}

export function capturePath(name: string): string {
  return path.join(CORPUS_DIR, loadFacts(name).capture.file);
}
