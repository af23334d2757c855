// Conntrack zones (include/net/netfilter/nf_conntrack_zones.h): a zone is an id and the directions
// it applies to. nf_ct_zone_id(zone, dir) is the id for a tuple of that direction when the zone
// covers it, else the default zone 0; each tuple of an entry is hashed and compared with its own
// direction's id. natbox keeps that pair as one number, the zone key:
//   nf_ct_zone_id(zone, ORIGINAL) | nf_ct_zone_id(zone, REPLY) << 16
// 0 is the default zone (and any zone whose id is 0). The table stores the key per entry; a packet
// carries a template word (skb.ctZone) that the CT target or nft's `ct zone set` attached before
// conntrack, as xt_CT and nft_ct attach a template conntrack (nf_ct_tmpl_alloc).

/** NF_CT_ZONE_DIR_ORIG, NF_CT_ZONE_DIR_REPL, NF_CT_DEFAULT_ZONE_DIR (both). */
export const NF_CT_ZONE_DIR_ORIG = 1;
export const NF_CT_ZONE_DIR_REPL = 2;
export const NF_CT_DEFAULT_ZONE_DIR = 3;

/** A template word: this bit says a template is attached (id 0 included), as skb->_nfct does. */
export const CT_TMPL = 1 << 24;
/** NF_CT_FLAG_MARK: the id is the packet's mark (its low 16 bits) when conntrack looks it up. */
export const CT_TMPL_MARK = 1 << 25;

/**
 * The template word for a zone: `id` (0..65535), `dir` NF_CT_ZONE_DIR_* (0 means both, as xt_CT's
 * `if (!zone.dir) zone.dir = NF_CT_DEFAULT_ZONE_DIR`), `mark`: the id comes from the packet's mark.
 */
export function ctTemplate(id: number, dir: number, mark: boolean): number {
  const d = dir & NF_CT_DEFAULT_ZONE_DIR || NF_CT_DEFAULT_ZONE_DIR;
  return (CT_TMPL | (mark ? CT_TMPL_MARK : 0) | (d << 16) | (id & 0xffff)) >>> 0;
}

/**
 * The zone key conntrack looks a packet up in: from its template word and its mark
 * (nf_ct_zone_tmpl: with NF_CT_FLAG_MARK, nf_ct_zone_init(tmp, skb->mark, dir, 0)). 0 without a
 * template.
 */
export function zoneKeyOf(tmpl: number, mark: number): number {
  if (tmpl === 0) return 0;
  const id = tmpl & CT_TMPL_MARK ? mark & 0xffff : tmpl & 0xffff;
  const dir = (tmpl >>> 16) & NF_CT_DEFAULT_ZONE_DIR;
  return ((dir & NF_CT_ZONE_DIR_ORIG ? id : 0) | ((dir & NF_CT_ZONE_DIR_REPL ? id : 0) << 16)) >>> 0;
}

/** nf_ct_zone_id(zone, dir) of a zone key. */
export const zoneIdOf = (key: number, dir: number): number => (key >>> (dir << 4)) & 0xffff;

/**
 * zone->id of a zone key (whichever direction carries it): find_best_ips_proto mixes it into the
 * address hash, `ct zone` without a direction loads it.
 */
export const zoneRawId = (key: number): number => (key & 0xffff) | (key >>> 16);

/** The zone as the tools print it: `zone`, `zone-orig` or `zone-reply` and its id, or undefined for 0. */
export function zoneParts(key: number): {
  readonly zone?: number;
  readonly orig?: number;
  readonly reply?: number;
} {
  const o = key & 0xffff;
  const r = key >>> 16;
  if (o === r) return o === 0 ? {} : { zone: o };
  if (r === 0) return { orig: o };
  if (o === 0) return { reply: r };
  // Two different ids cannot come from one zone; shown as the tools would show both tuples'.
  return { orig: o, reply: r };
}

/**
 * nft_ct_set_zone_eval (`ct [original|reply] zone set V`): a packet with no conntrack and no
 * template gets a template of zone V (its low 16 bits) in those directions; an untracked packet
 * too (nf_ct_get sees no conntrack there), which makes it tracked again.
 */
export function nftSetZone(
  skb: { ct: number; ctZone: number },
  value: number,
  dir: 'original' | 'reply' | undefined,
): void {
  if (skb.ct >= 0 || skb.ctZone !== 0) return;
  const d = dir === 'original' ? NF_CT_ZONE_DIR_ORIG : dir === 'reply' ? NF_CT_ZONE_DIR_REPL : 0;
  skb.ct = -1;
  skb.ctZone = ctTemplate(value & 0xffff, d, false);
}

/** nft_ct_get_eval's NFT_CT_ZONE: the direction's zone id, or zone->id without a direction. */
export function nftZoneLoad(key: number, dir: 'original' | 'reply' | undefined): number {
  return dir === 'original' ? zoneIdOf(key, 0) : dir === 'reply' ? zoneIdOf(key, 1) : zoneRawId(key);
}
