/** Worker thread for `wirenote batch`: analyse one capture at a time, reply with a summary row. */
import { parentPort } from 'worker_threads';
import { analyzeLab } from '../lab/model';
import { labChecks } from '../lab/checks';
import * as path from 'path';
import { BatchRow } from './batch';

parentPort!.on('message', async (file: string) => {
  let row: BatchRow;
  try {
    const lab = await analyzeLab(file, path.basename(file));
    const a = lab.analysis;
    const checks = labChecks(lab);
    row = {
      file,
      readable: !a.read.error,
      error: a.read.error ? `${a.read.error.code} @${a.read.error.offset}: ${a.read.error.detail}` : undefined,
      packets: a.read.packets,
      connections: a.connections.length,
      exchanges: lab.counts.requests,
      // Only the verdicts cross to the main thread (the evidence holds the whole model).
      checks: a.read.opened ? { identity: checks.identity.status, logo: checks.logo.status, audio: checks.audio.status, http: checks.http.status, handshake: checks.handshake.status, teardown: checks.teardown.status } : undefined,
      identity: lab.page ? { major: lab.page.profile.major, studentId: lab.page.profile.studentId, name: lab.page.profile.name } : undefined,
    };
  } catch (e) {
    row = { file, readable: false, error: `internal: ${(e as Error).message}`, packets: 0, connections: 0, exchanges: 0 };
  }
  parentPort!.postMessage(row);
});
