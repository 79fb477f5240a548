import { ref } from 'vue';
import { onAuthEvent } from 'auth-fetch-tabs/vue';
import type { Answer } from '../../shared/auth';

/** The app's "Last answer" card: the last API answer, or the error of the last action. */
const result = ref<Answer | null>(null);
const error = ref('');

/** Runs a button's action and shows its answer or its error. */
async function run(action: () => Promise<Answer | void>): Promise<void> {
  error.value = '';
  try {
    const answer = await action();
    if (answer) result.value = answer;
  } catch (caught) {
    error.value = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
  }
}

/** The card's state and `run`, shared by the views. */
export const useLastAnswer = () => ({ result, error, run });

/**
 * Called once, by App.vue: when the session ends (logout here or in another tab, a refused refresh),
 * the previous user's answer must not stay on the screen.
 */
export function clearAnswerOnSessionEnd(): void {
  onAuthEvent((event) => {
    if (event.type !== 'session:end') return;
    result.value = null;
    error.value = '';
  });
}
