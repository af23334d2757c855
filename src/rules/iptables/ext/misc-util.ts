// Value readers shared by the misc match extensions (cgroup, cpu, devgroup, realm, osf, cluster,
// ipvs): xtables' XTTYPE_UINT32 and xtables_parse_val_mask with iproute2's name files.
import type { Token } from '../lex.ts';
import type { ValueMask } from '../model.ts';
import { fail } from '../parse-util.ts';
import { cStrtoul } from './cstr.ts';
import { hex } from './ext.ts';

/** xtables_strtoui(s, NULL, .., min, max): base 0, no "-", the whole text. */
function strtoui(s: string, min: number, max: number): number | undefined {
  if (s.trimStart().startsWith('-')) return undefined;
  const r = cStrtoul(s, 0, 0);
  if (r.end === 0 || r.end !== s.length || r.value < min || r.value > max) return undefined;
  return r.value;
}

/** XTTYPE_UINT32 with its range (xtopt_parse_int): the error iptables gives. */
export function parseU32(t: Token, ext: string, name: string, min = 0, max = 0xffffffff): number {
  const v = strtoui(t.text, min, max);
  if (v === undefined) fail(t, `${ext}: bad value for option "--${name}", or out of range (${min}-${max}).`);
  return v!;
}

/**
 * The names of iproute2's files as Debian ships them (/etc/iproute2/group: `0 default`;
 * rt_realms: `0 cosmos`): iptables reads the host's files, natbox these defaults.
 */
export const DEVGROUP_NAMES: ReadonlyMap<number, string> = new Map([[0, 'default']]);
export const REALM_NAMES: ReadonlyMap<number, string> = new Map([[0, 'cosmos']]);

/** xtables_parse_val_mask: value[/mask] as numbers, or a name of `names` (then mask ~0). */
export function parseValMask(
  t: Token,
  ext: string,
  name: string,
  names: ReadonlyMap<number, string>,
): ValueMask {
  const s = t.text;
  const byName = (): ValueMask => {
    for (const [id, n] of names) if (n === s) return { value: id, mask: 0xffffffff };
    return fail(t, `${ext}: could not map name ${s} to an integer value for option "--${name}".`);
  };
  if (s.trimStart().startsWith('-')) return byName();
  const r = cStrtoul(s, 0, 0);
  if (r.end === 0 || r.value > 0xffffffff) return byName();
  if (r.end === s.length) return { value: r.value, mask: 0xffffffff };
  if (s[r.end] !== '/') return byName();
  const rest = s.slice(r.end + 1);
  const m = rest.trimStart().startsWith('-') ? undefined : cStrtoul(rest, 0, 0);
  if (!m || m.end === 0 || m.value > 0xffffffff) {
    return fail(t, `${ext}: bad integer value for option "--${name}", or out of range.`);
  }
  if (m.end !== rest.length) fail(t, `${ext}: trailing garbage after value for option "--${name}".`);
  return { value: r.value, mask: m!.value };
}

/** xtables_print_val_mask: ` 0xV/0xM`, or the name (when given names), or ` 0xV`. */
export function valMask(v: ValueMask, names: ReadonlyMap<number, string> | undefined): string {
  if (v.mask !== 0xffffffff) return ` ${hex(v.value)}/${hex(v.mask)}`;
  const n = names?.get(v.value);
  return n !== undefined ? ` ${n}` : ` ${hex(v.value)}`;
}
