// Builds test/vectors/wire/kernel.json from the kernel reference captures: picks packets by frame
// number, strips the 20-byte LINUX_SLL2 header with natbox's own pcap reader, and asks tshark for
// the checksums it computes (an independent implementation) and its one-line summary.
// Run by hand: `node --import tsx test/wire/extract-vectors.ts [/path/to/reference/kernel]`.
// Not a test (no .test.ts): the captures are outside the repository; the JSON it writes is inside.
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINKTYPE_LINUX_SLL2, readPcap } from '../../src/wire/pcap.ts';

const root = process.argv[2] ?? fileURLToPath(new URL('../../../shared/reference/kernel', import.meta.url));
const out = join(import.meta.dirname, '../vectors/wire/kernel.json');

interface Pick {
  name: string;
  file: string;
  frame: number; // 1-based, as tshark and `tcpdump | cat -n` count
  what: string;
}

const picks: Pick[] = [
  {
    name: 'tcp-syn',
    file: 'wan-port-forward-tcp/wanh.pcap',
    frame: 3,
    what: 'TCP SYN with MSS, SACK-permitted, timestamps, NOP, window scale',
  },
  { name: 'tcp-syn-ack', file: 'wan-port-forward-tcp/wanh.pcap', frame: 4, what: 'TCP SYN-ACK with options' },
  {
    name: 'tcp-ack',
    file: 'wan-port-forward-tcp/wanh.pcap',
    frame: 5,
    what: 'TCP ACK with NOP, NOP, timestamps',
  },
  {
    name: 'tcp-psh-data',
    file: 'wan-port-forward-tcp/wanh.pcap',
    frame: 8,
    what: 'TCP PSH-ACK carrying 29 bytes',
  },
  { name: 'tcp-fin', file: 'wan-port-forward-tcp/wanh.pcap', frame: 10, what: 'TCP FIN-ACK' },
  {
    name: 'tcp-rst',
    file: 'hairpin-tcp-dnat-only/lanc.pcap',
    frame: 8,
    what: 'TCP RST (full checksum: made by the kernel, not offloaded)',
  },
  {
    name: 'udp',
    file: 'hairpin-udp-dnat-only/lanc.pcap',
    frame: 3,
    what: 'UDP datagram from a connect()ed socket',
  },
  {
    name: 'udp-reply',
    file: 'hairpin-udp-dnat-only/lanc.pcap',
    frame: 7,
    what: 'UDP reply from the LAN server',
  },
  { name: 'icmp-echo-request', file: 'masq-icmp/lanc.pcap', frame: 3, what: 'ICMP echo request, id 20306' },
  { name: 'icmp-echo-reply', file: 'masq-icmp/lanc.pcap', frame: 4, what: 'ICMP echo reply, id 20306' },
  {
    name: 'icmp-port-unreachable',
    file: 'hairpin-udp-dnat-only/lanc.pcap',
    frame: 8,
    what: 'ICMP port unreachable quoting the whole UDP reply',
  },
  {
    name: 'icmp-redirect',
    file: 'control-no-nat-redirect/box.pcap',
    frame: 9,
    what: 'ICMP redirect (host) quoting a TCP SYN',
  },
  {
    name: 'arp-request',
    file: 'masq-icmp/lanc.pcap',
    frame: 1,
    what: 'ARP request (no Ethernet header: SLL2 capture)',
  },
  { name: 'arp-reply', file: 'masq-icmp/lanc.pcap', frame: 2, what: 'ARP reply' },
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function tsharkFields(file: string, frame: number, fields: string[], occurrence = 'f'): string[] {
  const args = [
    '-r',
    file,
    '-o',
    'tcp.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
    '-Y',
    `frame.number == ${frame}`,
  ];
  args.push('-o', 'tcp.relative_sequence_numbers:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE');
  args.push('-T', 'fields', '-E', 'separator=|', '-E', `occurrence=${occurrence}`, '-E', 'aggregator=;');
  for (const f of fields) args.push('-e', f);
  return execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim()
    .split('|');
}

/** tcpdump's `-nn -S` line for the frame, without the timestamp and SLL2's interface/direction. */
function tcpdumpLine(file: string, frame: number): string {
  const lines = execFileSync('tcpdump', ['-nn', '-S', '-t', '-r', file], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString()
    .split('\n');
  return (lines[frame - 1] ?? '').slice(10);
}

/** tshark fields recorded per vector (every occurrence: ICMP errors have an inner IP header). */
const FIELDS = [
  'ip.version',
  'ip.hdr_len',
  'ip.dsfield',
  'ip.dsfield.dscp',
  'ip.dsfield.ecn',
  'ip.len',
  'ip.id',
  'ip.flags.rb',
  'ip.flags.df',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.ttl',
  'ip.proto',
  'ip.checksum',
  'ip.src',
  'ip.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.hdr_len',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.checksum',
  'tcp.urgent_pointer',
  'tcp.option_kind',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'tcp.len',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'udp.checksum',
  'icmp.type',
  'icmp.code',
  'icmp.checksum',
  'icmp.ident',
  'icmp.seq',
  'icmp.redir_gw',
  'arp.hw.type',
  'arp.proto.type',
  'arp.opcode',
  'arp.src.hw_mac',
  'arp.src.proto_ipv4',
  'arp.dst.hw_mac',
  'arp.dst.proto_ipv4',
];

const vectors = picks.map((p) => {
  const path = join(root, p.file);
  const r = readPcap(new Uint8Array(readFileSync(path)));
  if (!r.ok || r.value.linktype !== LINKTYPE_LINUX_SLL2) throw new Error(`${path}: not an SLL2 pcap`);
  const pkt = r.value.packets[p.frame - 1];
  if (pkt === undefined) throw new Error(`${path}: no frame ${p.frame}`);
  const proto = (pkt.data[0]! << 8) | pkt.data[1]!;
  const body = pkt.data.subarray(20);
  const [tcpCalc, udpCalc, udpStatus, tcpStatus, icmpStatus, info] = tsharkFields(path, p.frame, [
    'tcp.checksum_calculated',
    'udp.checksum_calculated',
    'udp.checksum.status',
    'tcp.checksum.status',
    'icmp.checksum.status',
    '_ws.col.Info',
  ]);
  const tshark: Record<string, string> = { info: info ?? '' };
  if (tcpCalc) tshark.tcpChecksumCalculated = tcpCalc;
  if (udpCalc) tshark.udpChecksumCalculated = udpCalc;
  if (tcpStatus) tshark.tcpChecksumStatus = tcpStatus === '1' ? 'good' : 'bad';
  if (udpStatus) tshark.udpChecksumStatus = udpStatus === '1' ? 'good' : 'bad';
  if (icmpStatus) tshark.icmpChecksumStatus = icmpStatus === '1' ? 'good' : 'bad';
  const fields: Record<string, string[]> = {};
  const values = tsharkFields(path, p.frame, FIELDS, 'a');
  FIELDS.forEach((f, i) => {
    const v = values[i];
    if (v) fields[f] = v.split(';');
  });
  return {
    name: p.name,
    what: p.what,
    origin: `kernel capture: /shared/reference/kernel/${p.file} packet ${p.frame} (LINUX_SLL2 header stripped)`,
    layer: proto === 0x0806 ? 'arp' : 'ipv4',
    hex: hex(body),
    tcpdump: tcpdumpLine(path, p.frame),
    tshark,
    fields,
  };
});

writeFileSync(
  out,
  JSON.stringify(
    {
      about:
        'Real packets from a Linux 6.18 kernel (veth, network namespaces), as tcpdump -i any captured them. ' +
        'TCP and UDP sent by a local socket carry CHECKSUM_PARTIAL: the field holds the pseudo-header sum, ' +
        'not the checksum, and tshark calls it bad; tshark.*ChecksumCalculated is the value it should have.',
      vectors,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${vectors.length} vectors to ${out}`);
