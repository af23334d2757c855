// Per-function instructions and cache misses of a callgrind run made with --dump-instr=yes on a
// node run with --perf-basic-prof: each instruction address is looked up in V8's symbol file
// (/tmp/perf-PID.map), so that JIT code is named by its JavaScript function (`*name` optimised,
// `^name` baseline, `~name` interpreted). Usage: node scripts/cg-funcs.mjs CG_OUT PERF_MAP PACKETS
// Prints the top functions, per packet: Ir, D1 misses, LL misses.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [cgFile, mapFile, packetsArg] = process.argv.slice(2);
const n = Number(packetsArg);
const maps = readFileSync(mapFile, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => {
    const [a, s, ...name] = l.split(' ');
    return { lo: parseInt(a, 16), hi: parseInt(a, 16) + parseInt(s, 16), name: name.join(' ') };
  })
  .sort((x, y) => x.lo - y.lo);
const nameOf = (addr, fn) => {
  let lo = 0;
  let hi = maps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (maps[mid].lo <= addr) lo = mid + 1;
    else hi = mid - 1;
  }
  const m = maps[hi];
  return m !== undefined && addr < m.hi ? m.name : `C:${fn}`;
};
let events = [];
const fnNames = new Map();
let fn = '';
const pos = [0, 0];
let skip = false;
const totals = new Map();
const sub = (tok, i) =>
  tok === '*' ? pos[i] : tok[0] === '+' || tok[0] === '-' ? pos[i] + Number(tok) : Number(tok);
for (const line of readFileSync(cgFile, 'utf8').split('\n')) {
  const c = line[0];
  if (c === undefined || c === '#') continue;
  if ((c >= '0' && c <= '9') || c === '+' || c === '-' || c === '*') {
    const t = line.split(' ');
    pos[0] = sub(t[0], 0);
    pos[1] = sub(t[1], 1);
    if (skip) {
      skip = false; // a call's inclusive cost
      continue;
    }
    const name = nameOf(pos[0], fn);
    let v = totals.get(name);
    if (v === undefined) totals.set(name, (v = new Array(events.length).fill(0)));
    for (let i = 2; i < t.length; i++) v[i - 2] += Number(t[i]);
  } else if (line.startsWith('events:')) events = line.slice(7).trim().split(' ');
  else if (line.startsWith('calls=')) skip = true;
  else if (line.startsWith('fn=')) {
    const m = /^fn=(\(\d+\))\s*(.*)$/.exec(line);
    if (m === null) fn = line.slice(3);
    else {
      if (m[2] !== '') fnNames.set(m[1], m[2]);
      fn = fnNames.get(m[1]) ?? m[1];
    }
  }
}
const ix = (e) => events.indexOf(e);
const get = (v, e) => (ix(e) >= 0 ? v[ix(e)] : 0);
const rows = [...totals]
  .sort((a, b) => get(b[1], 'Ir') - get(a[1], 'Ir'))
  .slice(0, Number(process.env.TOP ?? 12));
for (const [name, v] of rows) {
  const ir = get(v, 'Ir') / n;
  if (ir < 0.5) break;
  const d1 = (get(v, 'D1mr') + get(v, 'D1mw')) / n;
  const ll = (get(v, 'DLmr') + get(v, 'DLmw')) / n;
  process.stdout.write(
    `${ir.toFixed(1).padStart(8)} Ir ${d1.toFixed(2).padStart(6)} D1 ${ll.toFixed(2).padStart(6)} LL  ${name}\n`,
  );
}
