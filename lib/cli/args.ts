/**
 * Small helpers the report and notebook commands share: option parsing that refuses what it does
 * not know, and the folder the user typed the command in.
 */
import * as path from 'path';
import { say } from './locale';

export class UsageError extends Error {}

/**
 * The folder the user ran the command in. `npm run x` runs scripts in the package's root and
 * says where the user was in INIT_CWD; trust it only while we are in that package's root (a
 * test or script that starts us elsewhere inherits a stale INIT_CWD).
 */
export function userCwd(env: NodeJS.ProcessEnv = process.env): string {
  const cwd = process.cwd();
  if (env.INIT_CWD && env.npm_package_json && path.dirname(env.npm_package_json) === cwd) return env.INIT_CWD;
  return cwd;
}

/** A path as the user typed it, resolved against where they were. */
export const fromUser = (p: string): string => path.resolve(userCwd(), p);

/** A path to show the user: relative to where they were, unless it lies outside that folder. */
export function forUser(p: string): string {
  const rel = path.relative(userCwd(), p);
  if (rel === '') return '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

export interface OptionSpec {
  /** Options that take a value, by every name they answer to. */
  values: string[];
  /** Options that are flags. */
  flags: string[];
}

/** Parse `--name VALUE`, `--name=VALUE`, `-p NAME=VALUE` and flags; anything else is a usage error. */
export function parseOptions(command: string, args: string[], spec: OptionSpec): { values: Map<string, string[]>; flags: Set<string> } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (spec.flags.includes(name) && eq < 0) {
      flags.add(name);
      continue;
    }
    if (spec.values.includes(name)) {
      let v: string | undefined;
      if (eq > 0) v = a.slice(eq + 1);
      else if (i + 1 < args.length && !(args[i + 1].startsWith('-') && args[i + 1].length > 1)) v = args[++i];
      if (v === undefined || v === '') throw new UsageError(say(`wirenote ${command}: ${name} needs a value`, `wirenote ${command}：${name} 后面要跟一个值`));
      values.set(name, [...(values.get(name) ?? []), v]);
      continue;
    }
    if (spec.flags.includes(name)) throw new UsageError(say(`wirenote ${command}: ${name} takes no value`, `wirenote ${command}：${name} 不带值`));
    throw new UsageError(a.startsWith('-') ? say(`wirenote ${command}: unknown option ${a}`, `wirenote ${command}：未知选项 ${a}`) : say(`wirenote ${command}: unexpected argument "${a}"`, `wirenote ${command}：多余的参数"${a}"`));
  }
  return { values, flags };
}

/** The last value given for an option (a later one overrides an earlier one, as usual). */
export const last = (m: Map<string, string[]>, name: string): string | undefined => m.get(name)?.at(-1);
