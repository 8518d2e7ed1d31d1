// An attack's progress and outcome in words, the same in the chat panel's
// bar and in VS Code's progress notification.
import type { Attack } from '../core/schemas';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The chain as it reads: "charswap_attack → base64". */
export const chainText = (attack: Pick<Attack, 'attack_modules'>) => attack.attack_modules.join(' → ');

/** "12 of 40 answers"; before the variants exist, what the attack is doing. */
export function attackProgressText(attack: Attack): string {
  if (attack.total === 0) {
    if (!attack.attacker_endpoint) return 'making the variants…';
    return `asking the attacker ${attack.attacker_endpoint}${attack.attacker_calls ? ` (${plural(attack.attacker_calls, 'call')} so far)` : ''}…`;
  }
  return `${attack.done} of ${attack.total} answers`;
}

/** How it ended: "done: 10 variants, 20 of 20 answers", "cancelled at 12 of 40 answers", "failed: <why>". */
export function attackOutcomeText(attack: Attack): string {
  const made = `${plural(attack.variants, 'variant')}, ${attack.done} of ${plural(attack.total, 'answer')}${attack.truncated ? ' (cut at 100 variants)' : ''}`;
  switch (attack.status) {
    case 'running':
      return attackProgressText(attack);
    case 'done':
      return `done: ${made}`;
    case 'cancelled':
      return `cancelled at ${attack.done} of ${plural(attack.total, 'answer')}`;
    case 'failed':
      return `failed: ${attack.error ?? 'no reason given'}`;
    case 'interrupted':
      return `interrupted: ${attack.error ?? 'the process running it ended'}`;
  }
}
