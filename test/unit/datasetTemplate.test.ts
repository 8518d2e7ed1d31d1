import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compileRowTemplate } from '../../src/core/datasets';
import { fieldText, missingVariable } from '../../src/core/datasets/rowTemplate';
import { isCoreError } from '../../src/core/errors';

/** Renders with the real Jinja2 when this machine has it; undefined when it has not. */
function renderWithJinja(cases: { template: string; fields: Record<string, string> }[]): string[] | undefined {
  const script =
    'import json,sys,jinja2\nprint(json.dumps([jinja2.Template(c["template"]).render(**c["fields"]) for c in json.load(sys.stdin)]))';
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  return run.status === 0 ? (JSON.parse(run.stdout) as string[]) : undefined;
}

describe('dataset row templates', () => {
  it('renders text fields as Jinja2 does', function () {
    const fields = { Behavior: 'Do "x" $& {{ y }}', ContextString: 'Line one\n\nline two\n', input: '  padded  ' };
    const cases = [
      '{{ ContextString }}\n\n{{ Behavior }}',
      'Q:\n  {{- input -}}  \n!\n',
      '{{Behavior}}{{input}}\n\n',
      'A {{- Behavior }} B {{ input -}}\r\n C',
      '[{{ input }}]\n',
    ].map((template) => ({ template, fields }));
    const ours = cases.map((c) => compileRowTemplate(c.template).render(c.fields));
    const jinja = renderWithJinja(cases);
    if (!jinja) {
      console.log('      (python3 with jinja2 not found: compared with the rules of the other tests only)');
      return;
    }
    assert.deepEqual(ours, jinja);
  });

  it('puts fields in place of {{ name }}, with or without spaces, each use of a name', () => {
    const t = compileRowTemplate('{{context}}\n\n{{ behavior }} ({{ behavior }})');
    assert.deepEqual(t.variables, ['context', 'behavior']);
    assert.equal(t.render({ context: 'C', behavior: 'B' }), 'C\n\nB (B)');
  });

  it('trims white space beside {{- and -}}, and drops the last newline as Jinja does', () => {
    const t = compileRowTemplate('Q:\n  {{- q -}}  \n!\n');
    assert.equal(t.render({ q: 'x' }), 'Q:x!');
    assert.equal(compileRowTemplate('{{ a }}\r\n').render({ a: 'y' }), 'y');
  });

  it('writes numbers and booleans as text, null as nothing, lists and objects as JSON', () => {
    const t = compileRowTemplate('{{ n }}|{{ b }}|{{ z }}|{{ l }}|{{ o }}');
    assert.equal(t.render({ n: 1.5, b: false, z: null, l: [1, 'a'], o: { k: 'v' } }), '1.5|false||[1,"a"]|{"k":"v"}');
    assert.equal(fieldText(undefined), '');
  });

  it("does not read a field's text as a template", () => {
    assert.equal(compileRowTemplate('{{ a }}').render({ a: '{{ b }} $& $1' }), '{{ b }} $& $1');
  });

  it('names the first variable a row lacks, and the fields it has', () => {
    const t = compileRowTemplate('{{ a }} {{ b }} {{ c }}');
    assert.equal(t.missing({ a: 1, c: 2 }), 'b');
    assert.equal(t.missing({ a: 1, b: undefined, c: 2 }), undefined, 'present, even if undefined');
    assert.equal(t.missing({ a: 1, b: 2, c: 3 }), undefined);
    assert.equal(missingVariable('b', { a: 1, c: 2 }), 'the template uses {{ b }}, which this row does not have (it has a, c)');
    assert.equal(t.missing(Object.create({ b: 1 }) as Record<string, unknown>), 'a', 'inherited properties are no fields');
  });

  it('refuses Jinja it does not do, an expression that is not a plain name, and a template without a variable', () => {
    for (const source of ['{% for x in y %}{{ x }}{% endfor %}', '{# note #}{{ a }}']) {
      assert.throws(
        () => compileRowTemplate(source),
        (err: unknown) => isCoreError(err, 'unsupported') && /Jinja syntax/.test(err.message),
      );
    }
    for (const source of ['{{ a | upper }}', '{{ a.b }}', '{{ a }} {{ }}', '{{ "x" }}']) {
      assert.throws(
        () => compileRowTemplate(source),
        (err: unknown) => isCoreError(err, 'unsupported') && /not a plain variable/.test(err.message),
        source,
      );
    }
    assert.throws(() => compileRowTemplate('no variables here'), (err: unknown) => isCoreError(err, 'invalid'));
  });
});
