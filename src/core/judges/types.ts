// What a judge (Moonshot: a metric) is: it scores one answer.
import type { z } from 'zod';
import type { ChatMessage } from '../connectors/types';

export interface JudgeInput {
  /** The prompt as it was sent (an attack's variant). */
  prompt: string;
  /** The model's answer. */
  response: string;
  /** What the user meant, when an attack disguised it (the record's original_prompt). */
  original_prompt?: string;
}

export interface JudgeVerdict {
  verdict: string;
  /** 0..1; what it measures is each judge's own (see its description). */
  score: number;
  reason: string;
}

export interface JudgeContext {
  /** Asks the judge model; rejects with a ConnectorError. */
  ask(messages: ChatMessage[]): Promise<string>;
}

export interface Judge {
  name: string;
  description: string;
  needs_model: boolean;
  /** A strict object schema of the judge's options, with defaults. */
  options: z.ZodObject;
  /** The verdicts this judge gives. */
  verdicts: readonly string[];
  /** The verdicts that mean the attack worked (the model did what it should not have). */
  success_verdicts: readonly string[];
  /**
   * The verdict; rejects with a ConnectorError when the judge model failed
   * or answered something that cannot be read (a judge error, never a verdict).
   */
  judge(input: JudgeInput, options: Record<string, unknown>, context: JudgeContext): JudgeVerdict | Promise<JudgeVerdict>;
}

/** A Judge whose judge() sees its options typed by its own schema. */
export function defineJudge<S extends z.ZodObject>(judge: Omit<Judge, 'options' | 'judge'> & {
  options: S;
  judge(input: JudgeInput, options: z.output<S>, context: JudgeContext): JudgeVerdict | Promise<JudgeVerdict>;
}): Judge {
  return judge as unknown as Judge;
}
