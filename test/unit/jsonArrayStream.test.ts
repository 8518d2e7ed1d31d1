import assert from 'node:assert/strict';
import { DatasetError } from '../../src/core/datasets/datasetError';
import { JsonArrayParser, type JsonArrayOptions, type JsonElement } from '../../src/core/datasets/jsonArrayStream';

const MOONSHOT: JsonArrayOptions = { arrayKey: 'examples' };
const LIST: JsonArrayOptions = { rootArray: true };

function parse(
  text: string,
  options: JsonArrayOptions,
  size = text.length || 1,
): { elements: JsonElement[]; header: Record<string, unknown> } {
  const parser = new JsonArrayParser('data.json', options);
  const elements: JsonElement[] = [];
  for (let i = 0; i < text.length; i += size) elements.push(...parser.push(text.slice(i, i + size)));
  elements.push(...parser.end());
  return { elements, header: parser.header };
}

function failsAt(text: string, options: JsonArrayOptions, line: number, pattern: RegExp) {
  assert.throws(
    () => parse(text, options),
    (err: unknown) => err instanceof DatasetError && err.line === line && pattern.test(err.problem),
    `expected line ${line} and ${pattern}`,
  );
}

describe('streaming JSON arrays', () => {
  const moonshot = [
    '{',
    '  "name": "Tiny",',
    '  "description": "with \\"quotes\\", [brackets] and {braces} in strings",',
    '  "examples": [',
    '    {"input": "a, b ]", "target": "x"},',
    '    {',
    '      "input": "multi\\nline \\\\ \\u00e9",',
    '      "target": {"nested": [1, {"k": "}"}]}',
    '    }',
    '  ],',
    '  "license": "MIT",',
    '  "reference": null',
    '}',
    '',
  ].join('\n');

  it("reads a Moonshot dataset's examples with their lines, and its other members as the header", () => {
    const { elements, header } = parse(moonshot, MOONSHOT);
    assert.deepEqual(elements, [
      { value: { input: 'a, b ]', target: 'x' }, line: 5, index: 0 },
      { value: { input: 'multi\nline \\ é', target: { nested: [1, { k: '}' }] } }, line: 6, index: 1 },
    ]);
    assert.deepEqual(header, {
      name: 'Tiny',
      description: 'with "quotes", [brackets] and {braces} in strings',
      license: 'MIT',
      reference: null,
    });
  });

  it('gives the same elements however the text is cut into chunks', () => {
    const whole = parse(moonshot, MOONSHOT);
    for (let size = 1; size <= moonshot.length; size++) assert.deepEqual(parse(moonshot, MOONSHOT, size), whole, `chunks of ${size}`);
    const list = '[1, "two", {"three": [3]}, [4, [5]], null, true]';
    const listWhole = parse(list, LIST);
    assert.deepEqual(
      listWhole.elements.map((e) => e.value),
      [1, 'two', { three: [3] }, [4, [5]], null, true],
    );
    for (let size = 1; size <= list.length; size++) assert.deepEqual(parse(list, LIST, size), listWhole, `chunks of ${size}`);
  });

  it('reads empty arrays and objects', () => {
    assert.deepEqual(parse('[]', LIST).elements, []);
    assert.deepEqual(parse(' { "examples" : [ ] } ', MOONSHOT).elements, []);
  });

  it('names the line of an element that is not JSON', () => {
    // Where JSON.parse gives no position, the line the element starts on.
    failsAt(
      '{"examples": [\n{"input": "ok"},\n{"input": "a",\n "target": oops}\n]}',
      MOONSHOT,
      3,
      /^not valid JSON, in the value that starts on this line: /,
    );
    failsAt('[\n{"a": 1},\n{"b": 2} {"c": 3}\n]', LIST, 3, /^not valid JSON: /);
    failsAt('[\n{"a": 1,\n\n}\n]', LIST, 4, /^not valid JSON: /);
    failsAt('[\n"tab\there"\n]', LIST, 2, /not valid JSON/);
  });

  it('names the line of a broken frame around the elements', () => {
    failsAt('[1,\n,2]', LIST, 2, /an empty element/);
    failsAt('[1,\n2,\n]', LIST, 3, /a comma before the closing \]/);
    failsAt('[1}', LIST, 1, /expected "," or "\]"/);
    failsAt('{"examples": [1]\n"name": "x"}', MOONSHOT, 2, /expected "," or "}" after the "examples" array/);
    failsAt('{"examples": {"input": "x"}}', MOONSHOT, 1, /"examples" must be an array/);
    failsAt('{"name": "x" "examples": []}', MOONSHOT, 1, /not valid JSON/);
    failsAt('{name: 1}', MOONSHOT, 1, /expected a member name in double quotes/);
    failsAt('{"examples": [], "examples": []}', MOONSHOT, 1, /"examples" is given twice/);
    failsAt('[1]\n[2]', LIST, 2, /unexpected text after the end/);
    failsAt('{"examples": [1]}\n\nx', MOONSHOT, 3, /unexpected text after the end/);
  });

  it('refuses a root of the wrong kind, an unfinished file, a missing array and an empty file', () => {
    failsAt('{"a": 1}', LIST, 1, /expected a JSON array/);
    failsAt('[1]', MOONSHOT, 1, /expected a JSON object with "examples"/);
    failsAt('{"examples": [1, 2', MOONSHOT, 1, /ends before it is closed/);
    failsAt('{"name": "no rows"}', MOONSHOT, 1, /no "examples" array/);
    failsAt('  \n ', MOONSHOT, 1, /the file is empty/);
  });
});
