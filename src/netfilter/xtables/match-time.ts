// -m time (xt_time.c time_mt): the packet's wall-clock time, here the scenario's epoch plus the
// simulation clock (skb.env.epoch + skb.now), in UTC; --kerneltz subtracts the kernel's
// sys_tz.tz_minuteswest, which is 0 on a host that never set it (natbox's hosts): the same as UTC.
// Date bounds, then the daytime (a range across midnight when start > stop; --contiguous counts
// its after-midnight part to the day before), then the weekday and the day of the month.
import type { Skb } from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

const SECONDS_PER_DAY = 86400;
const ALL_MONTHDAYS = 0xfffffffe;

/** The packet's time in seconds since 1970 UTC, or -1 when the scenario gives no epoch. */
function stampOf(skb: Skb): number {
  const epoch = skb.env?.epoch;
  return epoch === undefined ? -1 : Math.floor(epoch + skb.now);
}

/** Day of the month (1-31) of a day count since 1970-01-01 (civil_from_days, no allocation). */
export function monthdayOf(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/** xt_time's decision for a packet at `stamp` (seconds since 1970, the time zone applied). */
export function timeMatches(m: MatchOf<'time'>, stamp: number): boolean {
  if (stamp < m.dateStart || stamp > m.dateStop) return false;
  const packetTime = ((stamp % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
  if (m.daytimeStart < m.daytimeStop) {
    if (packetTime < m.daytimeStart || packetTime > m.daytimeStop) return false;
  } else {
    if (packetTime < m.daytimeStart && packetTime > m.daytimeStop) return false;
    if (m.contiguous && packetTime <= m.daytimeStop) stamp -= SECONDS_PER_DAY;
  }
  const days = Math.floor(stamp / SECONDS_PER_DAY);
  const weekday = (4 + days) % 7 || 7; // 1970-01-01 was a Thursday; 1 Monday .. 7 Sunday
  if (!(m.weekdays & (1 << weekday))) return false;
  if (m.monthdays !== ALL_MONTHDAYS && !(m.monthdays & (1 << monthdayOf(days)))) return false;
  return true;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

export const timeMatch: XtMatch<MatchOf<'time'>> = {
  check: (m, caps) => needs(m.module, 'the simulation clock (skb.now) and skb.env', caps.clock && caps.env),
  match(m, skb) {
    const stamp = stampOf(skb);
    return stamp >= 0 && timeMatches(m, stamp);
  },
  describe(m, skb) {
    const stamp = stampOf(skb);
    if (stamp < 0) {
      return (
        'match "time" is refused: the scenario gives no epoch (the wall-clock time of simulation ' +
        'time 0, e.g. epoch: "2026-12-01T09:00:00Z"), so the packet has no time of day'
      );
    }
    const d = new Date(stamp * 1000);
    const when =
      `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ` +
      `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC`;
    return `-m time did not match (the packet's time is ${when}, ${'SunMonTueWedThuFriSat'.slice(d.getUTCDay() * 3, d.getUTCDay() * 3 + 3)})`;
  },
};
