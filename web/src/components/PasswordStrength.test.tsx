import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { checkPassword } from '@parley/protocol/password';
import { PasswordStrength } from './PasswordStrength';

const verdict = async () => (await screen.findByTestId('password-strength')).textContent;

describe('PasswordStrength', () => {
  it('shows the server rules’ verdict: too short, contains the email, guessable, good', async () => {
    const email = 'marta.lopez@example.com';
    const cases: Array<[string, string]> = [
      ['short1', 'Password strength: Too short'],
      ['marta.lopez-2024!', 'Password strength: The password must not contain your email address.'],
      ['password123', 'Password strength: Too easy to guess'],
      ['quiet orange lantern 42', 'Password strength: Strong'],
    ];
    for (const [password, label] of cases) {
      const { unmount } = render(<PasswordStrength password={password} email={email} />);
      expect(await verdict()).toBe(label);
      // The same verdict the gateway uses to answer weak_password.
      expect(checkPassword(password, { email }).problems.length === 0).toBe(label.endsWith('Strong'));
      unmount();
    }
  });

  it('shows nothing for an empty field', () => {
    render(<PasswordStrength password="" email="a@b.c" />);
    expect(screen.queryByTestId('password-strength')).toBeNull();
  });
});
