// The targets that steer connections elsewhere: TPROXY (libxt_TPROXY.c, revision 1), SYNPROXY
// (libxt_SYNPROXY.c), TEE (libxt_TEE.c) and CLUSTERIP (libipt_CLUSTERIP.c; its kernel module is
// gone from Linux 6.x, so its forms follow that file, not a measurement).
import { formatIpv4 } from '../../../wire/addr.ts';
import type { Token } from '../lex.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../names.ts';
import {
  fail,
  opt,
  parseAddress,
  parsePortText,
  parseUint,
  parseValueMask,
  protoIs,
  type TargetParser,
} from '../parse-util.ts';
import { hex } from './ext.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface TproxyTarget {
  readonly kind: 'TPROXY';
  readonly port: number;
  readonly addr: number;
  readonly markValue: number;
  readonly markMask: number;
}
/** XT_SYNPROXY_OPT_*: MSS 1, WSCALE 2, SACK_PERM 4, TIMESTAMP 8, ECN 16. */
export interface SynproxyTarget {
  readonly kind: 'SYNPROXY';
  readonly options: number;
  readonly wscale: number;
  readonly mss: number;
}
export interface TeeTarget {
  readonly kind: 'TEE';
  readonly gateway: number;
  /** '' when none. */
  readonly oif: string;
}
export interface ClusteripTarget {
  readonly kind: 'CLUSTERIP';
  /** Absent: a rule without --new (it joins a cluster made by another rule). */
  readonly config?: {
    readonly hashmode: 'sourceip' | 'sourceip-sourceport' | 'sourceip-sourceport-destport';
    readonly mac: readonly number[];
    readonly totalNodes: number;
    readonly localNode: number;
    readonly hashInit: number;
  };
}

const host = (t: Token, what: string): number => {
  const p = parseAddress(t, t.text, what);
  if (p.mask !== 0xffffffff) fail(t, `${what} takes one address, not a network ("${t.text}")`);
  return p.addr;
};

function tproxyParser(tok: Token): TargetParser {
  let port: number | undefined;
  let addr = 0;
  let mark = { value: 0, mask: 0 };
  return {
    name: 'TPROXY',
    tok,
    opts: [opt('on-port', 1, false), opt('on-ip', 1, false), opt('tproxy-mark', 1, false)],
    option(id, args) {
      const t = args[0]!;
      if (id === 'on-port') port = parsePortText(t, t.text);
      else if (id === 'on-ip') addr = host(t, '--on-ip');
      else mark = parseValueMask(t, 'TPROXY mark');
    },
    finish(ctx) {
      if (port === undefined) fail(tok, 'TPROXY: option "--on-port" must be specified');
      // tproxy_tg4_check: -p tcp or -p udp (the kernel says EINVAL).
      if (!protoIs(ctx, IPPROTO_TCP) && !protoIs(ctx, IPPROTO_UDP))
        fail(tok, 'target TPROXY needs "-p tcp" or "-p udp"');
      return { kind: 'TPROXY', port: port!, addr, markValue: mark.value, markMask: mark.mask };
    },
  };
}

export const TPROXY: TargetExt<TproxyTarget> = {
  name: 'TPROXY',
  placement: at(['mangle'], ['PREROUTING']),
  parser: tproxyParser,
  save: (t) =>
    ` --on-port ${t.port} --on-ip ${formatIpv4(t.addr)} --tproxy-mark ${hex(t.markValue)}/${hex(t.markMask)}`,
  print: (t) =>
    ` TPROXY redirect ${formatIpv4(t.addr)}:${t.port} mark ${hex(t.markValue)}/${hex(t.markMask)}`,
};

function synproxyParser(tok: Token): TargetParser {
  let options = 0;
  let wscale = 0;
  let mss = 0;
  return {
    name: 'SYNPROXY',
    tok,
    opts: [
      opt('sack-perm', 0, false),
      opt('timestamp', 0, false),
      opt('wscale', 1, false),
      opt('mss', 1, false),
      opt('ecn', 0, false),
    ],
    option(id, args) {
      const t = args[0];
      if (id === 'sack-perm') options |= 4;
      else if (id === 'timestamp') options |= 8;
      else if (id === 'ecn') options |= 16;
      else if (id === 'wscale') {
        // XTTYPE_UINT32 read into __u8 wscale: the low byte is kept.
        wscale = parseUint(t!, t!.text, 0xffffffff, 'SYNPROXY --wscale') & 0xff;
        options |= 2;
      } else {
        mss = parseUint(t!, t!.text, 0xffffffff, 'SYNPROXY --mss') & 0xffff;
        options |= 1;
      }
    },
    finish(ctx) {
      if (!protoIs(ctx, IPPROTO_TCP)) fail(tok, 'target SYNPROXY needs "-p tcp"');
      return { kind: 'SYNPROXY', options, wscale, mss };
    },
  };
}

export const SYNPROXY: TargetExt<SynproxyTarget> = {
  name: 'SYNPROXY',
  placement: at(undefined, ['INPUT', 'FORWARD']),
  parser: synproxyParser,
  save(t) {
    let s = '';
    if (t.options & 4) s += ' --sack-perm';
    if (t.options & 8) s += ' --timestamp';
    if (t.options & 2) s += ` --wscale ${t.wscale}`;
    if (t.options & 1) s += ` --mss ${t.mss}`;
    if (t.options & 16) s += ' --ecn';
    return s;
  },
  print(t) {
    let s = ' SYNPROXY ';
    if (t.options & 4) s += 'sack-perm ';
    if (t.options & 8) s += 'timestamp ';
    if (t.options & 2) s += `wscale ${t.wscale} `;
    if (t.options & 1) s += `mss ${t.mss} `;
    if (t.options & 16) s += 'ecn ';
    return s;
  },
};

function teeParser(tok: Token): TargetParser {
  let gateway: number | undefined;
  let oif = '';
  return {
    name: 'TEE',
    tok,
    opts: [opt('gateway', 1, false), opt('oif', 1, false)],
    option(id, args) {
      const t = args[0]!;
      if (id === 'gateway') gateway = host(t, '--gateway');
      else {
        if (t.text.length > 15)
          fail(t, `interface name "${t.text}" for --oif is longer than 15 characters (IFNAMSIZ)`);
        oif = t.text;
      }
    },
    finish() {
      if (gateway === undefined) fail(tok, 'TEE: option "--gateway" must be specified');
      return { kind: 'TEE', gateway: gateway!, oif };
    },
  };
}

export const TEE: TargetExt<TeeTarget> = {
  name: 'TEE',
  parser: teeParser,
  save: (t) => ` --gateway ${formatIpv4(t.gateway)}${t.oif ? ` --oif ${t.oif}` : ''}`,
  print: (t) => ` TEE gw:${formatIpv4(t.gateway)}${t.oif ? ` oif=${t.oif}` : ''}`,
};

const HASHMODES = ['sourceip', 'sourceip-sourceport', 'sourceip-sourceport-destport'] as const;

function clusteripParser(tok: Token): TargetParser {
  const seen = new Map<string, Token>();
  let hashmode: (typeof HASHMODES)[number] = 'sourceip';
  let mac: number[] = [0, 0, 0, 0, 0, 0];
  let totalNodes = 0;
  let localNode = 0;
  let hashInit = 0;
  return {
    name: 'CLUSTERIP',
    tok,
    opts: [
      opt('new', 0, false),
      opt('hashmode', 1, false),
      opt('clustermac', 1, false),
      opt('total-nodes', 1, false),
      opt('local-node', 1, false),
      opt('hash-init', 1, false),
    ],
    option(id, args, _inv, optTok) {
      seen.set(id, optTok);
      const t = args[0]!;
      if (id === 'hashmode') {
        const m = HASHMODES.find((h) => h === t.text);
        if (!m) fail(t, `unknown hashmode "${t.text}" (expected ${HASHMODES.join(', ')})`);
        hashmode = m!;
      } else if (id === 'clustermac') {
        const parts = t.text.split(':');
        if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
          fail(t, `bad MAC address "${t.text}"`);
        mac = parts.map((p) => parseInt(p, 16));
        if (!(mac[0]! & 1)) fail(t, 'CLUSTERIP: the MAC has to be a multicast Ethernet address');
      } else if (id === 'total-nodes') totalNodes = parseUint(t, t.text, 16, 'CLUSTERIP --total-nodes');
      else if (id === 'local-node') localNode = parseUint(t, t.text, 16, 'CLUSTERIP --local-node');
      else if (id === 'hash-init') hashInit = parseUint(t, t.text, 0xffffffff, 'CLUSTERIP --hash-init');
    },
    finish() {
      if (seen.size === 0) return { kind: 'CLUSTERIP' };
      // CLUSTERIP_check: all of --new --hashmode --clustermac --total-nodes --local-node, or none.
      for (const o of ['new', 'hashmode', 'clustermac', 'total-nodes', 'local-node'])
        if (!seen.has(o)) fail(tok, `CLUSTERIP target: invalid parameter combination (--${o} is missing)`);
      return { kind: 'CLUSTERIP', config: { hashmode, mac, totalNodes, localNode, hashInit } };
    },
  };
}

const macText = (m: readonly number[]): string =>
  m.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');

export const CLUSTERIP: TargetExt<ClusteripTarget> = {
  name: 'CLUSTERIP',
  parser: clusteripParser,
  save: (t) =>
    t.config
      ? ` --new --hashmode ${t.config.hashmode} --clustermac ${macText(t.config.mac)} --total-nodes ${t.config.totalNodes} --local-node ${t.config.localNode} --hash-init ${t.config.hashInit}`
      : '',
  print: (t) =>
    t.config
      ? ` CLUSTERIP hashmode=${t.config.hashmode} clustermac=${macText(t.config.mac)} total_nodes=${t.config.totalNodes} local_node=${t.config.localNode} hash_init=${t.config.hashInit}`
      : ' CLUSTERIP',
};
