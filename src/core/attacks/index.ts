// Attack modules: prompt transforms and attacker-model generators, and the
// chains that combine them. See docs/attacks-and-judges.md.
export { planAttack, type AttackPlan, type AttackRun, type AttackRunContext } from './attackPlan';
export { ATTACK_MODULES, attackModuleInfo, getAttackModule, listAttackModules, parseAttackOptions, transformPrompt } from './registry';
export { listedPrompts, maliciousQuestionMessages, paraphraseMessages } from './generators';
export { MAX_MODULE_VARIANTS, type AttackerCall, type AttackModule, type AttackVariant } from './types';
