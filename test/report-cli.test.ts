/**
 * `wirenote report` / `npm run report` and `wirenote notebook` as a user meets them: help, plain
 * errors (never a stack trace) with exit status 2, paths taken from where the command was typed,
 * progress lines, papermill-style parameters, a failing cell, and the distinct exit status 3 for a
 * capture that cannot serve the lab (the report is still written and says so on its first page).
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeNotebook, Notebook } from '../lib';
import { ROOT, SHARED_CAPTURES } from './support/tshark';

const BIN = path.join(ROOT, 'lib', 'bin', 'wirenote.js');
const REFERENCE = path.join(ROOT, 'captures', 'first-visit-server-close.pcapng');

function run(args: string[], o: { cwd?: string; lang?: string; npm?: boolean } = {}): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: o.lang ?? 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
  delete env.WIRENOTE_CAPTURE;
  const [cmd, argv] = o.npm ? ['npm', ['run', '--silent', ...args]] : [process.execPath, [BIN, ...args]];
  return spawnSync(cmd, argv, { cwd: o.cwd ?? ROOT, env, encoding: 'utf8', timeout: 180000 });
}

const noStack = (r: SpawnSyncReturns<string>) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+[:(]\d+/);

function notebook(cells: Array<[string, string, string[]?]>): Notebook {
  return {
    cells: cells.map(([type, source, tags], i) =>
      type === 'code' ? { cell_type: 'code', id: `c${i}`, metadata: tags ? { tags } : {}, source, outputs: [], execution_count: null } : { cell_type: 'markdown', id: `c${i}`, metadata: {}, source },
    ),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe('wirenote report: usage', () => {
  test('--help prints the options and the exit statuses; exit 0', () => {
    for (const r of [run(['report', '--help']), run(['report', '-h']), run(['report', '--', '--help'], { npm: true })]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('usage: wirenote report');
      for (const o of ['--capture FILE', '--out DIR', '--with-code', '--no-pdf', '-p NAME=VALUE', 'Exit status']) expect(r.stdout).toContain(o);
      noStack(r);
    }
  });

  test.each([
    [['--capture'], /--capture needs a value/],
    [['--out'], /--out needs a value/],
    [['--capture', '--no-pdf'], /--capture needs a value/],
    [['--bogus'], /unknown option --bogus/],
    [['--no-pdf=yes'], /--no-pdf takes no value/],
    [['stray'], /unexpected argument "stray"/],
    [['-p', 'CAPTURE'], /-p wants NAME=VALUE/],
    [['-p', 'NOPE=1'], /no notebook has a parameter NOPE/],
    [['--capture', 'no-such-file.pcapng'], /no such capture: no-such-file\.pcapng/],
    [['--out', '.'], /--out \. would write the executed notebooks over notebooks: choose another folder/],
  ])('%j → a plain message, exit 2', (args, message) => {
    const r = run(['report', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    noStack(r);
  });

  test('messages in Chinese under a Chinese locale', () => {
    const r = run(['report', '--capture'], { lang: 'zh_CN.UTF-8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--capture 后面要跟一个值');
  });
});

describe('wirenote report: running', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-cli-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('npm run report from a subfolder: relative --capture and --out are taken from that folder; progress per notebook', () => {
    // Inside the project (npm finds package.json upwards), in a folder git ignores.
    const sub = path.join(ROOT, 'bench', 'out', `cli-subfolder-${process.pid}`);
    fs.mkdirSync(sub, { recursive: true });
    try {
      const capture = path.relative(sub, REFERENCE);
      const r = run(['report', '--', '--capture', capture, '--out', 'rep', '--no-pdf'], { cwd: sub, npm: true });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.existsSync(path.join(sub, 'rep', '实验报告.md'))).toBe(true);
      expect(fs.existsSync(path.join(sub, 'rep', '实验报告.html'))).toBe(true);
      expect(fs.existsSync(path.join(sub, 'rep', '实验报告.pdf'))).toBe(false);
      expect(fs.existsSync(path.join(ROOT, 'rep'))).toBe(false);
      const n = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).length;
      expect(r.stdout).toMatch(new RegExp(`^\\[3/${n}\\] 03-handshake … \\d+\\.\\d s$`, 'm'));
      expect(r.stdout).toContain(`${REFERENCE} → rep`); // outside the folder: shown in full
      expect(r.stdout).toMatch(/wrote rep\/实验报告\.md, rep\/实验报告\.html /);
    } finally {
      fs.rmSync(sub, { recursive: true, force: true });
    }
  }, 200000);

  test('-p NAME=VALUE sets a notebook parameter by its declared type; a value of the wrong type is refused', () => {
    const nbs = path.join(dir, 'params');
    fs.mkdirSync(nbs);
    writeNotebook(
      path.join(nbs, '01-params.ipynb'),
      notebook([
        ['markdown', '# 第 1 章 参数'],
        ['code', "const CAPTURE: string = '';\nconst ROWS: number = 3;\nconst LABEL: string = 'x';\nconst LOUD: boolean = false;\nconst NOTE = 'untyped';", ['parameters']],
        ['code', "import { show, md } from 'wirenote';\nshow(md(`ROWS×2=${ROWS * 2} LABEL=${LABEL} LOUD=${LOUD} NOTE=${NOTE} typeof=${typeof ROWS}`));"],
      ]),
    );
    // A parameter declared without a type takes the kind of its initial value (a string here).
    const ok = run(['report', '--notebooks', nbs, '--out', path.join(dir, 'p-out'), '--no-pdf', '-p', 'ROWS=21', '-p', 'LABEL=a "quoted" 值', '-p', 'LOUD=true', '-p', 'NOTE=42']);
    expect(ok.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'p-out', '实验报告.md'), 'utf8')).toContain('ROWS×2=42 LABEL=a "quoted" 值 LOUD=true NOTE=42 typeof=number');
    // Other values: the injected cell comes from the compile cache with the new values put in.
    const env: NodeJS.ProcessEnv = { ...process.env, WIRENOTE_TIMING: '1' };
    delete env.WIRENOTE_COMPILE_CACHE;
    // (Typed parameters only: an untyped one's literal type reaches the later cells' declarations.)
    const typed = (rows: string, label: string, out: string) => spawnSync(process.execPath, [BIN, 'report', '--notebooks', nbs, '--out', path.join(dir, out), '--no-pdf', '-p', `ROWS=${rows}`, '-p', `LABEL=${label}`, '-p', 'LOUD=false'], { env, encoding: 'utf8', timeout: 120000 });
    expect(typed('4', '一', 'p-out2').status).toBe(0);
    const again = typed('5', '另一个', 'p-out3');
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/cells compiled 0 cached 3/);
    expect(fs.readFileSync(path.join(dir, 'p-out3', '实验报告.md'), 'utf8')).toContain('ROWS×2=10 LABEL=另一个 LOUD=false NOTE=untyped typeof=number');
    const bad = run(['report', '--notebooks', nbs, '--out', path.join(dir, 'p-bad'), '--no-pdf', '-p', 'ROWS=many']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('parameter ROWS is a number: "many" is not');
    noStack(bad);
  }, 120000);

  test('a cell that fails stops the build: exit 1, naming the notebook and the cell', () => {
    const nbs = path.join(dir, 'failing');
    fs.mkdirSync(nbs);
    writeNotebook(path.join(nbs, '01-fails.ipynb'), notebook([['markdown', '# 第 1 章 坏'], ['code', 'const n: number = 1;'], ['code', "const s: number = 'not a number';"]]));
    const r = run(['report', '--notebooks', nbs, '--out', path.join(dir, 'f-out'), '--no-pdf']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('01-fails: cell 3 failed');
    expect(r.stderr).toContain("Type 'string' is not assignable to type 'number'");
    expect(fs.existsSync(path.join(dir, 'f-out', '实验报告.md'))).toBe(false);
  }, 120000);

  test('the compile cache: an unchanged notebook is not type-checked again; a cell whose earlier declarations changed is', () => {
    const nbs = path.join(dir, 'cache');
    fs.mkdirSync(nbs);
    const write = (decl: string) =>
      writeNotebook(path.join(nbs, '01-cache.ipynb'), notebook([['markdown', '# 第 1 章 缓存'], ['code', `import { show, md } from 'wirenote';\n${decl}`], ['code', `const w: number = v;\nshow(md(\`w=\${w}-${process.pid}\`));`]]));
    const timing = (r: SpawnSyncReturns<string>) => /cells compiled (\d+) cached (\d+)/.exec(r.stderr)?.slice(1).map(Number);
    const build = () => {
      const env: NodeJS.ProcessEnv = { ...process.env, WIRENOTE_TIMING: '1' };
      delete env.WIRENOTE_COMPILE_CACHE;
      return spawnSync(process.execPath, [BIN, 'report', '--notebooks', nbs, '--out', path.join(dir, 'c-out'), '--no-pdf'], { env, encoding: 'utf8', timeout: 120000 });
    };
    write('const v: number = 1;');
    const first = build();
    expect(first.status).toBe(0);
    // New code is type-checked in a process of its own before the notebooks run: the report's own process converts nothing.
    expect(timing(first)).toEqual([0, 2]);
    const again = build();
    expect(again.status).toBe(0);
    expect(timing(again)).toEqual([0, 2]);
    expect(fs.readFileSync(path.join(dir, 'c-out', '实验报告.md'), 'utf8')).toContain(`w=1-${process.pid}`);
    // Same source for the last cell, but what it refers to changed type: it must fail now.
    write("const v: string = 'a';");
    const changed = build();
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain('01-cache: cell 3 failed');
    expect(changed.stderr).toContain("Type 'string' is not assignable to type 'number'");
  }, 120000);

  test.each([
    ['a file that is not a capture', path.join(ROOT, 'README.md'), /不是 pcap\/pcapng 抓包文件/],
    ['a capture without HTTP (PPTP over TCP)', path.join(SHARED_CAPTURES, 'tcpdump/pptp.pcap'), /没有 HTTP 请求或响应/],
    ['an HTTPS-only capture', path.join(SHARED_CAPTURES, 'zeek/ecdhe.pcap'), /只有 HTTPS（TLS）流量/],
  ])('%s: the report is written, says why on its first page, exit 3', (_, capture, why) => {
    const out = path.join(dir, `unusable-${path.basename(capture)}`);
    const r = run(['report', '--capture', capture, '--out', out, '--no-pdf']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('exit status 3');
    noStack(r);
    const md = fs.readFileSync(path.join(out, '实验报告.md'), 'utf8');
    const firstPage = md.slice(0, md.indexOf('## 目录'));
    expect(firstPage).toContain('⚠ 这份抓包不能用来完成本实验');
    expect(firstPage).toMatch(why);
    const html = fs.readFileSync(path.join(out, '实验报告.html'), 'utf8');
    const title = html.slice(html.indexOf('<section class="title-page">'), html.indexOf('</section>'));
    expect(title).toContain('class="notice"');
    expect(title).toMatch(why);
  }, 120000);

  test('the reference capture is usable: exit 0, no warning', () => {
    const out = path.join(dir, 'usable');
    const r = run(['report', '--out', out, '--no-pdf']);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(out, '实验报告.md'), 'utf8')).not.toContain('⚠');
  }, 120000);
});

describe('wirenote notebook', () => {
  test('--help, and plain errors for bad options', () => {
    const h = run(['notebook', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('usage: wirenote notebook');
    for (const [args, msg] of [
      [['--port'], /--port needs a value/],
      [['--port', 'eighty'], /--port wants a port number/],
      [['--bogus'], /unknown option --bogus/],
    ] as Array<[string[], RegExp]>) {
      const r = run(['notebook', ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      noStack(r);
    }
  });

  test('--kernel-only registers tslab in the project with absolute paths to this Node and this tslab', () => {
    const r = run(['notebook', '--kernel-only']);
    expect(r.status).toBe(0);
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8'));
    expect(spec.argv.slice(2)).toEqual(['kernel', '--config-path', '{connection_file}']);
    for (const p of spec.argv.slice(0, 2)) {
      expect(path.isAbsolute(p)).toBe(true);
      expect(fs.existsSync(p)).toBe(true);
    }
    expect(r.stdout).toContain(`JUPYTER_PATH=${path.join(ROOT, '.jupyter', 'share', 'jupyter')}`);
  });
});
