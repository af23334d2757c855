// nftables' own rule tests (tests/py of nftables 1.0.6, test/rules/nft/py/README.md) against
// natbox's nft reader, issue 16. Every rule line is read in a table of each family its file names,
// in the file's first chain, with the file's sets and objects declared: natbox must take the
// rules nft's tests take (`;ok`) and refuse the ones they refuse (`;fail`), and list the rules
// it takes as the tests say nft lists them. The answers are the nftables developers', not ours;
// natbox does not agree with all of them yet, so the shares are held above floors that ratchet
// (measured below; never lower them). `NBX_PY_LIST=1` prints each disagreement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNftRules } from '../../../src/rules/load.ts';
import { printRuleset } from '../../../src/rules/nft/print.ts';

const DIR = fileURLToPath(new URL('./py/', import.meta.url));
/**
 * Measured 2026-12-03 (session 16): at first (after the option headers of exthdr.ts) 4,428 of
 * 5,070 cases agreed (87.3 %) and 2,907 of 4,253 rules both take listed alike (68.4 %, without
 * nft-test.py's `-s -p` listing and its set comparison); then, with `type time`, constant
 * operators in values (`0x11 xor 0x1331`), the ct event, dccp, igmp and mobility-header names
 * and the IPv6 extension headers' types, 4,633 (91.4 %) and 4,117 of 4,461 (92.3 %); then, with
 * NAT ports' transport check, `KEY:DATA` elements, value ranges, empty strings and log/fib option
 * checks, 4,777 (94.2 %) and 4,132 of 4,476 (92.3 %); then, with `limit rate N bytes / second` and
 * burst units, log level with nflog options, ct direction keys, dates and days, 4,833 (95.3 %)
 * and 4,162 of 4,506 (92.4 %); then, with time ranges, ranges the wrong way round and mark
 * prefixes, 4,854 (95.7 %) and 4,174 of 4,527 (92.2 %); then, with `!` on a bitmask
 * (`ct status ! dnat`), 4,857 (95.8 %) and 4,181 of 4,534 (92.2 %); then, with the value types of
 * `rt nexthop`, `rt ipsec`, `meta ipsec` and the ipsec addresses, 4,883 (96.3 %) and 4,201 of
 * 4,557 (92.2 %); then, with `meta nfproto` refused outside inet and IPv4 addresses as inet_aton
 * reads them (`ip saddr & 0xff == 1`), 4,893 (96.5 %) and 4,205 of 4,565 (92.1 %); then, with
 * IPv6 NAT prefixes and ranges in brackets, 4,898 (96.6 %) and 4,206 of 4,570 (92.0 %); then, with
 * tproxy's IPv6 forms and checks and dup's IPv6 address, 4,914 (96.9 %) and 4,211 of 4,581 (91.9 %: the rules natbox now
 * takes are not all listed as nft lists them yet, a printer matter).
 *
 * The printer, in parallel on the reader at 94.2 %: with the printer's classids, device
 * groups, user and group names as ids, folded xors, hex raw payloads, dscp, comp flags and socket
 * marks, and one-element concatenation sets kept in braces, 4,298 of 4,476 (96.0 %); then, with
 * `queue to 0`, `log flags all`, reject codes by name, `ipsec in reqid` without `spnum 0` and
 * `fib … oif != 0`, 4,321 (96.5 %); then, with the dependencies nft lists without them (`meta
 * iiftype ether`, `ether type 8021q` before vlan, TCP before `reject with tcp reset`) and reject's
 * ICMP type after a network protocol, 4,357 (97.3 %); then, with flag masks as nft lists them
 * (`tcp flags syn`, `tcp flags & syn == syn`, `tcp flags != syn / fin,syn`, `syn | ack` in
 * sets), 4,393 (98.1 %); then, with ranges of named types as numbers and
 * dependencies kept past a statement that is not a match, 4,399 (98.3 %); then, with NAT
 * address prefixes and the family of NAT maps to intervals, 4,402 (98.3 %); then, with `meta
 * l4proto ipv6-icmp` dropped before icmpv6 and packet-too-big before `icmpv6 mtu`, 4,398 (98.3 %;
 * `tcp flags ! syn` is not printed yet: natbox's reader does not take it back).

 * Both together: 4,914 of 5,070 agree (96.9 %) and 4,477 of 4,581 list alike (97.7 %).
 *
 * Session 17 (checked against the real nft 1.0.6 here, test/rules/nft/nft-c-leftovers.test.ts):
 * with IPv6 set elements cut as nft's scanner cuts them, `srh sid[N]`, `reset tcp option`, raw
 * tcp options, meters and ct expectation objects, 4,942 (97.5 %) and 4,505 of 4,609 (97.7 %);
 * then, with IPv6 NAT and tproxy addresses in brackets, time ranges in seconds, flag masks (`X !
 * M`, full masks) and prefix masks, 4,545 (98.6 %); then, with ct addresses taking the table's or
 * a `meta nfproto`'s family, `meta protocol ip` dropped in ip tables, `rt ip nexthop` and `meta
 * ipsec`, 4,945 (97.5 %) and 4,552 (98.8 %); then, with conflicting protocol headers refused,
 * 4,947 (97.6 %); then, with queue numbers, ct labels, osf names, protocols and 0-bit raw
 * payloads checked against their range, 4,978 (98.2 %); then, with no gbytes (nft 1.0.6 has
 * none, and lists 2048 mbytes as such), 4,984 of 5,070 (98.3 %) and 4,552 of 4,609 (98.8 %).
 *
 * Session 19 (each checked against the real nft 1.0.6 here, nft-c-leftovers.test.ts): with each
 * element of a set and the value of a `set` statement checked against the field's range, and the
 * conflicts of a set of transport protocols, of a VLAN header after the link layer's protocol
 * and of a ct address of the other family, 5,018 of 5,070 (99.0 %); then, with named sets of
 * another address type and reject's protocol checks, 5,038 (99.4 %); then, with queue's fanout
 * and `to` forms, osf's ttl words, negation after a binary operation, the bridge's meta keys
 * outside bridge and `rt nexthop` without a family in inet, 5,063 (99.9 %); then, with ICMP
 * fields of another type, tproxy's and NAT's family against the network header and `rt ip6
 * nexthop` in ip, 5,067 (99.94 %: of the three left, two are refused by tests/py and taken by
 * the real nft 1.0.6 here, `fib daddr . oif type local`; one is an IPv4 NAT address after `ip6
 * daddr` in inet, nft's "Could not resolve hostname").
 */
const AGREE_FLOOR = 0.999;
// Session 19: with nft's payload merge order (payload-merge.ts), ct protocol without a direction
// and tests/py's `{ a, b}` compared as nft prints it, `{ a, b }`: 4,581 of 4,609 (99.4 %).
// Session 20: with raw payloads as nft lists them back (raw-payload.ts: masks, header fields,
// `th dport`, values past 2^53), bridge/netdev's `ether type` dependency dropped and the payload
// merge of network and transport fields there: 4,592 (99.6 %).
const LISTED_FLOOR = 0.996;

interface Case {
  readonly file: string;
  readonly family: string;
  readonly text: string;
  readonly ok: boolean;
  readonly rule: string;
  readonly listed: string;
  readonly chainSpec: string;
}

/** The cases of one .t file, as tests/py/nft-test.py builds them. */
function cases(file: string, body: string): Case[] {
  const chains = new Map<string, string>();
  const tables: { family: string; name: string; chain: string }[] = [];
  const decls: string[] = [];
  const out: Case[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#') || line.startsWith('-')) continue;
    if (line.startsWith(':')) {
      const [name, spec] = line.slice(1).split(';');
      chains.set(name!, spec!);
    } else if (line.startsWith('*')) {
      const [family, name, cs] = line.slice(1).split(';');
      tables.push({ family: family!, name: name!, chain: cs!.split(',')[0]! });
    } else if (line.startsWith('!')) {
      // `!NAME type T [. T…] [timeout X] [flags F];ok` (nft-test.py set_process).
      const [spec, res] = line.slice(1).split(';');
      if (res !== 'ok') continue;
      const w = spec!.split(' ');
      let type = w[2]!;
      let i = 3;
      for (; w[i] === '.'; i += 2) type += ` . ${w[i + 1]}`;
      let extra = '';
      if (w[i] === 'timeout') {
        extra += ` timeout ${w[i + 1]};`;
        i += 2;
      }
      if (w[i] === 'flags') extra += ` flags ${w[i + 1]};`;
      decls.push(`\t${type.includes(' : ') ? 'map' : 'set'} ${w[0]} { type ${type};${extra} }`);
    } else if (line.startsWith('%')) {
      // `%NAME type KIND SPEC;ok` or with a `{ … }` spec (nft-test.py obj_process).
      const brace = line.lastIndexOf('}');
      const [spec, res] =
        brace < 0 ? line.slice(1).split(';') : [line.slice(1, brace + 1), line.slice(brace + 2)];
      if (res !== 'ok') continue;
      const w = spec!.split(' ');
      const ct = w[2] === 'ct';
      const kind = ct ? `ct ${w[3]}` : w[2]!;
      const rest = w.slice(ct ? 4 : 3).join(' ');
      decls.push(`\t${kind} ${w[0]} ${rest.startsWith('{') ? rest : `{ ${rest} }`}`);
    } else if (!line.startsWith('?')) {
      const [rule, res, listed] = line.split(';');
      if (res === undefined || !['ok', 'fail'].includes(res.trim())) continue;
      for (const tb of tables) {
        const chainSpec = chains.get(tb.chain)!;
        const text = `table ${tb.family} ${tb.name} {\n${decls.map((d) => `${d}\n`).join('')}\tchain ${tb.chain} {\n\t\t${chainSpec};\n\t\t${rule}\n\t}\n}\n`;
        out.push({
          file,
          family: tb.family,
          text,
          ok: res.trim() === 'ok',
          rule: rule!,
          listed: (listed ?? rule!).trim(),
          chainSpec,
        });
      }
    }
  }
  return out;
}

/**
 * nft-test.py's set_check_element: a listing with an anonymous set is the same when the text
 * before the first `{` and after the first `}` is, and the elements are, in any order, spaces
 * aside.
 */
function sameSetElements(want: string, got: string): boolean {
  const [p1, p2] = [want.indexOf('{'), got.indexOf('{')];
  const [e1, e2] = [want.indexOf('}'), got.indexOf('}')];
  if (p1 < 0 || p2 < 0 || e1 < 0 || e2 < 0 || want.slice(0, p1) !== got.slice(0, p2)) return false;
  const elems = (s: string, a: number, b: number): string =>
    s
      .slice(a + 1, b)
      .replace(/ /g, '')
      .split(',')
      .sort()
      .join(',');
  return elems(want, p1, e1) === elems(got, p2, e2) && want.slice(e1) === got.slice(e2);
}

test("nftables' own tests/py: natbox reads and lists their rules as nft 1.0.6 does, above the floors", () => {
  const all = readdirSync(DIR)
    .filter((f) => f.endsWith('.t'))
    .sort()
    .flatMap((f) => cases(f, readFileSync(DIR + f, 'utf8')));
  let agree = 0;
  let both = 0;
  let listedSame = 0;
  const say = process.env['NBX_PY_LIST'] === '1';
  for (const c of all) {
    const r = loadNftRules(
      c.text.split('\n').map((t, i) => ({ text: t, file: c.file, line: i + 1, column: 1 })),
      { wholeFile: true },
    );
    if (r.ok === c.ok) agree++;
    else if (say)
      console.log(
        `${c.file} [${c.family}] ${c.rule}: tests ${c.ok ? 'take' : 'refuse'} it; natbox ${r.ok ? 'takes it' : r.diagnostics[0]!.message}`,
      );
    if (!(r.ok && c.ok)) continue;
    both++;
    // The rule's lines in natbox's listing, printed as nft-test.py lists (`nft -s -p`): those after
    // the chain's `type …` line.
    const lines = printRuleset(r.ruleset, { stateless: true, numericProto: true }).split('\n');
    const k = lines.findIndex((l, i) => l.startsWith('\t\ttype ') && lines[i - 1]!.startsWith('\tchain '));
    const got = lines
      .slice(k + 1)
      .filter((l) => l.startsWith('\t\t'))
      .map((l) => l.trim())
      .join(' | ');
    // tests/py writes some listings with `{ a, b}` where nft 1.0.6 prints `{ a, b }` (checked here:
    // `icmp id 22` lists as `icmp type { echo-reply, echo-request } icmp id 22`): braces compare
    // with their spaces evened out, and a listing with a set compares its elements in any order.
    const even = (t: string): string => t.replace(/\{\s*/g, '{ ').replace(/\s*\}/g, ' }');
    const want = even(c.listed);
    if (got === want || (want.includes('{') && sameSetElements(want, got))) listedSame++;
    else if (say) console.log(`${c.file} [${c.family}] ${c.rule}: lists as ${c.listed}; natbox: ${got}`);
  }
  const agreeShare = agree / all.length;
  const listedShare = listedSame / Math.max(both, 1);
  console.log(
    `nftables tests/py: ${all.length} cases, ${agree} agree (${(100 * agreeShare).toFixed(1)} %); ` +
      `${listedSame} of ${both} taken by both list alike (${(100 * listedShare).toFixed(1)} %)`,
  );
  assert.ok(all.length > 5000, `only ${all.length} cases read`);
  assert.ok(
    agreeShare >= AGREE_FLOOR,
    `agreement ${(100 * agreeShare).toFixed(1)} % < ${100 * AGREE_FLOOR} %`,
  );
  assert.ok(
    listedShare >= LISTED_FLOOR,
    `listing ${(100 * listedShare).toFixed(1)} % < ${100 * LISTED_FLOOR} %`,
  );
});
