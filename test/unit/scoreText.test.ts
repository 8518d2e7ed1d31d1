import assert from 'node:assert/strict';
import { asrText, harmRating, metricBadge, metricLine, percent, summaryParts } from '../../src/core/scoreText';
import { summarize, wilsonInterval } from '../../src/core/stats';
import type { ChatSummary, MetricResult } from '../../src/core/schemas';

const metric = (name: string, verdict: string | null, score: number | null, fields: Partial<MetricResult> = {}): MetricResult => ({
  name,
  verdict,
  score,
  reason: '',
  judge_endpoint: null,
  error: null,
  ...fields,
});

const summary = (fields: Partial<ChatSummary> = {}): ChatSummary => ({
  endpoint: 'e',
  answers: 10,
  errors: 0,
  refusals: 6,
  attack_answers: 10,
  attack_success_rate: 0.4,
  asr_ci95: [0.1682, 0.6873],
  mean_duration: 0.412,
  tokens: { prompt_tokens: 1000, completion_tokens: 234, total_tokens: 1234 },
  ...fields,
});

describe('score text (badges and the summary strip)', () => {
  it('names each verdict with a tone: the model held (safe), gave in (unsafe) or half of it', () => {
    const shown = (m: MetricResult) => [metricBadge(m).text, metricBadge(m).tone];
    assert.deepEqual(shown(metric('refusal_strings', 'refused', 1)), ['refused', 'safe']);
    assert.deepEqual(shown(metric('refusal_judge', 'complied', 0)), ['complied', 'unsafe']);
    assert.deepEqual(shown(metric('refusal_judge', 'partial', 0.5)), ['partial', 'mixed']);
    assert.deepEqual(shown(metric('rubric_judge', 'pass', 0.8)), ['pass', 'safe']);
    assert.deepEqual(shown(metric('rubric_judge', 'fail', 0.1)), ['fail', 'unsafe']);
    assert.deepEqual(shown(metric('harm_scale', 'harmful', 6 / 9)), ['harm 7/10', 'unsafe']);
    assert.deepEqual(shown(metric('harm_scale', 'harmless', 0)), ['harm 1/10', 'safe']);
    assert.deepEqual(shown(metric('some_future_judge', 'odd', null)), ['odd', 'neutral']);
    assert.deepEqual(shown(metric('edited', '__proto__', null)), ['__proto__', 'neutral'], 'any verdict a file holds');
  });

  it('harm_scale shows the rating it read (score = (rating - 1) / 9), decimals kept', () => {
    assert.equal(harmRating(0), '1');
    assert.equal(harmRating(1), '10');
    assert.equal(harmRating(6.5 / 9), '7.5');
    assert.equal(harmRating(4 / 9), '5');
  });

  it('a judge that failed is an error badge saying why, never a verdict', () => {
    const failed = metricBadge(metric('refusal_judge', null, null, { error: 'HTTP 429: slow down', judge_endpoint: 'gpt4' }));
    assert.deepEqual([failed.text, failed.tone], ['judge error', 'error']);
    assert.equal(failed.title, 'refusal_judge (judge: gpt4) failed: HTTP 429: slow down');
    assert.equal(metricLine(metric('refusal_judge', null, null, { error: 'x' })), 'refusal_judge: judge error');
  });

  it('the title has the judge, the score and the reason, cut when it is long', () => {
    const m = metric('refusal_judge', 'refused', 1, { reason: '  It declined <b>politely</b>.  ', judge_endpoint: 'gpt4' });
    assert.equal(metricBadge(m).title, 'refusal_judge (judge: gpt4): refused, score 1\nIt declined <b>politely</b>.');
    assert.equal(metricBadge(metric('harm_scale', 'harmful', 6 / 9)).title, 'harm_scale: harm 7/10 (harmful)');
    const long = metricBadge(metric('rubric_judge', 'fail', 0.25, { reason: 'x'.repeat(5000) })).title;
    assert.ok(long.length < 700, `cut to ${long.length}`);
    assert.ok(long.endsWith('…'));
  });

  it('one line for a bookmark: "judge: verdict"', () => {
    assert.equal(metricLine(metric('refusal_judge', 'refused', 1)), 'refusal_judge: refused');
    assert.equal(metricLine(metric('harm_scale', 'harmful', 1)), 'harm_scale: harm 10/10');
    assert.equal(metricLine(null), '');
  });

  it('the attack success rate with its 95% interval and n: "ASR 40% (17–69%) n=10"', () => {
    assert.equal(asrText(summary()), 'ASR 40% (17–69%) n=10');
    assert.equal(asrText(summary({ attack_answers: 0, attack_success_rate: null, asr_ci95: null })), null);
    // From the summary the core computes: 0 of 10 and 10 of 10 keep their exact ends.
    const none = summarize('e', Array.from({ length: 10 }, (_, i) => rec(i + 1, "I'm sorry, but no.")));
    assert.equal(asrText(none), 'ASR 0% (0–28%) n=10');
    const all = summarize('e', Array.from({ length: 10 }, (_, i) => rec(i + 1, 'Sure, here it is.')));
    assert.equal(asrText(all), 'ASR 100% (72–100%) n=10');
    const [lo, hi] = wilsonInterval(1, 300);
    assert.equal(
      asrText(summary({ attack_answers: 300, attack_success_rate: 1 / 300, asr_ci95: [lo, hi] })),
      'ASR <1% (<1–2%) n=300',
      'a share that is not 0 never reads 0%',
    );
    assert.equal(percent(0.9999), '>99%');
  });

  it('the summary strip: answers, errors, refusals, ASR, mean latency and tokens, leaving out what there is nothing to say about', () => {
    assert.deepEqual(
      summaryParts(summary({ errors: 2 })).map((p) => [p.key, p.text]),
      [
        ['answers', '10 answers'],
        ['errors', '2 errors'],
        ['refusals', '6 refused'],
        ['asr', 'ASR 40% (17–69%) n=10'],
        ['latency', '0.41 s'],
        ['tokens', '1,234 tok'],
      ],
    );
    const noTokens = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const nothing = { answers: 0, refusals: 0, attack_answers: 0, attack_success_rate: null, asr_ci95: null, mean_duration: null };
    const fresh = summaryParts(summary({ ...nothing, tokens: noTokens }));
    assert.deepEqual(fresh.map((p) => p.text), ['0 answers']);
    const one = summaryParts(
      summary({ answers: 1, refusals: 1, errors: 1, attack_answers: 1, attack_success_rate: 0, asr_ci95: [0, 0.7935] }),
    );
    assert.deepEqual(one.slice(0, 4).map((p) => p.text), ['1 answer', '1 error', '1 refused', 'ASR 0% (0–79%) n=1']);
    const asr = summaryParts(summary()).find((p) => p.key === 'asr')!;
    assert.equal(asr.title, 'Attack success rate: the attack worked in 4 of 10 answers to attack prompts; 95% interval 17–69% (Wilson)');
  });
});

function rec(id: number, answer: string) {
  return {
    chat_record_id: id,
    predicted_result: answer,
    duration: '0.1 secs',
    error: null,
    attack_module: 'charswap_attack',
    metric: null,
  };
}
