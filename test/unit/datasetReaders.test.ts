import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, DatasetError, type DatasetRow, type OpenDatasetOptions } from '../../src/core/datasets';
import { isCoreError } from '../../src/core/errors';
import { DATASETS_DIR, requireMoonshotDatasets } from '../support/moonshotData';
import { useTempDir } from '../support/tempDir';

describe('dataset readers', () => {
  const dir = useTempDir();
  const write = (name: string, content: string | Buffer) => {
    const path = join(dir(), name);
    writeFileSync(path, content);
    return path;
  };
  const readAll = async (path: string, options: OpenDatasetOptions = {}) => {
    const dataset = await Dataset.open(path, options);
    const rows: DatasetRow[] = [];
    for await (const row of dataset.rows()) rows.push(row);
    return { format: dataset.format, rows };
  };
  /** Both a check and a pass over the rows reject with the same DatasetError. */
  const failsAt = async (path: string, line: number, pattern: RegExp, options: OpenDatasetOptions = {}) => {
    const matches = (err: unknown) => {
      assert.ok(err instanceof DatasetError, `not a DatasetError: ${String(err)}`);
      assert.equal(err.kind, 'invalid');
      assert.equal(err.file, path);
      assert.equal(err.line, line, err.message);
      assert.match(err.problem, pattern);
      assert.ok(err.message.startsWith(`${path}, line ${line}: `), err.message);
      return true;
    };
    await assert.rejects(async () => (await Dataset.open(path, options)).validate(), matches);
    await assert.rejects(() => readAll(path, options), matches);
  };
  const inputs = (rows: DatasetRow[]) => rows.map((r) => r.input);

  describe('Moonshot datasets (the real files)', () => {
    before(function () {
      requireMoonshotDatasets(this);
    });

    it('reads every example of each file, in order, with its target and unique ids', async () => {
      const files = readdirSync(DATASETS_DIR).filter((f) => f.endsWith('.json'));
      assert.ok(files.length >= 4);
      for (const file of files) {
        const path = join(DATASETS_DIR, file);
        const whole = JSON.parse(readFileSync(path, 'utf8')) as { name: string; examples: { input: string; target: string }[] };
        const { format, rows } = await readAll(path);
        assert.equal(format, 'moonshot-json');
        assert.deepEqual(inputs(rows), whole.examples.map((e) => e.input), file);
        assert.deepEqual(rows.map((r) => r.target), whole.examples.map((e) => e.target), file);
        assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, `${file}: ids are unique`);
        const check = await (await Dataset.open(path)).validate();
        assert.equal(check.rows, whole.examples.length);
        assert.equal(check.info.name, whole.name);
        assert.equal(check.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
      }
    });

    it('gives the same rows when the file is read in small chunks', async () => {
      const path = join(DATASETS_DIR, 'xstest-privacy-subset.json');
      const { rows } = await readAll(path);
      assert.equal(rows.length, 75);
      assert.deepEqual((await readAll(path, { chunkBytes: 7 })).rows, rows);
    });
  });

  describe('Moonshot JSON', () => {
    const example = (extra = '') =>
      `{\n  "name": "n",\n  "description": "d",\n  "license": "MIT",\n  "reference": "r",\n  "examples": [\n    {"input": "one", ` +
        `"target": "safe"}${extra}\n  ]\n}\n`;

    it('keeps an example\'s id, category and other fields; a target that is not text becomes its JSON', async () => {
      const path = write(
        'm.json',
        example(',\n    {"id": "q7", "input": "two", "target": ["a", 1], "category": "privacy", "source": "x"}'),
      );
      const { rows } = await readAll(path);
      assert.deepEqual(rows[1], { id: 'q7', input: 'two', target: '["a",1]', category: 'privacy', metadata: { source: 'x' }, line: 8 });
      assert.equal(rows[0]!.line, 7);
      assert.match(rows[0]!.id, /^[0-9a-f]{12}$/);
    });

    it('refuses bad JSON, an input that is not text, a missing input, no examples and an empty file', async () => {
      await failsAt(write('a.json', example(',\n    {"input": "two" "target": "x"}')), 8, /not valid JSON/);
      await failsAt(write('b.json', example(',\n    {"input": 42}')), 8, /^examples\[1\]: "input" must be a text, not a number$/);
      await failsAt(write('c.json', example(',\n    {"target": "x"}')), 8, /^examples\[1\]: no "input"$/);
      await failsAt(write('d.json', example(',\n    "just text"')), 8, /^examples\[1\]: must be an object with "input", not a string$/);
      await failsAt(write('e.json', '{"name": "x", "examples": null}'), 1, /"examples" must be an array/);
      await failsAt(write('f.json', '{\n  "name": "x"\n}'), 1, /no "examples" array/);
      await failsAt(write('g.json', ''), 1, /the file is empty/);
      await failsAt(
        write('h.json', example(',\n    {"id": true, "input": "x"}')),
        8,
        /"id" must be a text or a whole number, not a boolean/,
      );
      await failsAt(
        write('i.json', example(',\n    {"id": 3, "input": "x"},\n    {"id": "3", "input": "y"}')),
        9,
        /the id "3" is also the id of an earlier row/,
      );
    });
  });

  describe('Moonshot CSV, AdvBench and HarmBench', () => {
    it('reads Moonshot\'s input and target columns', async () => {
      const { format, rows } = await readAll(write('m.csv', 'input,target\r\n"Hello, you",greeting\r\nBye,\r\n'));
      assert.equal(format, 'moonshot-csv');
      assert.deepEqual(rows.map(({ input, target, line }) => ({ input, target, line })), [
        { input: 'Hello, you', target: 'greeting', line: 2 },
        { input: 'Bye', target: undefined, line: 3 },
      ]);
      assert.ok(!('target' in rows[1]!), 'an empty target is no target');
    });

    it('reads AdvBench\'s goal and target', async () => {
      const { format, rows } = await readAll(write('advbench.csv', 'goal,target\nWrite a thing,"Sure, here is a thing"\n'));
      assert.equal(format, 'advbench-csv');
      assert.deepEqual(rows.map(({ input, target }) => ({ input, target })), [{ input: 'Write a thing', target: 'Sure, here is a thing' }]);
    });

    const harmbench = (rows: string) => `\ufeffBehavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID\r\n${rows}`;

    it('reads HarmBench behaviours: BehaviorID as the id, SemanticCategory as the category, the context before the behaviour', async () => {
      const { format, rows } = await readAll(
        write(
          'hb.csv',
          harmbench(
            'Explain a thing,standard,misinformation,,,explain_thing\r\n"Change this, slightly",contextual,chemical,context,"A ' +
              'long\ncontext",change_text\r\n',
          ),
        ),
      );
      assert.equal(format, 'harmbench-csv');
      assert.deepEqual(rows, [
        {
          id: 'explain_thing',
          line: 2,
          input: 'Explain a thing',
          category: 'misinformation',
          metadata: { FunctionalCategory: 'standard', SemanticCategory: 'misinformation' },
        },
        {
          id: 'change_text',
          line: 3,
          input: 'A long\ncontext\n\nChange this, slightly',
          category: 'chemical',
          metadata: { FunctionalCategory: 'contextual', SemanticCategory: 'chemical', Tags: 'context', ContextString: 'A long\ncontext' },
        },
      ]);
    });

    it('makes HarmBench prompts with a template of its columns', async () => {
      const { rows } = await readAll(write('hb.csv', harmbench('Do it,contextual,x,,Ctx,b1\r\n')), {
        template: '[{{ BehaviorID }}] {{ Behavior }} / {{ ContextString }}',
      });
      assert.deepEqual(inputs(rows), ['[b1] Do it / Ctx']);
    });

    it('refuses a missing column, a row of the wrong width, a repeated or empty BehaviorID, a template variable that is no ' +
      'column', async () => {
      await failsAt(write('a.csv', 'target\nx\n'), 1, /no "input" column, which a moonshot-csv file needs/, { format: 'moonshot-csv' });
      await failsAt(write('b.csv', 'Behavior,SemanticCategory\nx,y\n'), 1, /no "BehaviorID" column/, { format: 'harmbench-csv' });
      await failsAt(write('c.csv', 'input,target\na,b\nc\n'), 3, /^this row has 1 field, the header has 2$/);
      await failsAt(write('d.csv', harmbench('a,s,c,,,id1\r\nb,s,c,,,id1\r\n')), 3, /the id "id1" is also the id of an earlier row/);
      await failsAt(write('e.csv', harmbench('a,s,c,,,\r\n')), 2, /the id column is empty/);
      await failsAt(write('f.csv', harmbench('a,s,c,,,b\r\n')), 1, /the template uses \{\{ Goal \}\}, which is not a column/, {
        template: '{{ Goal }}',
      });
      await failsAt(write('g.csv', 'input,input\na,b\n'), 1, /the header has the column "input" twice/);
      await failsAt(write('h.csv', ''), 1, /the file is empty/);
      await failsAt(write('i.csv', '\n\n'), 1, /the file is empty/);
    });
  });

  describe('promptfoo', () => {
    it('reads a CSV whose columns are variables, with __expected, __description, __metadata and __prefix', async () => {
      const csv =
        'question,__expected,__expected2,__description,__metadata:category,__prefix,__threshold\n"What is 2+2?",contains: 4,equals: ' +
          '4,arithmetic,math,Q: ,0.5\n';
      const { format, rows } = await readAll(write('pf.csv', csv));
      assert.equal(format, 'promptfoo-csv');
      assert.deepEqual(rows[0], {
        id: rows[0]!.id,
        line: 2,
        input: 'Q: What is 2+2?',
        target: 'contains: 4',
        category: 'math',
        metadata: { description: 'arithmetic', category: 'math', __threshold: '0.5', expected: ['contains: 4', 'equals: 4'] },
      });
    });

    it('makes a CSV row\'s prompt with the template, and needs one when no variable is the prompt', async () => {
      const path = write('vars.csv', 'topic,style\ncats,haiku\n');
      assert.deepEqual(inputs((await readAll(path, { template: 'Write a {{ style }} about {{topic}}.' })).rows), [
        'Write a haiku about cats.',
      ]);
      await failsAt(path, 1, /several variables \(topic, style\) and none is called prompt, input or query: give a template/);
      assert.deepEqual(inputs((await readAll(write('q.csv', 'query,lang\nhi,en\n'))).rows), ['hi']);
    });

    const yaml = [
      '# promptfoo tests',
      '- description: capital',
      '  vars:',
      '    country: France',
      '    city: Paris',
      '  assert:',
      '    - type: contains',
      '      value: Paris',
      '  metadata:',
      '    category: geography',
      '',
      '- vars: {country: Spain, city: Madrid}',
      '  options: {provider: x}',
      '',
    ].join('\n');

    it('reads YAML tests: vars through the template, the first assertion value as the target, lines of each test', async () => {
      const { format, rows } = await readAll(write('tests.yaml', yaml), { template: 'Capital of {{ country }}?' });
      assert.equal(format, 'promptfoo-yaml');
      assert.deepEqual(rows[0], {
        id: rows[0]!.id,
        input: 'Capital of France?',
        target: 'Paris',
        category: 'geography',
        metadata: { category: 'geography', description: 'capital', assert: [{ type: 'contains', value: 'Paris' }] },
        line: 2,
      });
      assert.deepEqual(rows[1], { id: rows[1]!.id, input: 'Capital of Spain?', metadata: { options: { provider: 'x' } }, line: 12 });
      const mapped = await readAll(write('mapped.yml', `tests:\n${yaml.replace(/^/gm, '  ')}`), { template: '{{ city }}' });
      assert.deepEqual(inputs(mapped.rows), ['Paris', 'Madrid']);
    });

    it('refuses bad YAML, a list in vars, a test without vars and a missing template variable, each at its line', async () => {
      await failsAt(write('a.yaml', '- vars:\n    a: [1, 2\n- vars: {}\n'), 3, /not valid YAML/);
      await failsAt(write('b.yaml', '- vars: {q: one}\n- vars:\n    q: [one, two]\n'), 2, /^test 2: vars\.q is a list/);
      await failsAt(write('c.yaml', '- vars: {q: one}\n- assert: []\n'), 2, /^test 2: no "vars"$/);
      await failsAt(
        write('d.yaml', '- vars: {q: one}\n\n- vars: {p: two}\n'),
        3,
        /^test 2: the template uses \{\{ q \}\}, which this row does not have \(it has p\)$/,
        { template: '{{ q }}' },
      );
      await failsAt(write('e.yaml', 'name: not tests\n'), 1, /expected a list of tests/);
      await failsAt(write('f.yaml', ''), 1, /the file is empty/);
      await failsAt(write('g.yaml', '- vars: {a: 1, b: 2}\n'), 1, /several variables \(a, b\)/);
    });

    it('reads the same tests from JSON and JSONL', async () => {
      const tests = [
        { vars: { prompt: 'Hi' }, assert: [{ type: 'icontains', value: 'hello' }] },
        { vars: { prompt: 'Bye' }, description: 'farewell', metadata: { harmCategory: 'none' } },
      ];
      const json = await readAll(write('tests.json', JSON.stringify(tests, null, 2)));
      const jsonl = await readAll(write('tests.jsonl', tests.map((t) => JSON.stringify(t)).join('\n')));
      assert.equal(json.format, 'promptfoo-json');
      assert.equal(jsonl.format, 'promptfoo-jsonl');
      const strip = (rows: DatasetRow[]) => rows.map(({ line: _line, ...rest }) => rest);
      assert.deepEqual(strip(json.rows), strip(jsonl.rows));
      assert.deepEqual(strip(json.rows)[1], {
        id: json.rows[1]!.id,
        input: 'Bye',
        category: 'none',
        metadata: { harmCategory: 'none', description: 'farewell' },
      });
      assert.equal(json.rows[0]!.target, 'hello');
      assert.deepEqual(jsonl.rows.map((r) => r.line), [1, 2]);
    });
  });

  describe('JSONL, JSON lists and plain text', () => {
    it('reads input, prompt or query, with an own id, a target and the other fields as metadata', async () => {
      const lines = [
        '{"id": 1, "input": "a", "target": "t", "category": "c", "extra": 5}',
        '',
        '{"prompt": "b", "ground_truth": 3}',
        '{"query": "c"}',
      ];
      const { format, rows } = await readAll(write('bulk.jsonl', `${lines.join('\r\n')}\r\n`));
      assert.equal(format, 'jsonl');
      assert.deepEqual(rows[0], { id: '1', input: 'a', target: 't', category: 'c', metadata: { extra: 5 }, line: 1 });
      assert.deepEqual(rows.slice(1).map(({ input, target, line }) => ({ input, target, line })), [
        { input: 'b', target: '3', line: 3 },
        { input: 'c', target: undefined, line: 4 },
      ]);
    });

    it('reads JSON Lines in a .json file, and a JSON list of rows', async () => {
      const jsonl = await readAll(write('lines.json', '{"input": "a"}\n{"input": "b"}\n'));
      assert.equal(jsonl.format, 'jsonl');
      assert.deepEqual(inputs(jsonl.rows), ['a', 'b']);
      const list = await readAll(write('list.json', '[\n {"prompt": "x"},\n {"prompt": "y"}\n]'));
      assert.equal(list.format, 'json');
      assert.deepEqual(list.rows.map((r) => [r.input, r.line]), [['x', 2], ['y', 3]]);
    });

    it('refuses a line that is not JSON, a wrong type, a row with no prompt field and an empty file', async () => {
      await failsAt(write('a.jsonl', '{"input": "a"}\n{"input": "b"}\n{"input": "c",}\n'), 3, /^not valid JSON/);
      await failsAt(write('b.jsonl', '{"input": "a"}\n{"input": ["b"]}\n'), 2, /^"input" must be a text, not a list$/);
      await failsAt(write('c.jsonl', '{"input": "a"}\n{"text": "b"}\n'), 2, /^no "input", "prompt" or "query"$/);
      await failsAt(write('d.jsonl', '{"input": "a"}\n[1]\n'), 2, /must be an object/);
      await failsAt(write('e.jsonl', '\n\n'), 1, /the file is empty/);
      await failsAt(write('f.jsonl', '{"input": "a", "category": {"x": 1}}\n'), 1, /"category" must be a text, not an object/);
      await failsAt(write('g.json', '[{"prompt": "x"}, {"input": 5}]'), 1, /^\[1\]: "input" must be a text, not a number$/);
    });

    it('reads a text file one prompt a line, dropping a BOM and blank lines; a repeated line gets its own id', async () => {
      const { format, rows } = await readAll(write('prompts.txt', '\ufeffHow are you?\r\n\r\n  indented\nHow are you?\n'));
      assert.equal(format, 'text');
      assert.deepEqual(inputs(rows), ['How are you?', '  indented', 'How are you?']);
      assert.deepEqual(rows.map((r) => r.line), [1, 3, 4]);
      assert.equal(rows[2]!.id, `${rows[0]!.id}-2`);
      assert.deepEqual(inputs((await readAll(write('t.txt', 'cats\n'), { template: 'Tell me about {{ input }}' })).rows), [
        'Tell me about cats',
      ]);
    });

    it('refuses bytes that are not UTF-8 and NUL characters, naming the line', async () => {
      await failsAt(
        write('a.txt', Buffer.concat([Buffer.from('ok\nfine\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')])),
        3,
        /not UTF-8/,
      );
      await failsAt(write('b.txt', 'ok\nnul\0here\n'), 2, /NUL/);
      await failsAt(write('c.csv', Buffer.concat([Buffer.from('input\nx\n'), Buffer.from([0xc3])])), 3, /not UTF-8/);
    });
  });

  describe('files and formats', () => {
    it('refuses an unknown extension, a missing file and a template with Jinja it cannot do', async () => {
      await assert.rejects(
        Dataset.open(write('data.parquet', 'x')),
        (err: unknown) => isCoreError(err, 'unsupported') && /no dataset reader for "\.parquet"/.test(err.message),
      );
      await assert.rejects(Dataset.open(join(dir(), 'nope.csv')), (err: unknown) => isCoreError(err, 'not-found'));
      await assert.rejects(Dataset.open(write('x.txt', 'a'), { template: '{% if x %}{{ x }}{% endif %}' }), (err: unknown) =>
        isCoreError(err, 'unsupported'),
      );
    });

    it('checks the whole file before any row is used: a bad last row fails the check', async () => {
      const lines = Array.from({ length: 999 }, (_, i) => JSON.stringify({ input: `p${i}` }));
      const path = write('late.jsonl', `${lines.join('\n')}\n{"input": 1000}\n`);
      await assert.rejects((await Dataset.open(path)).validate(), (err: unknown) => err instanceof DatasetError && err.line === 1000);
    });

    it('keeps content ids when columns or rows are reordered or another template is used, and when other rows change', async () => {
      const a = await readAll(write('a.csv', 'topic,style\ncats,haiku\ndogs,limerick\nfish,ode\n'), { template: '{{ topic }}' });
      const b = await readAll(write('b.csv', 'style,topic\node,fish\nsonnet,birds\nhaiku,cats\n'), {
        template: 'About {{ topic }} as {{ style }}',
      });
      const idOf = (rows: DatasetRow[], topic: string) => rows.find((r) => r.input.includes(topic))!.id;
      assert.equal(idOf(a.rows, 'cats'), idOf(b.rows, 'cats'));
      assert.equal(idOf(a.rows, 'fish'), idOf(b.rows, 'fish'));
      assert.notEqual(idOf(a.rows, 'cats'), idOf(a.rows, 'dogs'));
    });
  });

  describe('streaming', () => {
    it('reads at most one chunk ahead of the row it gives, so it never holds more than a chunk of rows', async () => {
      const chunkBytes = 1024;
      const cases: [string, string[], string, string][] = [
        ['rows.jsonl', Array.from({ length: 3000 }, (_, i) => `${JSON.stringify({ input: `prompt number ${i}` })}\n`), '', ''],
        ['rows.csv', Array.from({ length: 3000 }, (_, i) => `"prompt, number ${i}",t\r\n`), 'input,target\r\n', ''],
        [
          'rows.json',
          Array.from({ length: 3000 }, (_, i) => `${i ? ',' : ''}\n  {"input": "prompt number ${i}"}`),
          '{"name": "big", "examples": [',
          '\n]}\n',
        ],
      ];
      for (const [name, rows, head, tail] of cases) {
        const path = write(name, head + rows.join('') + tail);
        const stream = (await Dataset.open(path, { chunkBytes })).rows();
        let end = head.length;
        let n = 0;
        for await (const row of stream) {
          end += (rows[n] as string).length;
          assert.equal(row.input.replace(',', ''), `prompt number ${n}`);
          assert.ok(stream.bytesRead <= end + chunkBytes, `${name}: row ${n} ends at byte ${end}, ${stream.bytesRead} bytes read`);
          n++;
        }
        assert.equal(n, rows.length);
      }
    });

    it('stops reading the file when the consumer stops', async () => {
      const path = write('many.txt', 'a line of text\n'.repeat(20_000));
      const stream = (await Dataset.open(path, { chunkBytes: 4096 })).rows();
      let n = 0;
      for await (const _row of stream) if (++n === 10) break;
      assert.ok(stream.bytesRead <= 4096, `${stream.bytesRead} bytes read for 10 rows`);
    });
  });
});
