import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetIdentity, findDataset, hashFile, inlineRows, listDatasets } from '../../src/core/datasets';
import { isCoreError } from '../../src/core/errors';
import { DATASETS_DIR, requireMoonshotDatasets } from '../support/moonshotData';
import { useTempDir } from '../support/tempDir';

describe('dataset identity and listing', () => {
  const dir = useTempDir();
  const folder = (name: string, files: Record<string, string | Buffer>) => {
    const path = join(dir(), name);
    mkdirSync(path, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(path, file), content);
    return path;
  };

  it('hashes the bytes of a file, streamed, and counts its rows with the same hash', async () => {
    const bytes = Buffer.from(`input,target\n${Array.from({ length: 5000 }, (_, i) => `"row ${i}",t`).join('\n')}\n`);
    const path = join(folder('d', { 'big.csv': bytes }), 'big.csv');
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.equal(await hashFile(path), sha);
    const id = await datasetIdentity(path, { chunkBytes: 1000 });
    assert.deepEqual(id, { file: path, format: 'moonshot-csv', rows: 5000, bytes: bytes.length, sha256: sha, info: {} });
    await assert.rejects(hashFile(join(dir(), 'missing.csv')), (err: unknown) => isCoreError(err, 'not-found'));
  });

  it('lists the datasets of its folders by stem with their format and rows; bad files have a problem; the first folder wins ' +
    'a name', async () => {
    const a = folder('a', {
      'prompts.txt': 'one\ntwo\n',
      'bench.csv': 'Behavior,SemanticCategory,BehaviorID\nx,y,z\n',
      'broken.jsonl': '{"input": "a"}\n{oops\n',
      'README.md': '# not a dataset',
      'notes.parquet': 'binary',
    });
    mkdirSync(join(a, 'sub.json'));
    const b = folder('b', { 'prompts.csv': 'input\nthree\n', 'tests.yaml': '- vars: {prompt: hi}\n' });
    const { datasets, problems } = await listDatasets([a, join(dir(), 'absent'), b]);
    const broken = datasets.find((d) => d.name === 'broken')!;
    assert.ok(broken.problem?.startsWith(`${join(a, 'broken.jsonl')}, line 2: not valid JSON: `), broken.problem);
    broken.problem = '(checked above)';
    assert.deepEqual(
      datasets.map(({ path: _p, ...d }) => d),
      [
        { name: 'bench', format: 'harmbench-csv', rows: 1 },
        { name: 'broken', format: 'jsonl', problem: '(checked above)' },
        { name: 'prompts', format: 'text', rows: 2 },
        { name: 'prompts', format: null, problem: `not used: ${join(a, 'prompts.txt')} has the same name` },
        { name: 'tests', format: 'promptfoo-yaml', rows: 1 },
      ],
    );
    assert.equal(datasets[0]!.path, join(a, 'bench.csv'));
    assert.deepEqual(
      problems.map((p) => p.origin),
      [join(dir(), 'absent')],
    );
    assert.match(problems[0]!.message, /cannot read the folder: ENOENT/);

    assert.equal(await findDataset([a, b], 'prompts'), join(a, 'prompts.txt'));
    assert.equal(await findDataset([a, b], 'tests'), join(b, 'tests.yaml'));
    await assert.rejects(
      findDataset([a, b], 'nope'),
      (err: unknown) => isCoreError(err, 'not-found') && /known: bench, broken, prompts, tests/.test(err.message),
    );
  });

  it('counts the rows of small files only, and still lists a large file with its format', async () => {
    const a = folder('a', { 'big.jsonl': `${'{"input": "x"}\n'.repeat(1000)}`, 'small.txt': 'a\n' });
    const { datasets } = await listDatasets([a], { countRowsUpTo: 1000 });
    assert.deepEqual(datasets.map(({ path: _p, ...d }) => d), [
      { name: 'big', format: 'jsonl' },
      { name: 'small', format: 'text', rows: 1 },
    ]);
  });

  it('lists the real Moonshot datasets', async function () {
    requireMoonshotDatasets(this);
    const { datasets, problems } = await listDatasets([DATASETS_DIR]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      datasets.map(({ name, format, rows }) => ({ name, format, rows })),
      [
        { name: 'mlc-ailuminate-spc-hlt', format: 'moonshot-json', rows: 26 },
        { name: 'safetybench-privacy-small', format: 'moonshot-json', rows: 5 },
        { name: 'singapore-safety-questions', format: 'moonshot-json', rows: 59 },
        { name: 'xstest-privacy-subset', format: 'moonshot-json', rows: 75 },
      ],
    );
  });

  it('gives inline rows ids as a file would, and refuses a repeated id', () => {
    const rows = inlineRows([{ input: 'a' }, { input: 'a' }, { id: 'mine', input: 'b', target: 't', category: 'c' }]);
    assert.match(rows[0]!.id, /^[0-9a-f]{12}$/);
    assert.equal(rows[1]!.id, `${rows[0]!.id}-2`);
    assert.deepEqual(rows[2], { id: 'mine', input: 'b', target: 't', category: 'c', metadata: {} });
    assert.throws(
      () => inlineRows([{ id: 'x', input: 'a' }, { id: 'x', input: 'b' }]),
      (err: unknown) => isCoreError(err, 'invalid') && err.issues[0]?.loc.join('.') === 'body.rows.1.id',
    );
  });
});
