// The step list in words, in English and in Brazilian Portuguese: golden files for the seed's two
// stories (the numbered steps the seed itself tells), and the facts each step must name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowStory, renderStory } from '../../src/trace/story.ts';
import { parseLang } from '../../src/trace/views.ts';
import { exampleDoc, golden } from './golden.ts';

for (const ex of ['dnat-only', 'dnat-snat', 'dnat-only-brnf']) {
  for (const lang of ['en', 'pt-BR'] as const) {
    test(`story: hairpin ${ex} in ${lang} matches its golden file`, () => {
      golden(
        `hairpin-${ex}.story.${lang}.txt`,
        renderStory(exampleDoc(`examples/hairpin/${ex}.yaml`), { lang }),
      );
    });
  }
}

test("story: DNAT alone tells the seed's six steps, in order", () => {
  const doc = exampleDoc('examples/hairpin/dnat-only.yaml');
  const s = flowStory(doc, doc.flows[0]!, 'en');
  assert.match(s[0]!, /^The client builds the first packet \(TCP SYN\) addressed to 82\.120\.11\.22:80/);
  assert.match(s[1]!, /sends the packet to its gateway, 192\.168\.1\.1: router\.$/);
  assert.match(
    s[2]!,
    /changes the destination from 82\.120\.11\.22 to 192\.168\.1\.200.*The source address stays unchanged \(192\.168\.1\.10:40000\)\.$/,
  );
  assert.match(s[3]!, /answers it \(SYN-ACK\).*from 192\.168\.1\.200:80 to 192\.168\.1\.10:40000\.$/);
  assert.match(
    s[4]!,
    /was not changed, so|was not changed, the answer's destination is the client's own address 192\.168\.1\.10/,
  );
  assert.match(
    s[7]!,
    /rejects the packet because its source address 192\.168\.1\.200:80 is not the one it expects \(82\.120\.11\.22:80\)/,
  );
  assert.equal(s[s.length - 1], 'Verdict: timeout (as expected).');
});

test("story: pt-BR uses the seed's words", () => {
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const s = flowStory(doc, doc.flows[0]!, 'pt-BR').join('\n');
  for (const words of [
    'O cliente cria o pacote inicial (tcp syn)',
    'com o IP/porta de origem e o IP/porta de destino trocados',
    'O gateway é a caixa NAT (router)',
    'seguindo as entradas na tabela NAT, modifica o IP de destino de 82.120.11.22 para 192.168.1.200 e o IP de origem de 192.168.1.10 para 192.168.1.1',
    'estabelece uma entrada na tabela de mapeamento',
    'só é modificada se necessário para desambiguar',
    'em suas tabelas de mapeamento NAT e executa uma conversão reversa',
    'O cliente (client) aceita o pacote',
    'A comunicação continua com os pacotes de tradução NAT para frente e para trás',
  ])
    assert.ok(s.includes(words), words);
});

test('story: a port clash says the source port changed, and why', () => {
  const doc = exampleDoc('examples/masquerade/port-clash.yaml');
  const s = flowStory(doc, doc.flows[1]!, 'en').join('\n');
  assert.match(
    s,
    /The source port changes from 40000 to \d+, to tell this connection from another one that already uses 40000\./,
  );
});

test('story: --lang values', () => {
  assert.equal(parseLang(undefined), 'en');
  assert.equal(parseLang('pt-BR'), 'pt-BR');
  assert.equal(parseLang('pt_br'), 'pt-BR');
  assert.equal(parseLang('en-US'), 'en');
  assert.equal(parseLang('fr'), undefined);
});
