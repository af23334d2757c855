// The scripts natbox refuses and what it says of each: test/rules/script.test.ts checks the
// loader's diagnostics, test/cli/scripts.test.ts the CLI's exit 2 and standard error.

const HINT =
  'natbox reads iptables commands, NAME=value and $NAME, set -e, && and ||; run the script on a Linux box (or in a network namespace) and give natbox its "iptables-save" output instead';

/** Each script natbox refuses, with its one error (file:line:column), for a file named fw.sh. */
export const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['for i in 1 2; do iptables -A INPUT -j ACCEPT; done', `fw.sh:1:1: "for" is not read: ${HINT}`],
  ['#!/bin/sh\nif true; then\n  iptables -A INPUT\nfi', `fw.sh:2:1: "if" is not read: ${HINT}`],
  ['set -e\nwhile read x; do :; done', `fw.sh:2:1: "while" is not read: ${HINT}`],
  ['fw() { iptables -A INPUT; }', `fw.sh:1:3: a subshell or function "(…)" is not read: ${HINT}`],
  [
    'iptables -A INPUT -s $(cat /etc/blocked) -j DROP',
    `fw.sh:1:22: command substitution "$(…)" is not read: ${HINT}`,
  ],
  ['iptables -A INPUT -s `cat x` -j DROP', `fw.sh:1:22: command substitution "\`…\`" is not read: ${HINT}`],
  [
    'iptables -A INPUT -m comment --comment "a $(b)" -j DROP',
    `fw.sh:1:43: command substitution "$(…)" is not read: ${HINT}`,
  ],
  ['iptables-save | grep -v DROP', `fw.sh:1:15: a pipe "|" is not read: ${HINT}`],
  ['iptables -A INPUT -j DROP &', `fw.sh:1:27: a command run in the background ("&") is not read: ${HINT}`],
  [
    'iptables -A INPUT -s $1 -j DROP',
    `fw.sh:1:22: the special parameter "$1" is not known before the script runs: ${HINT}`,
  ],
  [
    'iptables -A INPUT -s ${NET%/*} -j DROP',
    `fw.sh:1:22: the expansion "\${NET%/*}" is not read (only \${NAME}, \${NAME:-word} and \${NAME-word}): ${HINT}`,
  ],
  [
    'set -u\niptables -A INPUT -i $WAN -j DROP',
    'fw.sh:2:22: variable "WAN" is not set in this script (set -u: sh stops here): natbox knows only the NAME=value lines before this one; set it in the script, or run the script first and give natbox its "iptables-save" output',
  ],
  ['modprobe nf_nat_ftp', `fw.sh:1:1: "modprobe" is not an iptables command: ${HINT}`],
  [
    'IPT=iptables $IPT -A INPUT',
    `fw.sh:1:1: a variable set for one command only ("NAME=value command") is not read: ${HINT}`,
  ],
  [
    'iptables -A INPUT -j DROP > /tmp/log',
    `fw.sh:1:27: the redirection "> /tmp/log" is not read (only to /dev/null, 2>&1 and >&2): ${HINT}`,
  ],
  [
    'iptables-restore < /etc/iptables/rules.v4',
    `fw.sh:1:18: "iptables-restore < /etc/iptables/rules.v4" reads another file: give natbox that file itself: ${HINT}`,
  ],
  ['[ -x /sbin/iptables ] || exit 0', `fw.sh:1:1: the test "[" is not read: ${HINT}`],
  ['set -e\ncase $1 in start) ;; esac', `fw.sh:2:1: "case" is not read: ${HINT}`],
  [
    'iptables -A INPUT -j DROP\nexit 1',
    'fw.sh:2:6: the script exits with status 1 here: sh would stop with an error',
  ],
  ['iptables -A INPUT -j DROP &&', 'fw.sh:1:27: "&&" without a command after it'],
  ['iptables -F; ; iptables -X', 'fw.sh:1:14: ";" without a command before it'],
  [
    'iptables-restore <<EOF\n*filter\n-A INPUT -j ACCEPT\nCOMMIT',
    'fw.sh:1:18: here-document "<<EOF" without its closing "EOF" line',
  ],
  [
    'iptables-restore --bogus <<EOF\n*filter\nCOMMIT\nEOF',
    'fw.sh:1:18: unsupported option "--bogus" of iptables-restore in a script',
  ],
  [
    'iptables-restore <<EOF\n*filter\n-A INPUT -j NOPE\nCOMMIT\nEOF',
    'fw.sh:3:13: unsupported target "NOPE" (no such target, and no chain "NOPE" in table "filter")',
  ],
];
