import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

/**
 * The password rules, written once: the gateway refuses a weak password with them (weak_password)
 * and the web client's strength meter shows the same verdict while the person types. Its own entry
 * point (`@parley/protocol/password`), since zxcvbn's dictionaries are large: the web client loads
 * it on demand.
 *
 * Rules: at least 10 characters, not containing the local part of the account's email, and a zxcvbn
 * score of at least 3 (catches common and guessable passwords).
 */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
export const PASSWORD_MIN_SCORE = 3;

export type PasswordProblem = 'too_short' | 'contains_email' | 'too_guessable';

export interface PasswordVerdict {
  /** zxcvbn's 0–4 (0 when a length or email rule failed first). */
  score: number;
  /** Empty: the server accepts it. */
  problems: PasswordProblem[];
  /** zxcvbn's English hint for a guessable password, if any. */
  warning: string | null;
}

let ready = false;
function ensureZxcvbn() {
  if (ready) return;
  zxcvbnOptions.setOptions({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  });
  ready = true;
}

export function checkPassword(
  password: string,
  context: { email: string; displayName?: string | undefined },
): PasswordVerdict {
  const problems: PasswordProblem[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push('too_short');
  const local = context.email.split('@')[0]?.trim().toLowerCase() ?? '';
  if (local.length >= 3 && password.toLowerCase().includes(local)) problems.push('contains_email');
  if (problems.length) return { score: 0, problems, warning: null };
  ensureZxcvbn();
  // zxcvbn's cost grows with length; the first 100 characters decide the score.
  const userInputs = [local, context.email.toLowerCase(), context.displayName ?? ''].filter(Boolean);
  const result = zxcvbn(password.slice(0, 100), userInputs);
  return {
    score: result.score,
    problems: result.score < PASSWORD_MIN_SCORE ? ['too_guessable'] : [],
    warning: result.feedback.warning || null,
  };
}
