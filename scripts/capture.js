#!/usr/bin/env node
/**
 * npm run capture [-- options]
 *
 * One command for the whole lab: start the server, capture loopback traffic for the server port
 * (dumpcap → pcapng, or tcpdump), load the page in Debian Chromium with a fresh profile, play the
 * audio (Range → 206), wait for the network to go quiet, then close the connections — by closing
 * the browser (client-initiated teardown) or by idling past the server's keep-alive timeout
 * (server-initiated, as in the seed) — and write captures/<name>.pcapng plus a JSON sidecar.
 *
 * Options:
 *   --name NAME            output name (default: capture-<date>)
 *   --out DIR              output folder (default: captures/)
 *   --port N --host H      server address (default 127.0.0.1:8080)
 *   --teardown client|server   who closes the connections (default client)
 *   --reload               load the page a second time in the same profile (conditional requests)
 *   --cache-seconds N      let the browser cache for N s (with --reload: If-None-Match → 304)
 *   --keepalive-seconds N  server's idle keep-alive timeout (default 5, Node's default)
 *   --settle-ms N          quiet time that counts as "network idle" (default 1500)
 *   --headed               show the browser window (needs a display)
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startServer, LabError } = require('./lab/server');

const CHROMIUM = process.env.WIRENOTE_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--autoplay-policy=no-user-gesture-required', '--mute-audio',
];

function parseArgs(argv) {
  const o = { name: undefined, out: path.join(__dirname, '..', 'captures'), port: 8080, host: '127.0.0.1', teardown: 'client', reload: false, cacheSeconds: 0, keepAliveSeconds: 5, settleMs: 1500, headed: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new LabError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--name') o.name = next();
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--port') o.port = Number(next());
    else if (a === '--host') o.host = next();
    else if (a === '--teardown') o.teardown = next();
    else if (a === '--reload') o.reload = true;
    else if (a === '--cache-seconds') o.cacheSeconds = Number(next());
    else if (a === '--settle-ms') o.settleMs = Number(next());
    else if (a === '--keepalive-seconds') o.keepAliveSeconds = Number(next());
    else if (a === '--headed') o.headed = true;
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith(' *')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new LabError(`unknown option ${a} (see --help)`);
  }
  if (!['client', 'server'].includes(o.teardown)) throw new LabError('--teardown must be client or server');
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new LabError('--port must be a number from 1 to 65535');
  o.name = o.name || `capture-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  return o;
}

/** Everything started here, stopped in reverse order whatever happens. */
const cleanups = [];
async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      /* keep cleaning */
    }
  }
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

function checkPrerequisites() {
  if (!fs.existsSync(CHROMIUM)) throw new LabError(`Chromium not found at ${CHROMIUM}: install it with "apt-get install chromium" (or set WIRENOTE_CHROMIUM)`);
  const tool = which('dumpcap') || which('tcpdump');
  if (!tool) throw new LabError('no capture tool: install one with "apt-get install tshark" (dumpcap) or "apt-get install tcpdump"');
  if (process.getuid && process.getuid() !== 0) {
    const caps = spawnSync('getcap', [tool], { encoding: 'utf8' }).stdout || '';
    if (!/cap_net_raw/.test(caps)) throw new LabError(`capturing on loopback needs root or the cap_net_raw capability on ${tool}: run with sudo`);
  }
  return tool;
}

/** Start the capture and wait until it is really listening. */
async function startCapture(tool, file, port) {
  const filter = `tcp port ${port}`;
  const isDumpcap = path.basename(tool) === 'dumpcap';
  const args = isDumpcap ? ['-i', 'lo', '-B', '64', '-f', filter, '-w', file, '-q'] : ['-i', 'lo', '-U', '--immediate-mode', '-B', '65536', '-s', '0', '-w', file, filter];
  const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new LabError(`${path.basename(tool)} did not start capturing: ${err.trim()}`)), 15000);
    child.stderr.on('data', (d) => {
      err += d;
      if (/Capturing on|listening on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new LabError(`${path.basename(tool)} stopped (exit ${code}): ${err.trim() || 'no permission to capture? run as root'}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // both tools flush and close the file cleanly on SIGINT
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  };
  return { stop, format: isDumpcap ? 'pcapng' : 'pcap', tool: `${path.basename(tool)} ${toolVersion(tool)}` };
}

function toolVersion(tool) {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  const m = /(\d+\.\d+(\.\d+)?)/.exec((r.stdout || '') + (r.stderr || ''));
  return m ? m[1] : '';
}

/** Wait until no request has been in flight for `quietMs`. */
function networkIdle(page, quietMs, maxMs = 30000) {
  return new Promise((resolve) => {
    let inflight = 0;
    let timer;
    const arm = () => {
      clearTimeout(timer);
      if (inflight === 0) timer = setTimeout(done, quietMs);
    };
    const onReq = () => {
      inflight++;
      clearTimeout(timer);
    };
    const onEnd = () => {
      inflight = Math.max(0, inflight - 1);
      arm();
    };
    const hard = setTimeout(done, maxMs);
    function done() {
      clearTimeout(hard);
      clearTimeout(timer);
      page.off('request', onReq);
      page.off('requestfinished', onEnd);
      page.off('requestfailed', onEnd);
      resolve();
    }
    page.on('request', onReq);
    page.on('requestfinished', onEnd);
    page.on('requestfailed', onEnd);
    arm();
  });
}

async function visit(page, url, settleMs, log) {
  await page.goto(url, { waitUntil: 'load' });
  // Play the self-introduction: the media element fetches with "Range: bytes=0-" → 206.
  const played = await page.evaluate(async () => {
    const a = document.querySelector('audio');
    if (!a) return 'no <audio> element';
    try {
      await a.play();
      return 'playing';
    } catch (e) {
      return String(e);
    }
  });
  log(`page loaded; audio: ${played}`);
  await networkIdle(page, settleMs);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (m) => console.log(`capture: ${m}`);
  const tool = checkPrerequisites();
  const { chromium } = require('playwright-core');
  fs.mkdirSync(o.out, { recursive: true });

  const server = await startServer({ host: o.host, port: o.port, cacheSeconds: o.cacheSeconds, keepAliveSeconds: o.keepAliveSeconds });
  cleanups.push(() => server.close());
  log(`serving site/ at ${server.url}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-capture-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const started = new Date();
  const capFile = path.join(tmp, 'capture');
  const cap = await startCapture(tool, capFile, server.port);
  cleanups.push(() => cap.stop());
  log(`capturing on lo with filter "tcp port ${server.port}" (${cap.tool})`);

  // A fresh, throw-away profile: nothing can come from an earlier visit's cache.
  const profileDir = path.join(tmp, 'profile');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: !o.headed,
    args: CHROMIUM_FLAGS,
    // Our own handler stops everything in order; Playwright's would exit before the capture stops.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  let contextOpen = true;
  const closeContext = async () => {
    if (contextOpen) {
      contextOpen = false;
      await context.close();
    }
  };
  cleanups.push(closeContext);
  const browserVersion = context.browser() ? context.browser().version() : spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const page = context.pages()[0] || (await context.newPage());
  await visit(page, server.url, o.settleMs, log);
  if (o.reload) {
    log('reloading in the same profile');
    await page.reload({ waitUntil: 'load' });
    await visit(page, server.url, o.settleMs, log);
  }

  // Stop the player so the browser makes no further range requests while we wait.
  await page.evaluate(() => document.querySelector('audio') && document.querySelector('audio').pause()).catch(() => undefined);
  if (o.teardown === 'server') {
    log(`idling until the server closes its idle keep-alive connections (timeout ${server.keepAliveSeconds} s)`);
    const deadline = Date.now() + server.keepAliveSeconds * 1000 + 15000;
    while ((await server.openConnections()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await closeContext();
  } else {
    log('closing the browser (client-initiated teardown)');
    await closeContext();
  }
  await new Promise((r) => setTimeout(r, 700)); // let the last ACKs of the teardown arrive
  await cap.stop();
  const ended = new Date();

  const out = path.join(o.out, `${o.name}.${cap.format}`);
  fs.copyFileSync(capFile, out);
  fs.chmodSync(out, 0o644);
  const sidecar = {
    capture: path.basename(out),
    url: server.url,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    options: { teardown: o.teardown, reload: o.reload, cacheSeconds: o.cacheSeconds, settleMs: o.settleMs, headless: !o.headed },
    browser: `Chromium ${browserVersion}`,
    server: `http-server ${server.version} (Node ${process.version}, keep-alive timeout ${server.keepAliveSeconds} s)`,
    captureTool: cap.tool,
    captureFilter: `tcp port ${server.port}`,
    interface: 'lo',
    platform: `${os.type()} ${os.release()}`,
  };
  fs.writeFileSync(out.replace(/\.(pcapng|pcap)$/, '.json'), JSON.stringify(sidecar, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), out)} (${fs.statSync(out).size} bytes) and its .json sidecar`);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error('capture: interrupted, cleaning up');
    cleanup().then(() => process.exit(130));
  });
}

main()
  .then(cleanup)
  .catch(async (e) => {
    await cleanup();
    if (e instanceof LabError) console.error(`capture: ${e.message}`);
    else console.error(`capture: failed: ${e && e.message ? e.message : e}`);
    process.exit(1);
  });
