// Every keyword of grammar/nurture.pest (and the words issue 15/16 add) is a token of the
// tree-sitter grammar, so that the highlight queries can name it.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..', '..');
const NEW_WORDS = ['decide', 'with', 'holdout', 'event', 'received'];

function strings(rule, out) {
  if (rule && typeof rule === 'object') {
    if (rule.type === 'STRING') out.add(rule.value);
    for (const value of Object.values(rule)) strings(value, out);
  }
  return out;
}

test('every Nurture keyword is a token of the tree-sitter grammar', () => {
  const pest = fs.readFileSync(path.join(root, 'grammar', 'nurture.pest'), 'utf8');
  const words = [...pest.matchAll(/^(?:kw|op)_\w+\s*=\s*@\{\s*"(\w+)"/gm)].map((m) => m[1]);
  assert.ok(words.length > 60, `read only ${words.length} keywords from nurture.pest`);
  const grammar = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'src', 'grammar.json'), 'utf8'));
  const tokens = strings(grammar.rules, new Set());
  const missing = [...new Set([...words, ...NEW_WORDS])].filter((w) => !tokens.has(w));
  assert.deepStrictEqual(missing, []);
});

test('every keyword token is highlighted', () => {
  const grammar = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'src', 'grammar.json'), 'utf8'));
  const words = [...strings(grammar.rules, new Set())].filter((w) => /^[a-z_]+$/.test(w));
  const queries = fs.readFileSync(path.join(__dirname, '..', 'queries', 'highlights.scm'), 'utf8');
  // Words highlighted through the node that holds them.
  const byNode = {
    contains: '(compare_operator)', starts_with: '(compare_operator)', ends_with: '(compare_operator)',
    true: '(boolean)', false: '(boolean)', now: '(now)',
  };
  const missing = words.filter((w) => !queries.includes(`"${w}"`) && !(byNode[w] && queries.includes(byNode[w])));
  assert.deepStrictEqual(missing, []);
});
