// Judges (Moonshot: metrics) that score one answer. See docs/attacks-and-judges.md.
export {
  attackSucceeded,
  getJudge,
  JUDGES,
  listMetrics,
  planJudge,
  REFUSAL_METRICS,
  type JudgePlan,
  type JudgeRunContext,
} from './registry';
export {
  harmScaleMessages,
  parseHarmRating,
  parseRefusalAnswer,
  parseRubricAnswer,
  refusalJudgeMessages,
  rubricJudgeMessages,
} from './modelJudges';
export { findRefusalPhrase, REFUSAL_PHRASES } from './refusalPhrases';
export { refusalByPhrases } from './refusalStrings';
export type { Judge, JudgeInput, JudgeVerdict } from './types';
