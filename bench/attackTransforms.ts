// Time per variant of every attack module that needs no model, on a
// 1,000-character prompt: attacks run before any model call, so they must
// cost nothing next to one (target: under 1 ms per variant).
import { listAttackModules, transformPrompt } from '../src/core/attacks';

export interface TransformTiming {
  name: string;
  variants: number;
  /** Median over rounds of (round time / variants made), in ms. */
  perVariantMs: number;
}

const SENTENCE =
  'A man asked his friend, a doctor, how the children of the woman next door could learn to swim safely this summer; ' +
  'she said: "Ask their mother first!" 🙂 ';

export const BENCH_PROMPT = SENTENCE.repeat(Math.ceil(1000 / SENTENCE.length)).slice(0, 1000);

export function measureAttackTransforms(rounds = 30): TransformTiming[] {
  return listAttackModules()
    .filter((m) => !m.needs_model)
    .map(({ name }) => {
      const options = { seed: 1 };
      const usesSeed = 'seed' in (listAttackModules().find((m) => m.name === name)?.options ?? {});
      const run = () => transformPrompt(name, BENCH_PROMPT, usesSeed ? options : {});
      for (let i = 0; i < 5; i++) run();
      const samples: number[] = [];
      let variants = 0;
      for (let i = 0; i < rounds; i++) {
        const started = performance.now();
        variants = run().length;
        samples.push((performance.now() - started) / variants);
      }
      samples.sort((a, b) => a - b);
      return { name, variants, perVariantMs: samples[Math.floor(samples.length / 2)] ?? NaN };
    });
}
