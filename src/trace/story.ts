// The trace as numbered steps in words, as the seed tells hairpin NAT: the client builds the first
// packet, sends it to its gateway, the NAT box rewrites it (or not), the server answers, the answer
// comes back (or takes another path), and the client accepts or rejects it. In English or in
// Brazilian Portuguese (the seed's own language and vocabulary: "caixa NAT", "tabela de
// mapeamento", "gateway"). The steps follow the flow's first packet and its answer hop by hop
// through the TraceDoc (sequence.ts pairs the hops); what came after is summed up in one step.
import type { FrameInfo } from './frame.ts';
import type { TraceDoc, TraceFlow, TraceStep } from './model.ts';
import { ruleTarget, wireHops, type Hop } from './sequence.ts';

export type StoryLang = 'en' | 'pt-BR';
export const STORY_LANGS: readonly StoryLang[] = ['en', 'pt-BR'];

export interface StoryOptions {
  lang?: StoryLang;
}

type NatStep = Extract<TraceStep, { kind: 'nat' }>;
type PacketStep = Extract<TraceStep, { kind: 'packet' }>;

/** What happened to a packet at one host it reached. */
interface Leg {
  hop: Hop;
  host: string;
  /** The packet as it arrived. */
  packet: FrameInfo;
  nat: NatStep[];
  rules: string[];
  routed: boolean;
  sockets: Extract<TraceStep, { kind: 'socket' }>[];
  drops: string[];
  /** Index of the `out` step carrying the packet on, when the host passed it on. */
  next?: number;
  /** The packet as it left. */
  out?: FrameInfo;
}

/** The IP packet, whatever the Ethernet header (a bridge's own view may show other MACs). */
const ipKey = (p: FrameInfo): string => `${p.ttl ?? ''} ${p.summary}`;

const end = (p: FrameInfo, side: 'src' | 'dst'): string => {
  const ip = side === 'src' ? p.src : p.dst;
  const port = side === 'src' ? p.sport : p.dport;
  return port !== undefined && (p.proto === 'tcp' || p.proto === 'udp') ? `${ip}:${port}` : `${ip}`;
};

const tupleOf = (p: FrameInfo): string =>
  p.proto === 'icmp' && p.icmp?.id !== undefined
    ? `${p.src} id ${p.icmp.id} > ${p.dst} id 0`
    : `${end(p, 'src')} > ${end(p, 'dst')}`;

const split = (t: string): [string, string] => {
  const [a = '', b = ''] = t.split(' > ');
  return [a.replace(/ id 0$/, ''), b.replace(/ id 0$/, '')];
};
const ipOf = (e: string): string => e.replace(/[: ].*$/, '');
const portOf = (e: string): string | undefined => /:(\d+)$/.exec(e)?.[1];

/** How long a host may hold a packet while it resolves the next hop with ARP (seconds). */
const WAIT = 1;

/** Follows a packet from the `out` step at `outIndex`, host by host, until a host keeps it. */
function follow(doc: TraceDoc, hops: Hop[], outIndex: number): Leg[] {
  const legs: Leg[] = [];
  const hopIns = new Set(hops.map((h) => h.inIndex));
  let i = outIndex;
  for (let guard = 0; guard < 32; guard++) {
    const o = doc.steps[i] as PacketStep;
    const key = ipKey(o.packet);
    const hop = hops.find(
      (h) => h.from === o.host && h.outIndex >= i && h.t === o.t && ipKey(h.packet) === key,
    );
    if (!hop) break;
    const leg: Leg = {
      hop,
      host: hop.to,
      packet: hop.packet,
      nat: [],
      rules: [],
      routed: false,
      sockets: [],
      drops: [],
    };
    legs.push(leg);
    const tIn = doc.steps[hop.inIndex]!.t;
    let want = tupleOf(hop.packet);
    // The host decides at once (same virtual time); the packet may leave later, once ARP has
    // resolved its next hop, with other packets handled in between.
    let deciding = true;
    // The rule or policy that dropped or rejected the packet, named when the host drops it.
    let stop: string | undefined;
    for (let j = hop.inIndex + 1; j < doc.steps.length; j++) {
      const s = doc.steps[j]!;
      if (s.t > tIn + WAIT) break;
      if (s.host !== hop.to) continue;
      if (s.t !== tIn) deciding = false;
      if (s.kind === 'packet') {
        if (s.dir === 'in' && hopIns.has(j) && s.packet.proto !== 'arp') deciding = false;
        if (s.dir === 'out' && s.packet.proto === hop.packet.proto && tupleOf(s.packet) === want) {
          if (s.packet.proto !== 'tcp' || s.packet.flags === hop.packet.flags) {
            leg.next = j;
            leg.out = s.packet;
            break;
          }
        }
        continue;
      }
      if (!deciding) continue;
      if (s.kind === 'nat' && s.by !== 'null-binding' && s.before === want) {
        leg.nat.push(s);
        want = s.after;
      } else if (s.kind === 'rule' && s.table === 'nat') leg.rules.push(`${s.table} ${s.chain} ${s.index}`);
      else if (s.kind === 'rule') {
        leg.rules.push(`${s.table} ${s.chain} ${s.index}: ${ruleTarget(s.rule)}`);
        if (/(^| )-j (DROP|REJECT)( |$)/.test(s.rule))
          stop = `${s.table} ${s.chain} rule ${s.index}: ${s.rule}`;
      } else if (s.kind === 'policy' && s.policy !== 'ACCEPT')
        stop = `${s.table} ${s.chain}: no rule matched, policy ${s.policy}`;
      else if (s.kind === 'route' && (s.decision === 'forward' || s.decision === 'flowtable'))
        leg.routed = true;
      else if (s.kind === 'socket') leg.sockets.push(s);
      else if (s.kind === 'drop') leg.drops.push(stop ? `${s.reason} (${stop})` : s.reason);
    }
    if (leg.next === undefined) break;
    i = leg.next;
  }
  return legs;
}

/** The words of one language. */
interface Words {
  flow(f: TraceFlow): string;
  build(what: string, from: string, to: string): string;
  toGateway(sender: string, dst: string, gw: string, gwHost: string, first: boolean): string;
  direct(sender: string, dst: string, owner: string | undefined, first: boolean): string;
  natForward(l: {
    host: string;
    first: boolean;
    dnat?: [string, string];
    snat?: [string, string];
    port?: 'kept' | [string, string];
    routed: boolean;
    next: string;
    dst: string;
    srcUnchanged?: string;
  }): string;
  unNat(host: string, tuple: string, src: string, dst: string, routed: boolean, next: string): string;
  forward(host: string, next: string, dst: string): string;
  bridge(host: string, next: string): string;
  dropped(host: string, reason: string): string;
  lost(host: string): string;
  answer(server: string, what: string, from: string, to: string): string;
  answerWhy(changedBy: string | undefined, to: string, toHost: string | undefined): string;
  noAnswer(server: string): string;
  accept(client: string, from: string): string;
  refused(client: string, from: string): string;
  reject(client: string, from: string, expected: string, rst: boolean): string;
  takeAnyway(client: string, from: string, expected: string): string;
  goesOn(nat: string | undefined): string;
  retries(syns: number, timeout: number): string;
  waits(timeout: number): string;
  verdict(f: TraceFlow): string;
  what(p: FrameInfo, first: boolean): string;
}

const tcpWhat = (flags: string | undefined, en: boolean): string => {
  switch (flags) {
    case 'S':
      return 'TCP SYN';
    case 'S.':
      return 'SYN-ACK';
    case 'R':
    case 'R.':
      return 'RST';
    default:
      return en ? `TCP [${flags}]` : `TCP [${flags}]`;
  }
};

const en: Words = {
  flow: (f) =>
    `Flow "${f.name}": ${f.from} ${f.proto.toUpperCase()}${f.sport !== undefined ? ` from port ${f.sport}` : ''} to ${f.to}`,
  what: (p, first) =>
    p.proto === 'tcp'
      ? tcpWhat(p.flags, true)
      : p.proto === 'udp'
        ? first
          ? 'a UDP datagram'
          : 'a UDP datagram'
        : p.icmp?.type === 0
          ? 'ICMP echo reply'
          : p.icmp?.type === 8
            ? 'ICMP echo request'
            : `ICMP type ${p.icmp?.type}`,
  build: (what, from, to) =>
    `The client builds the first packet (${what}) addressed to ${to}, from ${from}. It expects the answer to carry the same addresses and ports, swapped: from ${to} to ${from}.`,
  toGateway: (sender, dst, gw, gwHost, first) =>
    first
      ? `${dst} is not on the client's own network, so the client sends the packet to its gateway, ${gw}: ${gwHost}.`
      : `${sender} looks ${dst} up in its routing table and sends the packet to its gateway, ${gw}: ${gwHost}.`,
  direct: (sender, dst, owner, first) =>
    `${first ? 'The client' : sender} looks ${dst} up in its routing table: it is on its own network, so it sends the packet straight to ${dst}${owner ? ` (${owner})` : ''}.`,
  natForward: (l) => {
    const changes: string[] = [];
    if (l.dnat) changes.push(`the destination from ${l.dnat[0]} to ${l.dnat[1]}`);
    if (l.snat) changes.push(`the source from ${l.snat[0]} to ${l.snat[1]}`);
    let port = '';
    if (l.port === 'kept')
      port = ' The source port stays as it was: it changes only when needed to tell connections apart.';
    else if (l.port)
      port = ` The source port changes from ${l.port[0]} to ${l.port[1]}, to tell this connection from another one that already uses ${l.port[0]}.`;
    const how = l.routed
      ? `looks the new destination ${l.dst} up in its routing table and sends the packet to ${l.next}`
      : `passes the packet on to ${l.next}`;
    const unchanged = l.srcUnchanged ? ` The source address stays unchanged (${l.srcUnchanged}).` : '';
    return `${l.host}, the NAT box, receives the packet and, following its nat table, changes ${changes.join(' and ')}; it records the mapping in its conntrack table, ${how}.${port}${unchanged}`;
  },
  unNat: (host, tuple, src, dst, routed, next) =>
    `${host} looks the packet's (source IP, source port, destination IP, destination port) = (${tuple}) up in its NAT mapping table and translates it back: the source becomes ${src} and the destination ${dst}. It ${routed ? `looks ${ipOf(dst)} up in its routing table and sends` : 'passes'} the packet to ${next}.`,
  forward: (host, next, dst) =>
    `${host} looks ${dst} up in its routing table and forwards the packet, unchanged, to ${next}.`,
  bridge: (host, next) =>
    `${host} only bridges the frame (as a switch would, without looking at its addresses) on to ${next}.`,
  dropped: (host, reason) => `${host} drops the packet: ${reason}.`,
  lost: (host) => `The packet goes no further than ${host}.`,
  answer: (server, what, from, to) =>
    `${server} receives the packet and answers it (${what}), with source and destination swapped: from ${from} to ${to}.`,
  answerWhy: (changedBy, to, toHost) =>
    changedBy
      ? `Since ${changedBy} changed the source of the packet it received, the answer's destination is ${changedBy}'s address ${to}.`
      : `Since the source of the packet it received was not changed, the answer's destination is the client's own address ${to}${toHost ? ` (${toHost})` : ''}.`,
  noAnswer: (server) => `${server} receives the packet but does not answer it.`,
  accept: (client, from) => `${client} accepts the packet: it comes from ${from}, as expected.`,
  refused: (client, from) =>
    `${client} takes the RST from ${from} as a refusal: connect() fails with "connection refused".`,
  reject: (client, from, expected, rst) =>
    `${client} rejects the packet because its source address ${from} is not the one it expects (${expected})${rst ? '; its kernel answers it with RST' : ''}.`,
  takeAnyway: (client, from, expected) =>
    `${client}'s socket is not connected, so it takes the answer, although it comes from ${from} and not from ${expected}.`,
  goesOn: (nat) =>
    nat
      ? `The conversation goes on, every packet translated both ways by ${nat}.`
      : 'The conversation goes on.',
  retries: (syns, timeout) =>
    `The client retransmits its SYN (${syns} SYNs in all) and the same happens each time; connect() gives up after ${timeout} s.`,
  waits: (timeout) => `No answer the client takes comes back; it gives up after ${timeout} s.`,
  verdict: (f) =>
    `Verdict: ${f.verdict}${f.pass === undefined ? '' : f.pass ? ' (as expected)' : ` (NOT as expected: ${f.mismatches.join('; ')})`}.`,
};

const ptWhat = (p: FrameInfo): string =>
  p.proto === 'tcp'
    ? tcpWhat(p.flags, false).replace('TCP SYN', 'tcp syn').replace('SYN-ACK', 'syn-ack')
    : p.proto === 'udp'
      ? 'um datagrama UDP'
      : p.icmp?.type === 0
        ? 'ICMP echo reply'
        : p.icmp?.type === 8
          ? 'ICMP echo request'
          : `ICMP tipo ${p.icmp?.type}`;

const pt: Words = {
  flow: (f) =>
    `Fluxo "${f.name}": ${f.from} ${f.proto.toUpperCase()}${f.sport !== undefined ? ` da porta ${f.sport}` : ''} para ${f.to}`,
  what: (p) => ptWhat(p),
  build: (what, from, to) =>
    `O cliente cria o pacote inicial (${what}) e o endereça a ${to}, a partir de ${from}. O cliente espera obter uma resposta para este pacote com o IP/porta de origem e o IP/porta de destino trocados: de ${to} para ${from}.`,
  toGateway: (sender, dst, gw, gwHost, first) =>
    first
      ? `Como ${dst} não está na rede local do cliente, ele envia o pacote ao seu gateway, ${gw}. O gateway é a caixa NAT (${gwHost}).`
      : `${sender} procura ${dst} em sua tabela de roteamento e envia o pacote ao seu gateway, ${gw} (${gwHost}).`,
  direct: (sender, dst, owner, first) =>
    `${first ? 'O cliente' : `O servidor (${sender})`} procura ${dst} em sua tabela de roteamento: como está na sua rede local, envia o pacote diretamente para ${dst}${owner ? ` (${owner})` : ''}.`,
  natForward: (l) => {
    const changes: string[] = [];
    if (l.dnat) changes.push(`o IP de destino de ${l.dnat[0]} para ${l.dnat[1]}`);
    if (l.snat) changes.push(`o IP de origem de ${l.snat[0]} para ${l.snat[1]}`);
    let port = '';
    if (l.port === 'kept')
      port = ' A porta de origem não muda: ela só é modificada se necessário para desambiguar.';
    else if (l.port)
      port = ` A porta de origem muda de ${l.port[0]} para ${l.port[1]}, para desambiguar esta conexão de outra que já usa ${l.port[0]}.`;
    const how = l.routed
      ? `pesquisa o novo destino ${l.dst} em sua tabela de roteamento e envia o pacote para ${l.next}`
      : `passa o pacote para ${l.next}`;
    const unchanged = l.srcUnchanged ? ` O endereço de origem permanece inalterado (${l.srcUnchanged}).` : '';
    return `A caixa NAT (${l.host}) recebe o pacote e, seguindo as entradas na tabela NAT, modifica ${changes.join(' e ')}; estabelece uma entrada na tabela de mapeamento, ${how}.${port}${unchanged}`;
  },
  unNat: (host, tuple, src, dst, routed, next) =>
    `A caixa NAT (${host}) procura os detalhes do pacote (IP de origem, porta de origem, IP de destino, porta de destino) = (${tuple}) em suas tabelas de mapeamento NAT e executa uma conversão reversa: a origem passa a ser ${src} e o destino ${dst}. ${routed ? `Ela procura ${ipOf(dst)} em sua tabela de roteamento e envia` : 'Ela passa'} o pacote para ${next}.`,
  forward: (host, next, dst) =>
    `${host} procura ${dst} em sua tabela de roteamento e encaminha o pacote, sem modificá-lo, para ${next}.`,
  bridge: (host, next) =>
    `${host} apenas comuta o quadro na sua bridge (como um switch, sem olhar os endereços IP) e o passa para ${next}.`,
  dropped: (host, reason) => `${host} descarta o pacote: ${reason}.`,
  lost: (host) => `O pacote não vai além de ${host}.`,
  answer: (server, what, from, to) =>
    `O servidor (${server}) recebe o pacote inicial e cria uma resposta (${what}). Na resposta, o IP/porta de origem é trocado pelo IP/porta de destino: de ${from} para ${to}.`,
  answerWhy: (changedBy, to, toHost) =>
    changedBy
      ? `Como o IP de origem do pacote de entrada foi modificado pela caixa NAT (${changedBy}), o IP de destino da resposta é o IP da caixa NAT, ${to}.`
      : `Como o IP de origem do pacote de entrada não foi alterado, o IP de destino da resposta é o IP do cliente, ${to}${toHost ? ` (${toHost})` : ''}.`,
  noAnswer: (server) => `${server} recebe o pacote, mas não responde.`,
  accept: (client, from) => `O cliente (${client}) aceita o pacote: ele vem de ${from}, como esperado.`,
  refused: (client, from) =>
    `O cliente (${client}) recebe o RST de ${from} como uma recusa: connect() falha com "connection refused".`,
  reject: (client, from, expected, rst) =>
    `O cliente (${client}) rejeita o pacote porque o endereço de origem ${from} não corresponde ao esperado (${expected})${rst ? '; o kernel do cliente responde com RST' : ''}.`,
  takeAnyway: (client, from, expected) =>
    `O socket do cliente (${client}) não está conectado, então ele aceita a resposta, embora ela venha de ${from} e não de ${expected}.`,
  goesOn: (nat) =>
    nat
      ? `A comunicação continua com os pacotes de tradução NAT para frente e para trás (${nat}).`
      : 'A comunicação continua.',
  retries: (syns, timeout) =>
    `O cliente retransmite o seu tcp syn (${syns} no total) e o mesmo acontece a cada vez; connect() desiste depois de ${timeout} s.`,
  waits: (timeout) => `Nenhuma resposta que o cliente aceite chega; ele desiste depois de ${timeout} s.`,
  verdict: (f) =>
    `Veredito: ${f.verdict}${f.pass === undefined ? '' : f.pass ? ' (como esperado)' : ` (NÃO como esperado: ${f.mismatches.join('; ')})`}.`,
};

const WORDS: Record<StoryLang, Words> = { en, 'pt-BR': pt };

/** The numbered steps of one flow. */
export function flowStory(doc: TraceDoc, flow: TraceFlow, lang: StoryLang = 'en'): string[] {
  const w = WORDS[lang];
  const hops = wireHops(doc);
  const steps: string[] = [];
  // MAC → IP, from every ARP frame: says which next hop a packet was sent to.
  const macIp = new Map<string, string>();
  for (const s of doc.steps)
    if (s.kind === 'packet' && s.packet.proto === 'arp') macIp.set(s.packet.ether.src, s.packet.arp!.sender);

  const first = doc.steps.findIndex(
    (s) =>
      s.kind === 'packet' &&
      s.dir === 'out' &&
      s.host === flow.from &&
      s.t >= flow.at &&
      s.packet.proto === flow.proto &&
      (flow.proto === 'icmp'
        ? s.packet.dst === flow.to && s.packet.icmp?.type === 8
        : end(s.packet, 'dst') === flow.to && s.packet.sport === flow.sport),
  );
  if (first < 0) {
    steps.push(w.verdict(flow));
    return steps;
  }
  const p0 = (doc.steps[first] as PacketStep).packet;
  const from0 = end(p0, 'src');
  steps.push(w.build(w.what(p0, true), from0, flow.to));

  const natHosts: string[] = [];
  const describe = (legs: Leg[], sender: string): void => {
    legs.forEach((l, k) => {
      if (k === 0) {
        const gw = macIp.get(l.hop.packet.ether.dst);
        const dst = l.hop.packet.dst!;
        if (gw && gw !== dst) steps.push(w.toGateway(sender, dst, gw, l.host, sender === flow.from));
        else {
          // The owner of ${dst}: the host that keeps the packet, or that translates its destination.
          const owner = legs.find(
            (x) =>
              x.packet.dst === dst && (x.next === undefined || (x.out !== undefined && x.out.dst !== dst)),
          )?.host;
          steps.push(w.direct(sender, dst, owner, sender === flow.from));
        }
      }
      if (l.next === undefined) {
        if (l.drops.length > 0) steps.push(w.dropped(l.host, l.drops[0]!));
        return;
      }
      const next = legs[k + 1]?.host ?? '?';
      const nat = l.nat.filter((s) => s.by === 'rule');
      const mapped = l.nat.filter((s) => s.by === 'mapping');
      if (nat.length > 0) {
        if (!natHosts.includes(l.host)) natHosts.push(l.host);
        const d = nat.find((s) => s.manip === 'DNAT');
        const sn = nat.find((s) => s.manip === 'SNAT');
        const dnat: [string, string] | undefined = d
          ? [ipOf(split(d.before)[1]), ipOf(split(d.after)[1])]
          : undefined;
        const dnatPort = d && portOf(split(d.before)[1]) !== portOf(split(d.after)[1]);
        const snat: [string, string] | undefined = sn
          ? [ipOf(split(sn.before)[0]), ipOf(split(sn.after)[0])]
          : undefined;
        let port: 'kept' | [string, string] | undefined;
        if (sn) {
          const a = split(sn.before)[0];
          const b = split(sn.after)[0];
          const pa = portOf(a) ?? /id (\d+)/.exec(a)?.[1];
          const pb = portOf(b) ?? /id (\d+)/.exec(b)?.[1];
          if (pa && pb) port = pa === pb ? 'kept' : [pa, pb];
        }
        steps.push(
          w.natForward({
            host: l.host,
            first: true,
            ...(dnat ? { dnat: dnatPort ? [split(d!.before)[1], split(d!.after)[1]] : dnat } : {}),
            ...(snat ? { snat } : {}),
            ...(port ? { port } : {}),
            routed: l.routed,
            next,
            dst: l.out!.dst!,
            ...(d && !sn ? { srcUnchanged: end(l.out!, 'src') } : {}),
          }),
        );
      } else if (mapped.length > 0) {
        if (!natHosts.includes(l.host)) natHosts.push(l.host);
        const before = split(mapped[0]!.before);
        const tuple = [ipOf(before[0]), portOf(before[0]), ipOf(before[1]), portOf(before[1])]
          .filter((x) => x !== undefined)
          .join(', ');
        steps.push(w.unNat(l.host, tuple, end(l.out!, 'src'), end(l.out!, 'dst'), l.routed, next));
      } else if (l.routed) steps.push(w.forward(l.host, next, l.out!.dst!));
      else steps.push(w.bridge(l.host, next));
    });
  };

  const req = follow(doc, hops, first);
  describe(req, flow.from);
  const last = req[req.length - 1];
  let answered = false;
  if (last && last.next === undefined && last.drops.length === 0) {
    const server = last.host;
    const got = last.packet;
    const inT = doc.steps[last.hop.inIndex]!.t;
    const ans = doc.steps.findIndex(
      (s, j) =>
        j > last.hop.inIndex &&
        s.t <= inT + WAIT &&
        s.kind === 'packet' &&
        s.dir === 'out' &&
        s.host === server &&
        s.packet.src === got.dst &&
        s.packet.dst === got.src &&
        s.packet.proto === got.proto,
    );
    if (ans < 0) steps.push(w.noAnswer(server));
    else {
      const a = (doc.steps[ans] as PacketStep).packet;
      steps.push(w.answer(server, w.what(a, false), end(a, 'src'), end(a, 'dst')));
      const snatBy = [...req].reverse().find((l) => l.nat.some((s) => s.manip === 'SNAT'))?.host;
      const changedBy = got.src !== p0.src ? snatBy : undefined;
      steps.push(w.answerWhy(changedBy, a.dst!, changedBy ? undefined : flow.from));
      const back = follow(doc, hops, ans);
      describe(back, server);
      const home = back[back.length - 1];
      if (home && home.host === flow.from && home.next === undefined) {
        answered = true;
        const fromEnd = end(home.packet, 'src');
        const rejected = home.sockets.some((s) => s.event === 'unexpected-source');
        const rst = home.sockets.some((s) => s.event === 'rst-sent');
        if (flow.verdict === 'refused' && flow.proto === 'tcp') steps.push(w.refused(flow.from, fromEnd));
        else if (rejected && flow.verdict !== 'reply-from-unexpected-source')
          steps.push(w.reject(flow.from, fromEnd, flow.to, rst));
        else if (flow.verdict === 'reply-from-unexpected-source')
          steps.push(w.takeAnyway(flow.from, fromEnd, flow.to));
        else if (fromEnd === flow.to) steps.push(w.accept(flow.from, fromEnd));
      }
    }
  }
  if (flow.verdict === 'connected') steps.push(w.goesOn(natHosts.length ? natHosts.join(', ') : undefined));
  else if (flow.verdict === 'timeout' && flow.proto === 'tcp' && (flow.syns ?? 0) > 1)
    steps.push(w.retries(flow.syns!, flow.timeout));
  else if (flow.verdict === 'timeout' && !answered) steps.push(w.waits(flow.timeout));
  else if (flow.verdict === 'timeout') steps.push(w.waits(flow.timeout));
  steps.push(w.verdict(flow));
  return steps;
}

/** Every flow of the trace as numbered steps. */
export function renderStory(doc: TraceDoc, opts: StoryOptions = {}): string {
  const lang = opts.lang ?? 'en';
  const w = WORDS[lang];
  const out: string[] = [`${doc.scenario.name} (${doc.scenario.file})`, ''];
  for (const f of doc.flows) {
    out.push(w.flow(f));
    flowStory(doc, f, lang).forEach((s, i) => out.push(`${i + 1}. ${s}`));
    out.push('');
  }
  return out.join('\n');
}
