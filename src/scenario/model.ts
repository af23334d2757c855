// The scenario model: what a scenario file (YAML) says, validated, with the position of every
// value so later stages can point at the file. load.ts builds it; build.ts turns it into a sim
// Topology and flows. Addresses stay as text here; they were checked when loaded.
import type { SourceLoc } from '../rules/iptables/model.ts';
import type { FlowProto, Verdict } from '../sim/flows.ts';

/** A value and where it was written. */
export interface At<T> {
  readonly value: T;
  readonly loc: SourceLoc;
}

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  /** The wall-clock time of simulation time 0, seconds since 1970 UTC (`epoch:`), for -m time. */
  readonly epoch?: number;
  /**
   * `verify:` natbox verify's settings: `arp: false` leaves the ARP comparison out of the result
   * (reported only), for a scenario whose ARP the kernel decides at random (say why in the file).
   */
  readonly verify?: { readonly arp?: boolean };
  readonly hosts: readonly HostSpec[];
  readonly links: readonly LinkSpec[];
  readonly flows: readonly FlowSpec[];
  /** Commands run on hosts at given times (`events:`), in file order. */
  readonly events?: readonly EventSpec[];
}

/** `- { at: 1.25, host: r, run: "iptables -A FORWARD -p udp -j DROP" }` (sim/events.ts). */
export interface EventSpec {
  /** Seconds after the start of the run. */
  readonly at: At<number>;
  readonly host: At<string>;
  /** One command line, as a shell would read it. */
  readonly run: At<string>;
  readonly loc: SourceLoc;
  /** `nft -f FILE`: the file's lines as read when the scenario was loaded (includes in place). */
  readonly input?: readonly At<string>[];
}

export interface HostSpec {
  readonly name: At<string>;
  /** Physical (veth-like) interfaces, in file order. */
  readonly interfaces: readonly InterfaceSpec[];
  /** Linux bridges on this host; their ports are names from `interfaces`. */
  readonly bridges: readonly BridgeSpec[];
  /** `ip route` syntax, e.g. `default via 192.168.1.1`, `10.0.0.0/8 dev eth1 src 10.0.0.1`. */
  readonly routes: readonly At<string>[];
  /** sysctl name → value as written (numbers as strings), e.g. net.ipv4.ip_forward → "1". */
  readonly sysctls: ReadonlyMap<string, At<string>>;
  /** Rules as the user typed them: iptables commands, an iptables-save block, or nftables. */
  readonly rules?: RulesSpec;
  /** ipset sets for `-m set`, as `ipset save` writes them (`create NAME TYPE`, `add NAME ENTRY`). */
  readonly ipsets?: RulesSpec;
  /** Sockets listening: TCP and UDP servers. */
  readonly listen: readonly ListenSpec[];
  /** `ip rule add` arguments, e.g. `fwmark 0x2 lookup 200` (absent: Linux's default rules). */
  readonly ipRules?: readonly At<string>[];
  /** Table names (`rt_tables:`, as /etc/iproute2/rt_tables): name → id, e.g. wan2 → 200. */
  readonly rtTables?: ReadonlyMap<string, At<number>>;
  /**
   * Queue listeners (`queues: { 0: accept }`): the verdict a userspace program on each netfilter
   * queue gives every packet queued to it (nft `queue`, iptables NFQUEUE). A queue not named has
   * no listener.
   */
  readonly queues?: ReadonlyMap<number, At<'accept' | 'drop'>>;
  /**
   * nftables rules beside iptables ones (`nft:`; same forms as `rules:`). A `rules:` written in
   * nftables is nftables too (build.ts tells the languages apart): a host has one nft ruleset.
   */
  readonly nft?: RulesSpec;
}

export interface InterfaceSpec {
  readonly name: At<string>;
  /** `a.b.c.d/len`, first is primary. */
  readonly addresses: readonly At<string>[];
  /** `xx:xx:xx:xx:xx:xx`; generated from the host and interface when absent. */
  readonly mac?: At<string>;
  readonly mtu?: At<number>;
  /** The device group (`ip link set DEV group N`), for -m devgroup. */
  readonly group?: At<number>;
}

export interface BridgeSpec {
  readonly name: At<string>;
  readonly ports: readonly At<string>[];
  readonly addresses: readonly At<string>[];
  readonly mac?: At<string>;
  /** The kernel's STP on this bridge (stp_state 1), with its settings; absent: no STP. */
  readonly stp?: StpSpec;
}

/** `stp: true` or `stp: { priority, forward_delay, hello_time, max_age }` (seconds). */
export interface StpSpec {
  readonly priority: number;
  readonly forwardDelay: number;
  readonly helloTime: number;
  readonly maxAge: number;
  readonly loc: SourceLoc;
}

export interface RulesSpec {
  /** One entry per line of rule text, each with the position of its first character. */
  readonly lines: readonly At<string>[];
}

export interface ListenSpec {
  readonly proto: At<'tcp' | 'udp'>;
  readonly port: At<number>;
  readonly loc: SourceLoc;
  /** `{ bind: a.b.c.d }`: listens on that address of the host only (absent: 0.0.0.0). */
  readonly bind?: At<string>;
  /** `{ reply_port: N }` (UDP): answers from a second socket bound to bind:N. */
  readonly replyPort?: At<number>;
  /** `{ ftp: true }` (TCP): an FTP server (stack/ftp.ts), passive data connections on port 50021. */
  readonly ftp?: At<boolean>;
  /** `{ close_first: true }` (TCP): the server closes each connection after its answer (active close). */
  readonly closeFirst?: At<boolean>;
  /** `{ transparent: true }`: IP_TRANSPARENT, for TPROXY (core/tproxy.ts). */
  readonly transparent?: At<boolean>;
}

/** An L2 segment: two endpoints make a point-to-point link (a veth pair), more make a switch. */
export interface LinkSpec {
  readonly name?: At<string>;
  readonly endpoints: readonly At<{ readonly host: string; readonly iface: string }>[];
  readonly loc: SourceLoc;
}

/** What a flow expects: one of the verdicts a flow gets (sim/flows.ts), older aliases included. */
export type Expectation = Verdict;
export type { FlowProto };

export interface FlowSpec {
  readonly name: At<string>;
  readonly from: At<string>; // host name
  readonly proto: At<FlowProto>;
  readonly dst: At<string>; // IPv4 address
  readonly dport?: At<number>;
  readonly sport?: At<number>;
  /** ICMP echo identifier (ICMP flows only; conntrack treats it as the port). */
  readonly icmpId?: At<number>;
  /** Seconds after the start of the run. */
  readonly at: At<number>;
  /** Seconds the client waits (connect timeout, or how long it waits for a reply). */
  readonly timeout: At<number>;
  /** How long the client holds an established connection before closing it (seconds). */
  readonly hold?: At<number>;
  /** UDP only: false for an unconnected socket, which takes a reply from any source (default true). */
  readonly udpConnect?: At<boolean>;
  /** UDP datagrams / ICMP echoes sent (sequence 1..count; default 1). */
  readonly count?: At<number>;
  /** Seconds between datagrams/echoes: i is sent at i*interval, or when the wait for i-1 ended. */
  readonly interval?: At<number>;
  readonly expect?: {
    readonly verdict?: At<Expectation>;
    /** `ip:port` the server should see the connection come from. */
    readonly serverSees?: At<string>;
    /** `ip:port` the flow's source should be after the NATs it crosses (from conntrack). */
    readonly translatedSource?: At<string>;
  };
  readonly loc: SourceLoc;
  /** Payload bytes: UDP datagram, ICMP echo data, TCP line (padded with '-', ending in a newline); 0..8000. */
  readonly size?: At<number>;
  /** IP_MTU_DISCOVER: true DO (DF), false DONT (no DF); absent: the default (WANT). */
  readonly df?: At<boolean>;
  /** SO_MARK on the client's socket (0..0xffffffff): its packets carry it from the first one. */
  readonly mark?: At<number>;
  /** The address the client's socket is bound to (TCP/UDP with sport; ICMP: the raw socket). */
  readonly src?: At<string>;
  /** IP_TTL (1..255). */
  readonly ttl?: At<number>;
  /** IP_TOS (0..255). */
  readonly tos?: At<number>;
  /** IP_OPTIONS: the options' bytes in hex (udp flows; only NOP, EOL and router alert). */
  readonly ipOptions?: At<string>;
  /** TCP_MAXSEG before connect() (88..65535). */
  readonly mss?: At<number>;
  /**
   * TCP: SO_KEEPALIVE, with TCP_KEEPIDLE (idle, s), TCP_KEEPINTVL (interval, s) and TCP_KEEPCNT
   * (count) where given (else the sysctls net.ipv4.tcp_keepalive_time, _intvl, _probes).
   */
  readonly keepalive?: At<{ readonly idle?: number; readonly interval?: number; readonly count?: number }>;
  /** UDP: the datagram is a TFTP read request (RRQ `natbox`, octet); the answer gets ACK block 1. */
  readonly tftp?: At<boolean>;
  /** TCP: an FTP session (stack/ftp.ts), PASV (`passive`) or PORT (`active`), RETR of `size` bytes. */
  readonly ftp?: At<'passive' | 'active'>;
  /** esp and ah flows: the Security Parameters Index of the datagram (default 0). */
  readonly spi?: At<number>;
}
