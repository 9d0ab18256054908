#!/usr/bin/env node
/**
 * wirenote command line: `wirenote <command> …`. Each command is a module exporting `command`
 * (see command.ts); adding one is one line in COMMANDS. Messages follow the user's locale (say).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, EXIT, UsageError } from './command';
import { say } from './locale';
import { suggest } from '../fields/filter';

/** name → module exporting `command` (loaded only when used, or for `wirenote --help`). */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  fields: () => import('./fields'),
  batch: () => import('./batch'),
  report: async () => plain((await import('./report')).reportCommand, (await import('./report')).REPORT_USAGE, () => say('run the notebooks and write the lab report (Markdown, HTML, PDF)', '执行笔记本并生成实验报告（Markdown、HTML、PDF）')),
  notebook: async () => plain((await import('./notebook')).notebookCommand, (await import('./notebook')).NOTEBOOK_USAGE, () => say('start Jupyter on the notebooks with the TypeScript kernel', '用 TypeScript 内核在笔记本上启动 Jupyter')),
};

/** A command written as a function with its usage text (it handles --help and its own errors). */
function plain(run: (args: string[]) => Promise<number>, usage: string, summary: () => string): { command: Command } {
  return { command: { summary, help: () => `${usage}\n`, run } };
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function usage(): Promise<string> {
  const lines: string[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${(await load()).command.summary()}`);
  return say(
    `usage: wirenote <command> [options]

${lines.join('\n')}

  wirenote <command> --help   options of one command
  wirenote --version          the version
`,
    `用法：wirenote <命令> [选项]

${lines.join('\n')}

  wirenote <命令> --help      某个命令的选项
  wirenote --version          版本号
`,
  );
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(await usage());
    return EXIT.USAGE;
  }
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    if (cmd === 'help' && rest[0] && COMMANDS[rest[0]]) {
      process.stdout.write((await COMMANDS[rest[0]]()).command.help());
      return EXIT.OK;
    }
    process.stdout.write(await usage());
    return EXIT.OK;
  }
  if (cmd === '-v' || cmd === '--version') {
    process.stdout.write(`wirenote ${version()}\n`);
    return EXIT.OK;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    const near = suggest(cmd, Object.keys(COMMANDS));
    process.stderr.write(say(`wirenote: unknown command "${cmd}"${near.length ? ` — did you mean ${near.join(', ')}?` : ''}\n`, `wirenote：未知命令 "${cmd}"${near.length ? `——您是否想输入 ${near.join('、')}？` : ''}\n`));
    process.stderr.write(await usage());
    return EXIT.USAGE;
  }
  const command = (await load()).command;
  try {
    return await command.run(rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`wirenote ${cmd}: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  ${e.hint}\n`);
    return EXIT.USAGE;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(say(`wirenote: internal error: ${e instanceof Error ? e.stack : String(e)}\n`, `wirenote：内部错误：${e instanceof Error ? e.stack : String(e)}\n`));
    process.exitCode = EXIT.INTERNAL;
  },
);
