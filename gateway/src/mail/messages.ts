import type { OutgoingMail } from './mailer';

/**
 * The account messages: plain text plus a simple HTML alternative, no images, no tracking, one
 * link. Wording lives in MESSAGES by locale (English today; a locale added here is picked by the
 * `locale` argument, falling back to English).
 */
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Wording {
  subject: string;
  lines: string[];
  action?: string;
  after?: string[];
}

const MESSAGES = {
  en: {
    verify: (name: string): Wording => ({
      subject: 'Confirm your email address for Parley',
      lines: [`Hello ${name},`, 'Please confirm that this is your email address by opening the link below.'],
      action: 'Confirm email address',
      after: ['The link works once and for 24 hours.', 'If you did not create a Parley account, ignore this message.'],
    }),
    reset: (name: string): Wording => ({
      subject: 'Reset your Parley password',
      lines: [
        `Hello ${name},`,
        'Someone asked to reset the password of your Parley account. To choose a new one, open the link below.',
      ],
      action: 'Choose a new password',
      after: [
        'The link works once and for 30 minutes; asking again replaces it.',
        'Resetting signs you out everywhere. If you did not ask for this, ignore this message: your password stays as it is.',
      ],
    }),
    emailChanged: (name: string, newAddress: string): Wording => ({
      subject: 'Your Parley email address was changed',
      lines: [
        `Hello ${name},`,
        `The email address of your Parley account was changed to ${newAddress}. Messages now go there.`,
        'If you did not do this, reset your password from the sign-in page and contact your Parley administrator.',
      ],
    }),
    newDevice: (name: string, device: string, ip: string | null, when: string): Wording => ({
      subject: 'New sign-in to your Parley account',
      lines: [
        `Hello ${name},`,
        `Your account was just signed in from ${device}${ip ? ` (network ${ip})` : ''} at ${when}.`,
        'If this was you, there is nothing to do. If not, change your password and sign out the other sessions in Settings → Security.',
      ],
    }),
    webhookDisabled: (name: string, url: string, since: string): Wording => ({
      subject: 'A Parley webhook endpoint was turned off',
      lines: [
        `Hello ${name},`,
        `Parley could not deliver events to your webhook endpoint ${url} since ${since}, so it stopped sending to it. The events that were waiting were dropped.`,
        'Once the receiver works again, turn the endpoint back on in Settings → Webhooks.',
      ],
    }),
  },
};

export type MailLocale = keyof typeof MESSAGES;
const pick = (locale?: string) => MESSAGES[(locale as MailLocale) in MESSAGES ? (locale as MailLocale) : 'en'];

function render(to: string, w: Wording, link?: string): OutgoingMail {
  const text = [...w.lines, ...(link ? ['', link, ''] : ['']), ...(w.after ?? []), '', '— Parley'].join('\n');
  const p = (s: string) => `<p>${esc(s)}</p>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;max-width:36em">',
    ...w.lines.map(p),
    link ? `<p><a href="${esc(link)}">${esc(w.action ?? link)}</a></p><p style="font-size:small">${esc(link)}</p>` : '',
    ...(w.after ?? []).map(p),
    '<p>— Parley</p></body></html>',
  ].join('\n');
  return { to, subject: w.subject, text, html, ...(link ? { link } : {}) };
}

export const mails = {
  verifyEmail: (to: string, name: string, link: string, locale?: string) => render(to, pick(locale).verify(name), link),
  passwordReset: (to: string, name: string, link: string, locale?: string) =>
    render(to, pick(locale).reset(name), link),
  emailChanged: (to: string, name: string, newAddress: string, locale?: string) =>
    render(to, pick(locale).emailChanged(name, newAddress)),
  newDevice: (to: string, name: string, device: string, ip: string | null, locale?: string) =>
    render(to, pick(locale).newDevice(name, device, ip, new Date().toUTCString())),
  webhookDisabled: (to: string, name: string, url: string, since: Date, locale?: string) =>
    render(to, pick(locale).webhookDisabled(name, url, since.toUTCString())),
};
