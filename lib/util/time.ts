/**
 * Time arithmetic and formatting with Wireshark's conventions (nstime_delta and
 * display_signed_time), so that even damaged timestamps print the same way tshark prints them.
 */
export interface NsTime {
  sec: number;
  nsec: number;
}

const NS_PER_S = 1e9;

/** b − a, keeping seconds and nanoseconds of the same sign (nsec is not range-checked). */
export function nstimeDelta(bSec: number, bNsec: number, aSec: number, aNsec: number): NsTime {
  return nstimeDeltaInto({ sec: 0, nsec: 0 }, bSec, bNsec, aSec, aNsec);
}

/** nstimeDelta written into `out` (for per-packet records that are reused). */
export function nstimeDeltaInto(out: NsTime, bSec: number, bNsec: number, aSec: number, aNsec: number): NsTime {
  if (bSec === aSec) {
    out.sec = 0;
    out.nsec = bNsec - aNsec;
    return out;
  }
  let sec = bSec - aSec;
  let nsec = bNsec - aNsec;
  if (bSec < aSec) {
    if (nsec > 0) {
      nsec -= NS_PER_S;
      sec++;
    }
  } else if (nsec < 0) {
    nsec += NS_PER_S;
    sec--;
  }
  out.sec = sec;
  out.nsec = nsec;
  return out;
}

/** "S.NNNNNNNNN", with a leading '-' for negative values. */
export function formatSeconds(t: NsTime): string {
  let { sec, nsec } = t;
  let sign = '';
  if (nsec < 0) {
    nsec = -nsec;
    if (sec >= 0) sign = '-';
  }
  return `${sign}${sec}.${String(nsec).padStart(9, '0')}`;
}

/** Format a duration held as a single nanosecond count. */
export function formatNs(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(ns);
  const sec = Math.floor(a / NS_PER_S);
  const nsec = Math.round(a - sec * NS_PER_S);
  return `${neg ? '-' : ''}${sec}.${String(nsec).padStart(9, '0')}`;
}
