// Dataset runs: a dataset through a session, with attacks, attacker loops
// and a judge; progress, cancel, resume; results as RunResultRows. See
// docs/runs.md.
export {
  getLoop,
  listLoops,
  LOOPS,
  MAX_BACKOFFS,
  PERSONAS,
  type AttackerLoop,
  type JudgedTurn,
  type LoopContext,
  type LoopOutcome,
} from './loops';
export { RunService, type CancelOptions, type RunEvent, type RunResultsPage, type RunServiceOptions } from './runService';
export { DEFAULT_LOOP_METRIC, type RunPlanOptions } from './runPlan';
export { STOP_REASONS, type StopReason, type TurnLine } from './runFiles';
export { MAX_WINDOW, windowSize } from './runWindow';
