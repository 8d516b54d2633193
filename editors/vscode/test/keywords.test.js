// Every keyword of grammar/nurture.pest (and the words issue 15/16 add) is highlighted as a
// keyword by the TextMate grammar, never as a plain name.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.join(__dirname, '..', '..', '..');
const NEW_WORDS = ['decide', 'with', 'holdout', 'event', 'received'];

function pestKeywords() {
  const pest = fs.readFileSync(path.join(root, 'grammar', 'nurture.pest'), 'utf8');
  const words = [...pest.matchAll(/^(?:kw|op)_\w+\s*=\s*@\{\s*"(\w+)"/gm)].map((m) => m[1]);
  assert.ok(words.length > 60, `read only ${words.length} keywords from nurture.pest`);
  return [...new Set([...words, ...NEW_WORDS])];
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, '..', 'syntaxes', 'nurture.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  return registry.loadGrammar('source.nurture');
}

test('every Nurture keyword gets a keyword scope', async () => {
  const grammar = await loadGrammar();
  const plain = [];
  for (const word of pestKeywords()) {
    // After `x ` so that no declaration pattern claims the word.
    const line = `x ${word} y`;
    const { tokens } = grammar.tokenizeLine(line, vsctm.INITIAL);
    const token = tokens.find((t) => t.startIndex === 2);
    const scopes = token ? token.scopes.join(' ') : '(none)';
    if (!/keyword\.|variable\.language\.|constant\.language\./.test(scopes)) {
      plain.push(`${word}: ${scopes}`);
    }
  }
  assert.deepStrictEqual(plain, [], 'words highlighted as plain names');
});

test('a plain name is not a keyword', async () => {
  const grammar = await loadGrammar();
  const { tokens } = grammar.tokenizeLine('x welcome_series y', vsctm.INITIAL);
  const token = tokens.find((t) => t.startIndex === 2);
  assert.match(token.scopes.join(' '), /variable\.other\.nurture/);
});
