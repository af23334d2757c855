// The page's own words in English and Brazilian Portuguese: the labels around the verdict and the
// check's findings. The sentences themselves come from the engine in the chosen language: the story
// (src/trace/story.ts) and the check's causes and fixes (src/check/words.ts).
import type { Severity } from '../../src/check/model.ts';

export type PageLang = 'en' | 'pt-BR';

interface Words {
  readonly verdict: Readonly<Record<string, string>>;
  readonly asExpected: string;
  readonly notAsExpected: string;
  readonly serverSawAs: string;
  readonly stepByStep: string;
  readonly why: string;
  readonly headVerdict: string;
  readonly headCheck: string;
  readonly checkAbout: string;
  readonly traceSentence: string;
  readonly check: string;
  readonly checkRunning: string;
  readonly checkIn: (ms: number, where: string) => string;
  readonly checkFlows: string;
  readonly noFindings: string;
  readonly severity: Readonly<Record<Severity, string>>;
  readonly evidence: string;
  readonly packet: string;
  readonly rule: string;
  readonly flows: string;
  readonly fix: string;
  readonly onHost: string;
  readonly alternative: string;
  readonly cost: string;
  readonly proofPasses: string;
  readonly proofFails: string;
  readonly serverSaw: string;
  readonly apply: string;
  readonly advice: string;
  readonly applied: (where: string) => string;
}

const en: Words = {
  verdict: {},
  asExpected: '✓ as expected',
  notAsExpected: '✗',
  serverSawAs: 'The server saw the client as',
  stepByStep: 'Step by step',
  why: 'Why',
  headVerdict: 'Verdict',
  headCheck: 'Findings of natbox check',
  checkAbout:
    "It generates flows around each router, names the cause of each failure with its evidence, and proves each fix on a copy. A fix's button puts it in the scenario.",
  traceSentence: 'The sentence of natbox trace',
  check: 'natbox check',
  checkRunning: 'natbox check is running…',
  checkIn: (ms, where) => `natbox check ran in ${ms.toFixed(0)} ms (${where}).`,
  checkFlows: 'check flows',
  noFindings: 'No finding: every flow natbox check generated does what the rules say.',
  severity: { broken: 'BROKEN', warning: 'WARNING', info: 'NOTE' },
  evidence: 'Evidence',
  packet: 'packet',
  rule: 'rule',
  flows: 'Flows',
  fix: 'Fix',
  onHost: 'on',
  alternative: 'Alternative',
  cost: 'Cost',
  proofPasses: 'Proved: with the fix',
  proofFails: 'Not proved: with the fix',
  serverSaw: 'server saw',
  apply: 'Apply this fix',
  advice: 'Advice only: no command to apply here.',
  applied: (where) => `Fix applied (${where}); the scenario ran again.`,
};

const pt: Words = {
  verdict: {
    connected: 'conectado',
    timeout: 'tempo esgotado',
    refused: 'recusado',
    reply: 'resposta',
    'reply-from-unexpected-source': 'resposta de origem inesperada',
    'icmp-error': 'erro ICMP',
    'connected-then-failed': 'conectado, depois falhou',
  },
  asExpected: '✓ como esperado',
  notAsExpected: '✗',
  serverSawAs: 'O servidor viu o cliente como',
  stepByStep: 'Passo a passo',
  why: 'Por quê',
  headVerdict: 'Veredito',
  headCheck: 'Problemas encontrados pelo natbox check',
  checkAbout:
    'Ele gera fluxos em torno de cada roteador, dá a causa de cada falha com a evidência e prova cada correção numa cópia. O botão de uma correção a aplica ao cenário.',
  traceSentence: 'A frase do natbox trace (em inglês)',
  check: 'natbox check',
  checkRunning: 'natbox check em execução…',
  checkIn: (ms, where) => `natbox check rodou em ${ms.toFixed(0)} ms (${where}).`,
  checkFlows: 'fluxos verificados',
  noFindings: 'Nenhum problema: todos os fluxos gerados pelo natbox check fazem o que as regras dizem.',
  severity: { broken: 'QUEBRADO', warning: 'AVISO', info: 'NOTA' },
  evidence: 'Evidência',
  packet: 'pacote',
  rule: 'regra',
  flows: 'Fluxos',
  fix: 'Correção',
  onHost: 'em',
  alternative: 'Alternativa',
  cost: 'Custo',
  proofPasses: 'Provada: com a correção',
  proofFails: 'Não provada: com a correção',
  serverSaw: 'o servidor viu',
  apply: 'Aplicar esta correção',
  advice: 'Só uma recomendação: não há comando para aplicar aqui.',
  applied: (where) => `Correção aplicada (${where}); o cenário rodou de novo.`,
};

export const pageWords = (lang: PageLang): Words => (lang === 'pt-BR' ? pt : en);
