// The misc matches beyond what corpus/ext-misc.sh compares with the kernel: the forms the kernel
// here refuses for a missing object or module (-m nfacct needs an nfacct object, -m ipvs the
// ip_vs module, cgroup --path a cgroup that exists), whose expected text comes from the printing
// code of libxt_nfacct.c / libxt_ipvs.c / libxt_cgroup.c of iptables 1.8.9 (tag v1.8.9); the
// refusals, each one the real iptables 1.8.9 here refuses too (run by hand in a namespace, its
// message quoted in the comment where natbox words it differently); -m time's evaluation on the
// scenario's clock (xt_time.c time_mt); and the engine's refusals by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import { printMatch } from '../../src/rules/iptables/print-list.ts';
import {
  checkMatch,
  describeMismatch,
  newRuleState,
  ruleMismatch,
  ruleMatches,
} from '../../src/netfilter/xtables/match.ts';
import { Skb, type XtEnv } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import type { Rule } from '../../src/rules/iptables/model.ts';
import { monthdayOf } from '../../src/netfilter/xtables/match-time.ts';
import { clusterNode } from '../../src/netfilter/xtables/match-cluster.ts';

function rule(text: string, table = 'filter', chain = 'INPUT'): Rule {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get(table as 'filter')!.chains.get(chain)!.rules[0]!;
}

function refused(text: string, chain = 'INPUT'): string {
  const r = loadRulesText(`iptables -A ${chain} ${text}`, 't');
  assert.ok(!r.ok, `accepted: ${text}`);
  return r.diagnostics.map((d) => d.message).join('\n');
}

const save = (text: string, chain = 'INPUT'): string => formatRule(chain, rule(text, 'filter', chain));
const list = (text: string, chain = 'INPUT'): string =>
  rule(text, 'filter', chain)
    .matches.map((m) => printMatch(m))
    .join('');

test('nfacct: saved and listed with the two blanks of libxt_nfacct.c 1.8.9 (" %snfacct-name " + save_string)', () => {
  assert.equal(
    save('-m nfacct --nfacct-name foo -j ACCEPT'),
    '-A INPUT -m nfacct --nfacct-name  foo -j ACCEPT',
  );
  assert.equal(list('-m nfacct --nfacct-name foo -j ACCEPT'), ' nfacct-name  foo');
  assert.equal(
    save('-m nfacct --nfacct-name "a b" -j ACCEPT'),
    '-A INPUT -m nfacct --nfacct-name  "a b" -j ACCEPT',
  );
  assert.match(refused('-m nfacct -j ACCEPT'), /"--nfacct-name" must be specified/);
  assert.match(refused('-m nfacct --nfacct-name "" -j ACCEPT'), /minimum length of 1/);
});

test('ipvs: the forms of ipvs_mt_dump (libxt_ipvs.c): --ipvs printed only alone, vaddr as given', () => {
  assert.equal(save('-m ipvs --ipvs -j ACCEPT'), '-A INPUT -m ipvs --ipvs -j ACCEPT');
  assert.equal(save('-m ipvs ! --ipvs -j ACCEPT'), '-A INPUT -m ipvs ! --ipvs -j ACCEPT');
  assert.equal(list('-m ipvs ! --ipvs -j ACCEPT'), ' ! ipvs');
  assert.equal(save('-m ipvs --ipvs --vproto tcp -j ACCEPT'), '-A INPUT -m ipvs --vproto 6 -j ACCEPT');
  assert.equal(
    save('-m ipvs --vaddr 10.1.2.3/8 ! --vport http --vdir reply ! --vmethod masq --vportctl 21 -j ACCEPT'),
    '-A INPUT -m ipvs --vaddr 10.1.2.3/8 ! --vport 80 --vdir REPLY ! --vmethod MASQ --vportctl 21 -j ACCEPT',
  );
  assert.equal(
    list('-m ipvs ! --vaddr 10.1.2.3 --vdir ORIGINAL --vmethod gate -j ACCEPT'),
    ' ! vaddr 10.1.2.3 vdir ORIGINAL vmethod GATE',
  );
  assert.equal(list('-m ipvs --vaddr 10.0.0.0/255.0.255.0 -j ACCEPT'), ' vaddr 10.0.0.0/255.0.255.0');
  // iptables: "IPVS: At least one option is required", "! --ipvs cannot be together with other
  // options", 'ipvs: option "--vdir" cannot be inverted.'
  assert.match(refused('-m ipvs -j ACCEPT'), /At least one option/);
  assert.match(refused('-m ipvs ! --ipvs --vport 80 -j ACCEPT'), /cannot be together/);
  assert.match(refused('-m ipvs ! --vdir REPLY -j ACCEPT'), /"!" cannot be used with "--vdir"/);
  assert.match(refused('-m ipvs --vmethod ROUTE -j ACCEPT'), /Bad value for "--vmethod"/);
});

test('cgroup: a --path is quoted by xtables_save_string, printed bare by -L', () => {
  assert.equal(
    save('-m cgroup --path user.slice -j ACCEPT', 'OUTPUT'),
    '-A OUTPUT -m cgroup --path "user.slice" -j ACCEPT',
  );
  assert.equal(
    save('-m cgroup ! --path /a/b -j ACCEPT', 'OUTPUT'),
    '-A OUTPUT -m cgroup ! --path "/a/b" -j ACCEPT',
  );
  assert.equal(list('-m cgroup ! --path /a/b -j ACCEPT', 'OUTPUT'), ' cgroup ! /a/b');
  // The kernel refuses neither and both (xt_cgroup checkentry: EINVAL), and FORWARD (hooks).
  assert.match(refused('-m cgroup -j ACCEPT', 'OUTPUT'), /needs --path or --cgroup/);
  assert.match(refused('-m cgroup --cgroup 1 --path / -j ACCEPT', 'OUTPUT'), /cannot be used together/);
  assert.match(refused('-m cgroup --cgroup 1 -j ACCEPT', 'FORWARD'), /not allowed in chain FORWARD/);
});

test('refusals the real iptables 1.8.9 makes too', () => {
  const cases: [string, RegExp, string?][] = [
    ['-m time --weekdays Monday,sunday', /sun is not a valid day specifier/],
    ['-m time --weekdays 0', /the week does NOT begin with Sunday/],
    ['-m time --weekdays ,Mon', /the week does NOT begin with Sunday/],
    ['-m time --monthdays 32', /32 is not a valid day for --monthdays/],
    ['-m time --timestart 24:00', /invalid time "24:00" specified/],
    ['-m time --timestart 23:59:60', /invalid time "60" specified/],
    ['-m time --timestart 09:00:00.5', /invalid time "00.5" specified/],
    ['-m time --timestart 9', /invalid time "9" specified/],
    ['-m time --datestart 1969-12-31', /Invalid date "1969-12-31"/],
    ['-m time --datestart 2039-01-01', /Invalid date "2039-01-01"/],
    ['-m time --datestart 2020-13-01', /Invalid date "2020-13-01"/],
    ['-m time ! --timestart 09:00', /"!" cannot be used with "--timestart"/],
    ['-m time --contiguous', /--contiguous only makes sense/],
    ['-m time --timestart 09:00 --timestart 10:00', /can only be used once/],
    ['-m time --utc --kerneltz', /cannot be used together/],
    ['-m time --ti 09:00', /ambiguous option|unknown option/],
    ['-m cpu', /"--cpu" must be specified/],
    ['-m cpu --cpu -1', /out of range \(0-4294967295\)/],
    ['-m cpu --cpu 1 --cpu 2', /can only be used once/],
    ['-m devgroup', /You must specify either/],
    ['-m devgroup --src-group nosuch', /could not map name nosuch/],
    ['-m devgroup --dst-group 1', /not allowed in chain INPUT/],
    ['-m devgroup --src-group default', /not allowed in chain OUTPUT/, 'OUTPUT'],
    ['-m realm', /"--realm" must be specified/],
    ['-m realm --realm cosmos/0xf', /could not map name cosmos\/0xf/],
    ['-m realm --realm 1', /not allowed in chain PREROUTING/, 'PREROUTING'],
    ['-m osf --genre Linux', /needs "-p tcp"/],
    ['-p tcp -m osf --genre Linux --ttl 3', /out of range \(0-2\)/],
    ['-p tcp -m osf --ttl 1', /"--genre" must be specified/],
    ['-m socket', /not allowed in chain FORWARD/, 'FORWARD'],
    ['-m socket ! --transparent', /"!" cannot be used with "--transparent"/],
    ['-m cluster --cluster-total-nodes 2 --cluster-local-node 1', /"--cluster-hash-seed" must be specified/],
    [
      '-m cluster --cluster-total-nodes 4 --cluster-local-node 1,3 --cluster-hash-seed 1',
      /out of range \(1-32\)/,
    ],
    ['-m cluster --cluster-total-nodes 2 --cluster-hash-seed 1', /is missing/],
    ['-m cluster --cluster-local-node 1 --cluster-hash-seed 1', /"--cluster-total-nodes" must be specified/],
    [
      '-m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed 1',
      /must be <= `--cluster-total-nodes'/,
    ],
    ['-m cluster --cluster-total-nodes 2 --cluster-local-nodemask 4 --cluster-hash-seed 1', /too big/],
    [
      '-m cluster --cluster-total-nodes 4 --cluster-local-nodemask 33 --cluster-hash-seed 1',
      /out of range \(1-32\)/,
    ],
    [
      '-m cluster --cluster-total-nodes 2 --cluster-local-nodes 1 --cluster-hash-seed 1',
      /unknown option|ambiguous/,
    ],
  ];
  for (const [text, re, chain] of cases)
    assert.match(refused(`${text} -j ACCEPT`, chain ?? 'INPUT'), re, text);
});

test('time: the parser keeps what the kernel stores (u8 weekdays, 2-char monthdays, normalised dates)', () => {
  // From the kernel here: `--weekdays 8` saves as an empty list, `--monthdays 100` as 10,
  // `--datestart 2020-00-00` as 2019-11-30.
  assert.equal(
    save('-m time --weekdays 8 -j ACCEPT'),
    '-A INPUT -m time --weekdays  --datestop 2038-01-19T03:14:07 -j ACCEPT',
  );
  assert.equal(
    save('-m time --monthdays 100 -j ACCEPT'),
    '-A INPUT -m time --monthdays 10 --datestop 2038-01-19T03:14:07 -j ACCEPT',
  );
  assert.equal(
    save('-m time --datestart 2020-00-00 -j ACCEPT'),
    '-A INPUT -m time --datestart 2019-11-30T00:00:00 --datestop 2038-01-19T03:14:07 -j ACCEPT',
  );
  assert.equal(list('-m time --datestop 1970-01-01 -j ACCEPT'), ' TIME until date UTC');
  assert.equal(save('-m time --datestop 1970-01-01 -j ACCEPT'), '-A INPUT -m time -j ACCEPT');
});

// 2026-12-01T09:00:00Z is a Tuesday (date -u -d @1796115600 +%a).
const TUE_0900 = 1796115600;

function timeSkb(at: number, epoch: number | null = TUE_0900): Skb {
  const buf = buildTcpPacket(
    { src: 0x0a000005, dst: 0xc0000201, id: 1, ttl: 64, tos: 0 },
    { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );
  const s = new Skb().load(buf, 0, 'eth0', '');
  s.env = { ...(epoch !== null ? { epoch } : {}) } as unknown as XtEnv;
  s.now = at;
  return s;
}

function timeAt(text: string, at: number, epoch?: number): boolean {
  const r = rule(`-m time ${text} -j ACCEPT`);
  return ruleMatches(r, timeSkb(at, epoch ?? TUE_0900), newRuleState(r));
}

test('time: daytime, weekdays, monthdays and dates on the scenario clock (xt_time.c time_mt)', () => {
  assert.equal(timeAt('--timestart 09:00 --timestop 17:00', 0), true);
  assert.equal(timeAt('--timestart 09:00 --timestop 17:00', 8 * 3600), true); // 17:00:00 is inside
  assert.equal(timeAt('--timestart 09:00 --timestop 17:00', 8 * 3600 + 1), false);
  assert.equal(timeAt('--timestart 09:00:01 --timestop 17:00', 0), false);
  assert.equal(timeAt('--weekdays Tue', 0), true);
  assert.equal(timeAt('--weekdays Mon,Wed', 0), false);
  assert.equal(timeAt('! --weekdays Tue', 0), false);
  assert.equal(timeAt('--weekdays Wed', 15 * 3600), true); // Wednesday 00:00
  assert.equal(timeAt('--monthdays 1', 0), true);
  assert.equal(timeAt('--monthdays 2', 0), false);
  assert.equal(timeAt('--monthdays 2', 15 * 3600), true);
  assert.equal(timeAt('--datestart 2026-12-01T09:00:01', 0), false);
  assert.equal(timeAt('--datestart 2026-12-01T09:00:01', 1), true);
  assert.equal(timeAt('--datestop 2026-12-01T09:00:00', 0), true);
  assert.equal(timeAt('--datestop 2026-12-01T09:00:00', 1), false);
  // Across midnight: 22:00-02:00 on Tuesdays. Wednesday 01:00 is outside unless --contiguous
  // counts it to Tuesday; Tuesday 01:00 is inside without --contiguous, outside with it.
  const wed0100 = 16 * 3600;
  const tue0100 = -8 * 3600;
  assert.equal(timeAt('--timestart 22:00 --timestop 02:00 --weekdays Tue', wed0100), false);
  assert.equal(timeAt('--timestart 22:00 --timestop 02:00 --weekdays Tue --contiguous', wed0100), true);
  assert.equal(timeAt('--timestart 22:00 --timestop 02:00 --weekdays Tue', tue0100), true);
  assert.equal(timeAt('--timestart 22:00 --timestop 02:00 --weekdays Tue --contiguous', tue0100), false);
  assert.equal(timeAt('--timestart 22:00 --timestop 02:00', 12 * 3600), false); // 21:00
  // --kerneltz: natbox's hosts never set sys_tz, so the kernel's zone is UTC.
  assert.equal(timeAt('--timestart 09:00 --timestop 09:30 --kerneltz', 0), true);
});

test('time: without an epoch the match is refused at evaluation and the trace says why', () => {
  const r = rule('-m time --timestart 09:00 -j ACCEPT');
  const s = timeSkb(0, null);
  assert.equal(ruleMatches(r, s, newRuleState(r)), false);
  assert.match(describeMismatch(r, ruleMismatch(r, s), s), /the scenario gives no epoch/);
  const t = timeSkb(12 * 3600);
  const r2 = rule('-m time --timestart 09:00 --timestop 17:00 -j ACCEPT');
  assert.equal(ruleMatches(r2, t, newRuleState(r2)), false);
  assert.equal(
    describeMismatch(r2, ruleMismatch(r2, t), t),
    "-m time did not match (the packet's time is 2026-12-01 21:00:00 UTC, Tue)",
  );
});

test('time: monthdayOf agrees with the calendar over 1970-2106', () => {
  for (let d = 0; d < 50000; d += 7)
    assert.equal(monthdayOf(d), new Date(d * 86400000).getUTCDate(), String(d));
});

test('engine: the matches natbox cannot simulate are refused by name', () => {
  const cases: [string, string, RegExp][] = [
    ['-m cpu --cpu 0', 'cpu', /which CPU/],
    ['-p tcp -m osf --genre Linux', 'osf', /fingerprints/],
    ['-m realm --realm 1', 'realm', /realm/],
    ['-m nfacct --nfacct-name x', 'nfacct', /nfacct/],
    ['-m ipvs --ipvs', 'ipvs', /IPVS/],
    ['-m cgroup --cgroup 1', 'cgroup', /cgroup/],
    ['-m rateest --rateest foo --rateest-gt --rateest-bps 1', 'rateest', /estimators/],
  ];
  for (const [text, name, why] of cases) {
    const chain = name === 'cgroup' ? 'OUTPUT' : 'INPUT';
    const m = rule(`${text} -j ACCEPT`, 'filter', chain).matches.at(-1)!;
    const msg = checkMatch(m, { env: true, clock: true, linkLayer: true, owner: true });
    assert.ok(msg?.startsWith(`match "${name}" is read and printed but natbox cannot simulate it: `), msg);
    assert.match(msg!, why);
  }
  const t = rule('-m time --timestart 09:00 -j ACCEPT').matches[0]!;
  assert.equal(checkMatch(t, { env: true, clock: true }), undefined);
});

// -m rateest: the kernel here loads each once two RATEEST estimators (foo, bar) exist; natbox does not
// read -j RATEEST yet, so these come from a hand run in a namespace (iptables -S and -L -n -v):
const RATEEST: [string, string, string][] = [
  [
    '-m rateest --rateest foo --rateest-bps 1000 --rateest-gt -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 1000bit -j ACCEPT',
    ' rateest match foo bps 125 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 1000 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 1000bit -j ACCEPT',
    ' rateest match foo bps 125 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-lt --rateest-pps 10 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-lt --rateest-pps 10 -j ACCEPT',
    ' rateest match foo pps lt 10',
  ],
  [
    '-m rateest --rateest foo ! --rateest-eq --rateest-pps 10 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo ! --rateest-eq --rateest-pps 10 -j ACCEPT',
    ' rateest match foo pps ! eq 10',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 10mbit -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 10000Kbit -j ACCEPT',
    ' rateest match foo bps 1250000 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 1.5kbit -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 1496bit -j ACCEPT',
    ' rateest match foo bps 187 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 2Gbit -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 2000Mbit -j ACCEPT',
    ' rateest match foo bps 250000000 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps1 --rateest-bps2 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 0bit -j ACCEPT',
    ' rateest match foo bps 0 gt',
  ],
  [
    '-m rateest --rateest1 foo --rateest2 bar --rateest-gt --rateest-bps -j ACCEPT',
    '-A INPUT -m rateest --rateest1 foo --rateest-gt --rateest-bps --rateest2 bar -j ACCEPT',
    ' rateest match foo bps gt bar bps',
  ],
  [
    '-m rateest --rateest1 foo --rateest2 bar --rateest-lt --rateest-pps -j ACCEPT',
    '-A INPUT -m rateest --rateest1 foo --rateest-lt --rateest-pps --rateest2 bar -j ACCEPT',
    ' rateest match foo pps lt bar pps',
  ],
  [
    '-m rateest --rateest1 foo --rateest2 bar --rateest-lt --rateest-bps --rateest-pps -j ACCEPT',
    '-A INPUT -m rateest --rateest1 foo --rateest-lt --rateest-bps --rateest-lt --rateest-pps --rateest2 bar -j ACCEPT',
    ' rateest match foo bps pps lt bar bps pps',
  ],
  [
    '-m rateest --rateest-delta --rateest1 foo --rateest-bps1 100kbit --rateest2 bar --rateest-bps2 200kbit --rateest-gt -j ACCEPT',
    '-A INPUT -m rateest --rateest-delta --rateest1 foo --rateest-bps1 100000bit --rateest-gt --rateest-bps2 200000bit --rateest2 bar -j ACCEPT',
    ' rateest match foo delta bps 12500 gt bar bps 25000',
  ],
  [
    '-m rateest --rateest-delta --rateest1 foo --rateest-pps1 5 --rateest2 bar --rateest-pps2 7 --rateest-lt -j ACCEPT',
    '-A INPUT -m rateest --rateest-delta --rateest1 foo --rateest-pps1 5 --rateest-lt --rateest-pps2 7 --rateest2 bar -j ACCEPT',
    ' rateest match foo delta pps 5 lt bar pps 7',
  ],
  [
    '-m rateest --rateest-delta --rateest foo --rateest-bps1 1000 --rateest-bps2 2000 --rateest-eq -j ACCEPT',
    '-A INPUT -m rateest --rateest-delta --rateest foo --rateest-bps1 1000bit --rateest-eq --rateest-bps2 2000bit -j ACCEPT',
    ' rateest match foo delta bps 125 250 eq',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-lt --rateest-bps 1 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-lt --rateest-bps 0bit -j ACCEPT',
    ' rateest match foo bps 0 lt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-pps 0x10 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-pps 16 -j ACCEPT',
    ' rateest match foo pps gt 16',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 1000 --rateest-pps 5 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 1000bit --rateest-gt --rateest-pps 5 -j ACCEPT',
    ' rateest match foo bps 125 gt pps gt 5',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 0 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 0bit -j ACCEPT',
    ' rateest match foo bps 0 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 8000000000 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 8000Mbit -j ACCEPT',
    ' rateest match foo bps 1000000000 gt',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 12345 -j ACCEPT',
    '-A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 12344bit -j ACCEPT',
    ' rateest match foo bps 1543 gt',
  ],
  [
    '-m rateest --rateest-delta --rateest1 foo --rateest-bps1 --rateest2 bar --rateest-bps2 --rateest-gt -j ACCEPT',
    '-A INPUT -m rateest --rateest-delta --rateest1 foo --rateest-bps1 0bit --rateest-gt --rateest-bps2 0bit --rateest2 bar -j ACCEPT',
    ' rateest match foo delta bps 0 gt bar bps 0',
  ],
  [
    '-m rateest --rateest foo --rateest-gt --rateest-bps 1000 --rateest2 bar -j ACCEPT',
    '-A INPUT -m rateest --rateest1 foo --rateest-gt --rateest-bps --rateest2 bar -j ACCEPT',
    ' rateest match foo bps gt bar bps',
  ],
  [
    '-m rateest --rateest-delta --rateest foo --rateest-gt --rateest-bps 1000 -j ACCEPT',
    '-A INPUT -m rateest --rateest-delta --rateest foo --rateest-bps1 0bit --rateest-gt --rateest-bps2 1000bit -j ACCEPT',
    ' rateest match foo delta bps 0 125 gt',
  ],
];

test('rateest: save and list forms equal the kernel run (optional rates, units, modes, delta)', () => {
  for (const [cmd, saved, listed] of RATEEST) {
    assert.equal(save(cmd), saved, cmd);
    assert.equal(list(cmd).trimEnd(), listed, cmd);
  }
  // Refused by iptables 1.8.9 or by the kernel's checkentry (EINVAL), here too.
  assert.ok(
    !loadRulesText('iptables -A INPUT -m rateest --rateest foo --rateest-bps 1000 -j ACCEPT', 't').ok,
    '-m rateest --rateest foo --rateest-bps 1000 -j ACCEPT',
  );
  assert.ok(
    !loadRulesText('iptables -A INPUT -m rateest --rateest foo --rateest-gt -j ACCEPT', 't').ok,
    '-m rateest --rateest foo --rateest-gt -j ACCEPT',
  );
  assert.ok(
    !loadRulesText('iptables -A INPUT -m rateest --rateest-gt --rateest-bps 1000 -j ACCEPT', 't').ok,
    '-m rateest --rateest-gt --rateest-bps 1000 -j ACCEPT',
  );
  assert.ok(!loadRulesText('iptables -A INPUT -m rateest -j ACCEPT', 't').ok, '-m rateest -j ACCEPT');
  assert.ok(
    !loadRulesText(
      'iptables -A INPUT -m rateest --rateest foo --rateest-gt --rateest-bps 1xbit -j ACCEPT',
      't',
    ).ok,
    '-m rateest --rateest foo --rateest-gt --rateest-bps 1xbit -j ACCEPT',
  );
  assert.ok(
    !loadRulesText(
      'iptables -A INPUT -m rateest --rateest foo ! --rateest-bps 1000 --rateest-gt -j ACCEPT',
      't',
    ).ok,
    '-m rateest --rateest foo ! --rateest-bps 1000 --rateest-gt -j ACCEPT',
  );
  assert.ok(
    !loadRulesText('iptables -A INPUT -m rateest --rateest1 foo --rateest2 bar --rateest-gt -j ACCEPT', 't')
      .ok,
    '-m rateest --rateest1 foo --rateest2 bar --rateest-gt -j ACCEPT',
  );
  // An estimator that does not exist (ENOENT in the kernel) is an object natbox cannot see: read.
  assert.ok(
    loadRulesText('iptables -A INPUT -m rateest --rateest nosuch --rateest-gt --rateest-bps 1000', 't').ok,
  );
});

test('forms the kernel loads but whose iptables-save output iptables cannot read back (kernel run by hand)', () => {
  assert.equal(
    save('-m time --weekdays 8 -j ACCEPT'),
    '-A INPUT -m time --weekdays  --datestop 2038-01-19T03:14:07 -j ACCEPT',
  );
  assert.equal(list('-m time --weekdays 8 -j ACCEPT'), ' TIME on  UTC');
  assert.equal(
    save('-m time --monthdays 0 -j ACCEPT'),
    '-A INPUT -m time --monthdays  --datestop 2038-01-19T03:14:07 -j ACCEPT',
  );
  assert.equal(
    save(
      '-m cluster --cluster-total-nodes 32 --cluster-local-node 32 --cluster-hash-seed 0xffffffff -j ACCEPT',
    ),
    '-A INPUT -m cluster --cluster-local-nodemask 0x80000000 --cluster-total-nodes 32 --cluster-hash-seed 0xffffffff -j ACCEPT',
  );
  assert.equal(save('-p tcp -m osf --genre "a b" -j ACCEPT'), '-A INPUT -p tcp -m osf --genre a b -j ACCEPT');
  assert.equal(list('-p tcp -m osf --genre "a b" -j ACCEPT'), ' OS fingerprint match a b');
});

// Measured on this kernel: two namespaces joined by a veth, 198.51.100.10-25 on one side sending a
// UDP datagram each to 198.51.100.1, which has one rule per node
// `-p udp -m cluster --cluster-total-nodes T --cluster-local-node N --cluster-hash-seed S -j NODE_N`
// and per-source counters in each NODE_N chain: the node (1-based) each source was counted under.
const CLUSTER_KERNEL: [number, number, string][] = [
  [0xdeadbeef, 2, '2 1 1 2 2 1 2 2 2 2 1 2 1 1 1 2'],
  [7, 5, '5 3 1 3 3 1 3 5 5 4 1 5 3 1 4 2'],
  [0, 3, '2 3 2 2 3 2 1 3 1 2 1 3 1 1 3 3'],
];

test('cluster: the node of each source is the one the kernel picks (jhash_1word, reciprocal_scale)', () => {
  for (const [seed, total, want] of CLUSTER_KERNEL) {
    const got: number[] = [];
    for (let n = 10; n <= 25; n++) got.push(clusterNode((0xc6336400 | n) >>> 0, seed, total) + 1);
    assert.equal(got.join(' '), want, `seed ${seed} total ${total}`);
  }
});
