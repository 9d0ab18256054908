/** Worker thread for `wirenote batch`: analyse one capture at a time, reply with a summary row. */
import { parentPort } from 'worker_threads';
import { analyzeCaptureFile } from '../analysis';
import { buildLab, labChecks } from '../stats/lab';
import { BatchRow } from './batch';

parentPort!.on('message', async (file: string) => {
  let row: BatchRow;
  try {
    const a = await analyzeCaptureFile(file);
    const lab = buildLab(a);
    row = {
      file,
      readable: !a.read.error,
      error: a.read.error ? `${a.read.error.code} @${a.read.error.offset}: ${a.read.error.detail}` : undefined,
      packets: a.read.packets,
      connections: a.connections.length,
      exchanges: lab.exchanges.filter((e) => e.request).length,
      checks: a.read.opened ? labChecks(lab) : undefined,
      identity: lab.identity,
    };
  } catch (e) {
    row = { file, readable: false, error: `internal: ${(e as Error).message}`, packets: 0, connections: 0, exchanges: 0 };
  }
  parentPort!.postMessage(row);
});
