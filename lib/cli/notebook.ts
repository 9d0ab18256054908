/**
 * wirenote notebook: the interactive path on a fresh machine. Registers the tslab kernel in a
 * prefix inside the project (`.jupyter/share/jupyter/kernels/tslab`, absolute paths to this Node
 * and this project's tslab, so no `tslab` on PATH and no Python package is needed), then starts
 * Debian's Jupyter Notebook (`jupyter-notebook`, from scripts/setup.sh) on 127.0.0.1 with a fresh
 * token, opening notebooks/. `--lab` starts JupyterLab instead, where the user has it (pipx or
 * conda: Debian's pip refuses to install it); `--kernel-only` only registers the kernel and says
 * how to point any Jupyter at it. `--refresh` re-executes the committed notebooks in place on the
 * reference capture, so the repository shows current outputs.
 *
 * Exit status: Jupyter's own when it stops; 1 Jupyter is missing or a notebook failed; 2 usage.
 */
import { spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { DEFAULT_CAPTURE, PROJECT_ROOT } from '../notebook';
import { chapterFromFile, listNotebooks, NotebookSession } from '../report/execute';
import { readNotebook, serializeNotebook } from '../report/ipynb';
import { forUser, fromUser, last, parseOptions, UsageError } from './args';
import { say } from './locale';

export const NOTEBOOK_USAGE = `usage: wirenote notebook [--port N] [--no-browser] [--lab] [--capture FILE] [--dir DIR]
       wirenote notebook --kernel-only
       wirenote notebook --refresh
       wirenote notebook --precompile

  Registers the tslab (TypeScript) kernel inside the project (.jupyter/) and starts Jupyter
  Notebook on http://127.0.0.1 with a token, on notebooks/. Stop it with Ctrl-C.

  --port N         port (default: the first free one from 8888)
  --no-browser     do not open a browser; open the printed address yourself
  --lab            start JupyterLab (jupyter-lab, e.g. from pipx or conda) instead
  --capture FILE   the notebooks' default capture (sets WIRENOTE_CAPTURE for the kernels)
  --dir DIR        open DIR instead of notebooks/ (inside the project, so that its notebooks
                   can import wirenote)
  --kernel-only    only register the kernel; print how to use it with another Jupyter
  --refresh        re-run notebooks/ on the reference capture and save their outputs
  --precompile     type-check notebooks/' cells into the compile cache (npm ci does this), so
                   the first report does not wait for TypeScript
  -h, --help       this text`;

/** Where the kernel spec goes (a Jupyter "prefix": PREFIX/share/jupyter/kernels/tslab). */
export const KERNEL_PREFIX = path.join(PROJECT_ROOT, '.jupyter');
export const JUPYTER_PATH = path.join(KERNEL_PREFIX, 'share', 'jupyter');

/** Write the kernel spec (what `tslab install --prefix=.jupyter --binary=…` writes, with absolute paths). */
export function installKernel(): string {
  const dir = path.join(JUPYTER_PATH, 'kernels', 'tslab');
  fs.mkdirSync(dir, { recursive: true });
  const tslab = require.resolve('tslab/bin/tslab', { paths: [PROJECT_ROOT] });
  const spec = { argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 1) + '\n');
  return dir;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function notebookCommand(args: string[]): Promise<number> {
  let opts;
  try {
    opts = parseOptions('notebook', args, { values: ['--port', '--capture', '--dir'], flags: ['--no-browser', '--lab', '--kernel-only', '--refresh', '--precompile', '-h', '--help'] });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${say('Try: wirenote notebook --help', '用法见：wirenote notebook --help')}\n`);
      return 2;
    }
    throw e;
  }
  const { values, flags } = opts;
  if (flags.has('-h') || flags.has('--help')) {
    process.stdout.write(`${NOTEBOOK_USAGE}\n`);
    return 0;
  }
  if (flags.has('--refresh')) return refresh();
  if (flags.has('--precompile')) return precompile();
  const dir = installKernel();
  if (flags.has('--kernel-only')) {
    process.stdout.write(
      say(
        `Kernel "tslab" (TypeScript) registered in ${forUser(dir)}.\nAny Jupyter finds it with:\n  JUPYTER_PATH=${JUPYTER_PATH} jupyter lab ${path.join(PROJECT_ROOT, 'notebooks')}\n`,
        `已登记 tslab（TypeScript）内核：${forUser(dir)}\n任何 Jupyter 这样就能找到它：\n  JUPYTER_PATH=${JUPYTER_PATH} jupyter lab ${path.join(PROJECT_ROOT, 'notebooks')}\n`,
      ),
    );
    return 0;
  }
  const lab = flags.has('--lab');
  const cmd = lab ? 'jupyter-lab' : 'jupyter-notebook';
  if (!onPath(cmd)) {
    process.stderr.write(
      `wirenote notebook: ${
        lab
          ? say('jupyter-lab is not installed: pipx install jupyterlab (or conda install jupyterlab), or run without --lab', '没有安装 jupyter-lab：pipx install jupyterlab（或 conda install jupyterlab），或者不加 --lab')
          : say('jupyter-notebook is not installed: run scripts/setup.sh (apt-get install jupyter-notebook)', '没有安装 jupyter-notebook：请运行 scripts/setup.sh（apt-get install jupyter-notebook）')
      }\n`,
    );
    return 1;
  }
  let port: number;
  const given = last(values, '--port');
  if (given !== undefined) {
    port = Number(given);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      process.stderr.write(`wirenote notebook: ${say(`--port wants a port number, not "${given}"`, `--port 要一个端口号，不是"${given}"`)}\n`);
      return 2;
    }
  } else {
    port = 8888;
    while (port < 8988 && !(await portFree(port))) port++;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: [JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter) };
  const capture = last(values, '--capture');
  if (capture) {
    const file = fromUser(capture);
    if (!fs.existsSync(file)) {
      process.stderr.write(`wirenote notebook: ${say(`no such capture: ${forUser(file)}`, `找不到抓包文件：${forUser(file)}`)}\n`);
      return 2;
    }
    env.WIRENOTE_CAPTURE = file;
  }
  const dirGiven = last(values, '--dir');
  const root = dirGiven ? fromUser(dirGiven) : path.join(PROJECT_ROOT, 'notebooks');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    process.stderr.write(`wirenote notebook: ${say(`no such folder: ${forUser(root)}`, `找不到文件夹：${forUser(root)}`)}\n`);
    return 2;
  }
  if (path.relative(PROJECT_ROOT, root).startsWith('..'))
    process.stderr.write(`wirenote notebook: ${say(`note: ${forUser(root)} is outside the project; its notebooks cannot import wirenote`, `注意：${forUser(root)} 不在项目里，其中的笔记本无法 import wirenote`)}\n`);
  const token = crypto.randomBytes(24).toString('hex');
  const app = lab ? 'ServerApp' : 'NotebookApp';
  const argv = ['--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--${app}.token=${token}`, `--notebook-dir=${root}`];
  if (flags.has('--no-browser')) argv.push('--no-browser');
  if (process.getuid?.() === 0) argv.push('--allow-root');
  const url = `http://127.0.0.1:${port}/${lab ? 'lab' : 'tree'}?token=${token}`;
  process.stdout.write(`${say('Jupyter is starting at', 'Jupyter 正在启动：')} ${url}\n${say('(kernel', '（内核')} ${forUser(dir)}${say('; stop with Ctrl-C)', '；Ctrl-C 停止）')}\n`);
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))));
}

/** Compile the project's notebooks into the compile cache (best effort: a notebook that does not compile is left to the report to name). */
async function precompile(): Promise<number> {
  const session = new NotebookSession();
  try {
    let cells = 0;
    // As run by the notebook itself, and as `wirenote report` runs it (CAPTURE injected).
    for (const file of listNotebooks(path.join(PROJECT_ROOT, 'notebooks'))) cells += session.precompile(readNotebook(file)) + session.precompile(readNotebook(file), { CAPTURE: DEFAULT_CAPTURE });
    process.stdout.write(say(`wirenote notebook: ${cells} cells compiled (${session.compiled.converted} type-checked, ${session.compiled.cached} already in the cache)\n`, `wirenote notebook：已编译 ${cells} 个单元格（类型检查 ${session.compiled.converted} 个，缓存中已有 ${session.compiled.cached} 个）\n`));
  } finally {
    session.close();
  }
  return 0;
}

/** Re-run the committed notebooks on the reference capture and save them with their outputs. */
async function refresh(): Promise<number> {
  delete process.env.WIRENOTE_CAPTURE;
  const files = listNotebooks(path.join(PROJECT_ROOT, 'notebooks'));
  const session = new NotebookSession();
  try {
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      process.stdout.write(`[${i + 1}/${files.length}] ${path.basename(file, '.ipynb')} … `);
      const r = await session.run(readNotebook(file), file, { chapter: chapterFromFile(file) });
      if (r.failure) {
        process.stdout.write(`${say('failed', '失败')}\n`);
        process.stderr.write(`wirenote notebook: ${say(`cell ${r.failure.cell + 1} failed`, `第 ${r.failure.cell + 1} 个单元格出错`)}:\n${r.failure.message}\n`);
        return 1;
      }
      const text = serializeNotebook(r.nb);
      const changed = fs.readFileSync(file, 'utf8') !== text;
      if (changed) fs.writeFileSync(file, text);
      process.stdout.write(`${changed ? say('updated', '已更新') : say('unchanged', '未变')}\n`);
    }
  } finally {
    session.close();
  }
  return 0;
}
