/**
 * A full garbage collection, asked for where a large analysis has just dropped hundreds of
 * megabytes: V8 otherwise often lets the heap grow on instead (a 1 M-packet report peaked at 0.7 GB
 * or at 1.06 GB depending on when its collector ran). V8 offers `gc()` only to processes started
 * with --expose-gc; the flag set now takes effect in a new context, which is where `gc` is taken from.
 */
import * as v8 from 'v8';
import * as vm from 'vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  try {
    if (!gc) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
  } catch {
    // Only memory is at stake.
  }
}
