// The standard priority names of nft's base chains (nft(8) "CHAIN PRIORITIES"; src/rule.c
// std_prios / bridge_std_prios in nftables 1.0.6): their values in ip, ip6, inet, arp and netdev
// tables, and in bridge tables. Shared by the reader (names to numbers) and the printer (numbers
// back to names), which must not import each other.

export const PRIO_NAMES: Readonly<Record<string, number>> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
  out: 100,
};

export const bridgePrio: Readonly<Record<string, number>> = {
  dstnat: -300,
  filter: -200,
  out: 100,
  srcnat: 300,
};
