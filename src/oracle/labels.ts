// Values that differ from run to run, compared as labels: TCP initial sequence numbers (I0, I1, …;
// other sequence numbers as `I1+6`, the offset from the nearest ISN below), and ports or ICMP ids
// the scenario does not name ($p1, $id1: what NAT chose on a clash). Two ways to use them:
// - SideLabels gives each side its labels independently, in order of first appearance (natbox
//   verify: natbox's run against a live kernel run);
// - BoundLabels binds labels someone else gave (the kernel reference's result.json) to natbox's
//   values as they are met, and holds them to it (the conformance tests).
// Both refuse to let a label stand for a value the scenario names: the kernel chose another value
// because that one clashed, so natbox must have chosen another one too.

/**
 * A TCP sequence number as the kernel reference runs label it: `I<k>` for the k-th initial
 * sequence number seen, `I<k>+<offset>` after it (the nearest ISN below, within 2^24); a raw 0
 * is always `?0`.
 */
export function seqLabel(isns: readonly number[], v: number): string {
  // A raw 0 is the seq of a reset answering a SYN (nf_send_reset, tcp_v4_send_reset), never an
  // offset: an ISN that happens to lie within 2^24 below 2^32 must not claim it (the kernel's
  // random ISNs did, in about one run in twenty of a scenario with a dozen connections).
  if (v === 0) return '?0';
  let best = -1;
  let off = 0;
  isns.forEach((isn, k) => {
    const o = (v - isn) >>> 0;
    if (o < 1 << 24 && (best < 0 || o < off)) {
      best = k;
      off = o;
    }
  });
  if (best < 0) return `?${v}`;
  return off === 0 ? `I${best}` : `I${best}+${off}`;
}

/** How one side's raw values become text: sequence numbers, ports, ICMP ids. */
export interface ValueLabels {
  seq(v: number): string;
  port(v: number): string;
  id(v: number): string;
}

/** Ports and ids as they are, sequence numbers as labels from the ISNs seen so far (in order). */
export class SeqLabeller implements ValueLabels {
  private readonly isns: number[] = [];
  /** A SYN's seq is an ISN, new unless seen before (a retransmitted SYN). */
  syn(seq: number): void {
    if (!this.isns.includes(seq)) this.isns.push(seq);
  }
  label(v: number): string {
    return seqLabel(this.isns, v);
  }
  seq(v: number): string {
    return this.label(v);
  }
  port(v: number): string {
    return String(v);
  }
  id(v: number): string {
    return String(v);
  }
}

/** What SideLabels.learn needs of a packet. */
export interface Labelled {
  readonly t: number;
  readonly syn?: boolean;
  readonly seq?: number;
  /** TCP flags as tcpdump prints them (`R.`), and the ACK number. */
  readonly flags?: string;
  readonly ack?: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly icmpId?: number;
}

/** One side's labels: ISNs and the ports / ICMP ids the scenario does not name. */
export class SideLabels implements ValueLabels {
  private readonly isns: number[] = [];
  private readonly ports = new Map<number, string>();
  private readonly ids = new Map<number, string>();
  constructor(private readonly literal: ReadonlySet<number>) {}

  /** Walks the run in time order so labels are given where values first appear. */
  learn(packets: readonly Labelled[]): void {
    const byTime = [...packets].sort((a, b) => a.t - b.t);
    for (const p of byTime) {
      if (p.syn && p.seq !== undefined && !this.isns.includes(p.seq)) this.isns.push(p.seq);
      // A reset answering a SYN no capture saw (a REJECT in the sender's own OUTPUT): it acks
      // that ISN + 1, so the ISN is learnt from it.
      if (
        p.flags?.startsWith('R') &&
        p.seq === 0 &&
        p.ack !== undefined &&
        seqLabel(this.isns, p.ack)[0] === '?'
      )
        this.isns.push((p.ack - 1) >>> 0);
      // A bare ACK of a SYN-ACK no capture saw: SYNPROXY's ACK to the server
      // (synproxy_send_server_ack, on lo for a server on the proxy's host) acks the server's
      // ISN + 1, and the server's SYN-ACK was taken by the proxy at POSTROUTING, never sent.
      else if (p.flags === '.' && !p.syn && p.ack !== undefined && seqLabel(this.isns, p.ack)[0] === '?')
        this.isns.push((p.ack - 1) >>> 0);
      if (p.sport !== undefined) this.port(p.sport);
      if (p.dport !== undefined) this.port(p.dport);
      if (p.icmpId !== undefined) this.id(p.icmpId);
    }
  }

  port(v: number): string {
    if (this.literal.has(v)) return String(v);
    let l = this.ports.get(v);
    if (!l) this.ports.set(v, (l = `$p${this.ports.size + 1}`));
    return l;
  }

  id(v: number): string {
    if (this.literal.has(v)) return String(v);
    let l = this.ids.get(v);
    if (!l) this.ids.set(v, (l = `$id${this.ids.size + 1}`));
    return l;
  }

  seq(v: number): string {
    return seqLabel(this.isns, v);
  }

  /** `ip:port` with the port labelled. */
  endpoint(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    const m = /^(.*):(\d+)$/.exec(s);
    return m ? `${m[1]}:${this.port(Number(m[2]))}` : s;
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Labels given by the other side ($p1, $id1 in its values) bound to natbox's values as they are
 * met. `literal` holds the values the case uses as they are (its requested ports and ids), which a
 * label may not stand for.
 */
export class BoundLabels {
  readonly bound = new Map<string, string>();
  constructor(private readonly literal: ReadonlySet<string>) {}

  /** Whether natbox's `actual` matches the other side's `expected`, binding labels in it. */
  match(expected: string, actual: string): boolean {
    if (!expected.includes('$')) return expected === actual;
    const names: string[] = [];
    const re = new RegExp(
      '^' +
        expected
          .split(/(\$[a-z]+\d+)/)
          .map((part) => {
            if (!/^\$[a-z]+\d+$/.test(part)) return escape(part);
            const b = this.bound.get(part);
            if (b !== undefined) return escape(b);
            names.push(part);
            return '(\\d+)';
          })
          .join('') +
        '$',
    );
    const m = re.exec(actual);
    if (!m) return false;
    const fresh = new Map<string, string>();
    for (let i = 0; i < names.length; i++) {
      const v = m[i + 1]!;
      if (this.literal.has(v)) return false;
      const prev = fresh.get(names[i]!);
      if (prev !== undefined && prev !== v) return false;
      fresh.set(names[i]!, v);
    }
    for (const [k, v] of fresh) this.bound.set(k, v);
    return true;
  }
}

/** A flow as the oracle needs it (the simulator's Flow has this shape). */
export interface OracleFlow {
  readonly name: string;
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'sctp' | 'dccp' | 'esp' | 'ah';
  readonly sport: number;
  readonly dport: number;
  readonly icmpId: number;
  /** Start, seconds. */
  readonly at: number;
}

/** Every port and id the scenario names: flows' ports and ids, listening ports, numbers in rules. */
export function literalNumbers(
  flows: readonly OracleFlow[],
  listen: readonly number[],
  ruleText: readonly string[],
): Set<number> {
  const lit = new Set<number>(listen);
  for (const f of flows) {
    lit.add(f.sport);
    lit.add(f.dport);
    if (f.proto === 'icmp') lit.add(f.icmpId);
  }
  for (const line of ruleText) {
    const noAddrs = line.replace(/\d+\.\d+\.\d+\.\d+(\/\d+)?/g, ' ');
    // The ends of a port range (`--to-ports 61000-61010`, `:1024-65535`) are values NAT may
    // choose like any other in it, not values the scenario names: the kernel took 61010 in one
    // CI run of module-sctp-nat-ports.yaml.
    const noRanges = noAddrs.replace(/(\d+)\s*[-:]\s*(\d+)/g, (all, a: string, b: string) =>
      Number(a) < Number(b) ? ' ' : all,
    );
    for (const m of noRanges.matchAll(/\d+/g)) lit.add(Number(m[0]));
  }
  return lit;
}
