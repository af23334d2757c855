// The words of natbox check, in English and Brazilian Portuguese (as the story: --lang en|pt-BR).
// Each cause has a title and an explanation built from the facts found; the CLI's frame words too.
import type { CauseId } from './model.ts';

export type Lang = 'en' | 'pt-BR';

export type Facts = Readonly<Record<string, string>>;

type Text = (f: Facts) => string;

const CAUSES: Record<CauseId, Record<Lang, { title: Text; why: Text; cost?: Text }>> = {
  'hairpin-no-snat': {
    en: {
      title: (f) => `hairpin without SNAT: ${f.client} cannot reach ${f.to} from inside`,
      why: (f) =>
        `${f.router} DNATs ${f.to} to ${f.target} but keeps the source ${f.clientAddr}. ${f.server} ` +
        `is on the same network as ${f.client} and answers it directly from ${f.target}; the client ` +
        `expected ${f.to}, resets the answer and its connect() times out.`,
      cost: (f) =>
        `with SNAT ${f.server} sees ${f.routerAddr}, not the client's address; split DNS (the name ` +
        `resolving to ${f.targetAddr} inside) keeps the client's address and needs no hairpin.`,
    },
    'pt-BR': {
      title: (f) => `hairpin sem SNAT: ${f.client} não alcança ${f.to} de dentro`,
      why: (f) =>
        `${f.router} faz DNAT de ${f.to} para ${f.target} mas mantém a origem ${f.clientAddr}. ${f.server} ` +
        `está na mesma rede que ${f.client} e responde direto de ${f.target}; o cliente esperava ` +
        `${f.to}, rejeita a resposta com RST e o connect() expira.`,
      cost: (f) =>
        `com SNAT ${f.server} vê ${f.routerAddr}, não o endereço do cliente; DNS dividido (o nome ` +
        `resolvendo para ${f.targetAddr} dentro da rede) mantém o endereço do cliente e dispensa o hairpin.`,
    },
  },
  'no-reflection': {
    en: {
      title: (f) => `the forward of ${f.to} works only from outside: ${f.client} cannot use it`,
      why: (f) =>
        `The rule that forwards ${f.to} admits only traffic from ${f.side}. From inside, ${f.client}'s ` +
        `connection to ${f.to} is not translated and ${f.router} handles it itself: ${f.trace}`,
      cost: (f) =>
        `with SNAT ${f.server} sees ${f.routerAddr} for inside clients; split DNS keeps their addresses.`,
    },
    'pt-BR': {
      title: (f) => `o redirecionamento de ${f.to} só funciona de fora: ${f.client} não consegue usá-lo`,
      why: (f) =>
        `A regra que redireciona ${f.to} só aceita tráfego vindo de ${f.side}. De dentro, a conexão de ` +
        `${f.client} para ${f.to} não é traduzida e o próprio ${f.router} a trata: ${f.trace}`,
      cost: (f) =>
        `com SNAT ${f.server} vê ${f.routerAddr} para clientes internos; DNS dividido mantém os endereços deles.`,
    },
  },
  'forward-dropped': {
    en: {
      title: (f) =>
        f.outbound
          ? `${f.router}'s filter drops ${f.net}'s traffic to the outside (${f.to})`
          : `${f.router} forwards ${f.to} but its filter drops the traffic`,
      why: (f) =>
        f.outbound
          ? `The packet is forwarded, then ${f.decision}.`
          : `The address is translated, then ${f.decision}.`,
    },
    'pt-BR': {
      title: (f) =>
        f.outbound
          ? `o filtro de ${f.router} descarta o tráfego de ${f.net} para fora (${f.to})`
          : `${f.router} redireciona ${f.to} mas o filtro descarta o tráfego`,
      why: (f) =>
        f.outbound
          ? `O pacote é encaminhado, depois ${f.decision}.`
          : `O endereço é traduzido, depois ${f.decision}.`,
    },
  },
  'server-gateway': {
    en: {
      title: (f) => `${f.server}'s default gateway is not ${f.router}: its answers to ${f.to} go elsewhere`,
      why: (f) =>
        `${f.router} DNATs ${f.to} to ${f.target}; ${f.server} answers ${f.clientAddr} by ${f.route}, ` +
        `not through ${f.router}, so the answer is never translated back and the client never gets it.`,
    },
    'pt-BR': {
      title: (f) =>
        `o gateway padrão de ${f.server} não é ${f.router}: as respostas para ${f.to} vão para outro lugar`,
      why: (f) =>
        `${f.router} faz DNAT de ${f.to} para ${f.target}; ${f.server} responde ${f.clientAddr} por ${f.route}, ` +
        `sem passar por ${f.router}, então a resposta nunca é traduzida de volta e o cliente não a recebe.`,
    },
  },
  'no-listener': {
    en: {
      title: (f) => `nothing listens on ${f.target}/${f.proto}, where ${f.to} is forwarded`,
      why: (f) => `${f.targetWho} has no ${f.proto} socket on port ${f.targetPort}${f.listens}: ${f.trace}`,
    },
    'pt-BR': {
      title: (f) => `nada escuta em ${f.target}/${f.proto}, para onde ${f.to} é redirecionado`,
      why: (f) => `${f.targetWho} não tem socket ${f.proto} na porta ${f.targetPort}${f.listens}: ${f.trace}`,
    },
  },
  'rp-filter': {
    en: {
      title: (f) => `rp_filter on ${f.host} drops packets of ${f.to}: the reply path is asymmetric`,
      why: (f) => `${f.host} dropped a packet by its reverse path filter (${f.reason}).`,
    },
    'pt-BR': {
      title: (f) => `rp_filter em ${f.host} descarta pacotes de ${f.to}: o caminho de volta é assimétrico`,
      why: (f) => `${f.host} descartou um pacote pelo filtro de caminho reverso (${f.reason}).`,
    },
  },
  'snat-wrong-interface': {
    en: {
      title: (f) => `${f.kind} on the wrong interface: ${f.net} leaves ${f.wanDev} untranslated`,
      why: (f) =>
        `${f.rule} only applies to packets leaving by ${f.ruleOut}, but ${f.router} sends ${f.net}'s ` +
        `traffic to the outside by ${f.wanDev}; it leaves with the private source ${f.clientAddr} and no answer comes back.`,
    },
    'pt-BR': {
      title: (f) => `${f.kind} na interface errada: ${f.net} sai por ${f.wanDev} sem tradução`,
      why: (f) =>
        `${f.rule} só vale para pacotes que saem por ${f.ruleOut}, mas ${f.router} manda o tráfego de ${f.net} ` +
        `para fora por ${f.wanDev}; ele sai com a origem privada ${f.clientAddr} e nenhuma resposta volta.`,
    },
  },
  'wan-not-public': {
    en: {
      title: (f) =>
        `${f.router}'s WAN address ${f.addr} is ${f.kind}: forwards cannot work from the internet`,
      why: (f) =>
        `${f.addr} is in ${f.range}. Connections from the internet reach the upstream NAT's public ` +
        `address, not ${f.router}; the forwards here only work for hosts on the WAN segment.`,
    },
    'pt-BR': {
      title: (f) =>
        `o endereço WAN ${f.addr} de ${f.router} é ${f.kind}: redirecionamentos não funcionam da internet`,
      why: (f) =>
        `${f.addr} está em ${f.range}. Conexões da internet chegam ao endereço público do NAT acima, ` +
        `não a ${f.router}; os redirecionamentos daqui só valem para hosts do segmento WAN.`,
    },
  },
  'router-output-dnat': {
    en: {
      title: (f) => `${f.router}'s own connections to ${f.to} do not reach ${f.target}`,
      why: (f) =>
        `Packets the router sends itself skip nat PREROUTING, where the forward is; only a rule in nat OUTPUT catches them: ${f.trace}`,
    },
    'pt-BR': {
      title: (f) => `as conexões do próprio ${f.router} para ${f.to} não chegam a ${f.target}`,
      why: (f) =>
        `Pacotes que o roteador envia não passam por nat PREROUTING, onde está o redirecionamento; só uma regra em nat OUTPUT os pega: ${f.trace}`,
    },
  },
  'never-match': {
    en: {
      title: (f) => `a rule that can never match: ${f.rule}`,
      why: (f) => `${f.why}`,
    },
    'pt-BR': {
      title: (f) => `uma regra que nunca casa: ${f.rule}`,
      why: (f) => `${f.why}`,
    },
  },
  'stale-conntrack': {
    en: {
      title: (f) => `a stale conntrack entry keeps ${f.to} going to ${f.old} after the rule changed`,
      why: (f) =>
        `At ${f.at} s the rules changed to send ${f.to} to ${f.new}, but the live connection's entry ` +
        `(${f.entry}) keeps its old translation: new rules apply only to new connections.`,
    },
    'pt-BR': {
      title: (f) =>
        `uma entrada antiga do conntrack mantém ${f.to} indo para ${f.old} depois da mudança da regra`,
      why: (f) =>
        `Em ${f.at} s as regras passaram a mandar ${f.to} para ${f.new}, mas a entrada da conexão viva ` +
        `(${f.entry}) mantém a tradução antiga: regras novas só valem para conexões novas.`,
    },
  },
  exposure: {
    en: {
      title: (f) => `${f.to} is reachable from outside though ${f.router}'s INPUT policy is DROP`,
      why: (f) =>
        `${f.outside} connects to ${f.to}: the forward to ${f.target} goes through FORWARD, not INPUT, ` +
        `so the INPUT policy (ufw's "deny incoming") never sees it, and no rule written for it accepts it (${f.decision}).`,
    },
    'pt-BR': {
      title: (f) => `${f.to} é alcançável de fora embora a política INPUT de ${f.router} seja DROP`,
      why: (f) =>
        `${f.outside} conecta em ${f.to}: o redirecionamento para ${f.target} passa por FORWARD, não por INPUT, ` +
        `então a política de INPUT (o "deny incoming" do ufw) não o vê, e nenhuma regra escrita para ele o aceita (${f.decision}).`,
    },
  },
  unexplained: {
    en: { title: (f) => `${f.flow} fails`, why: (f) => f.trace ?? '' },
    'pt-BR': { title: (f) => `${f.flow} falha`, why: (f) => f.trace ?? '' },
  },
};

export function causeWords(
  cause: CauseId,
  lang: Lang,
  f: Facts,
): { title: string; why: string; cost?: string } {
  const w = CAUSES[cause][lang];
  return { title: w.title(f), why: w.why(f), ...(w.cost ? { cost: w.cost(f) } : {}) };
}

const FRAME: Record<string, Record<Lang, string>> = {
  nothing: { en: 'nothing broken', 'pt-BR': 'nada quebrado' },
  broken: { en: 'broken', 'pt-BR': 'quebrado' },
  warning: { en: 'warning', 'pt-BR': 'aviso' },
  info: { en: 'note', 'pt-BR': 'nota' },
  cause: { en: 'cause', 'pt-BR': 'causa' },
  evidence: { en: 'evidence', 'pt-BR': 'evidência' },
  fix: { en: 'fix', 'pt-BR': 'correção' },
  alternative: { en: 'alternative', 'pt-BR': 'alternativa' },
  cost: { en: 'cost', 'pt-BR': 'custo' },
  proof: { en: 'proof', 'pt-BR': 'prova' },
  passes: { en: 'passes', 'pt-BR': 'passa' },
  fails: { en: 'still fails', 'pt-BR': 'ainda falha' },
  flows: { en: 'flows', 'pt-BR': 'fluxos' },
  router: { en: 'router', 'pt-BR': 'roteador' },
  forwards: { en: 'forwards', 'pt-BR': 'redirecionamentos' },
  noProof: { en: 'no change on this router can fix it', 'pt-BR': 'nenhuma mudança neste roteador resolve' },
  ok: { en: 'ok', 'pt-BR': 'ok' },
  failed: { en: 'failed', 'pt-BR': 'falhou' },
  run: { en: 'run on', 'pt-BR': 'rodar em' },
  packet: { en: 'packet', 'pt-BR': 'pacote' },
  rule: { en: 'rule', 'pt-BR': 'regra' },
  conntrack: { en: 'conntrack', 'pt-BR': 'conntrack' },
  trace: { en: 'trace', 'pt-BR': 'trace' },
  summaryBroken: { en: 'broken', 'pt-BR': 'quebrado(s)' },
  summaryWarnings: { en: 'warning(s)', 'pt-BR': 'aviso(s)' },
  summaryNotes: { en: 'note(s)', 'pt-BR': 'nota(s)' },
  matrix: { en: 'reachability', 'pt-BR': 'alcançabilidade' },
  connects: { en: 'connects', 'pt-BR': 'conecta' },
  changed: { en: 'changed', 'pt-BR': 'mudou' },
  at: { en: 'at', 'pt-BR': 'aos' },
  afterChange: { en: ' s, right after the change', 'pt-BR': ' s, logo após a mudança' },
  altProof: { en: 'proof of the alternative', 'pt-BR': 'prova da alternativa' },
};

export const frame = (key: keyof typeof FRAME, lang: Lang): string => FRAME[key]![lang];
