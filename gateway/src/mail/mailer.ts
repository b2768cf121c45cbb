import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The message's one link, printed to the console when mail goes to files (no SMTP configured). */
  link?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Outgoing mail. With SMTP_URL: nodemailer over SMTP. Without (`npm start` on a laptop): each
 * message is written as an .eml file to DATA_DIR/mail and its link printed to the console, so the
 * flows still work; that console line is the delivery, not a log (pino never sees the link).
 */
export function createMailer(
  config: { smtpUrl?: string | undefined; from: string; dataDir: string; announce: boolean },
  logger: Logger,
): Mailer {
  const envelope = (m: OutgoingMail) => ({
    from: config.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
  });
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      async send(m) {
        await transport.sendMail(envelope(m));
      },
      close: () => transport.close(),
    };
  }
  const dir = path.resolve(config.dataDir, 'mail');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  logger.info({ dir }, 'no SMTP_URL: mail is written to files and its links printed to the console');
  return {
    async send(m) {
      const info = await transport.sendMail(envelope(m));
      await mkdir(dir, { recursive: true });
      const file = path.join(
        dir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`,
      );
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      if (config.announce)
        process.stdout.write(`\n  Mail "${m.subject}" written to ${file}${m.link ? `\n  Link: ${m.link}` : ''}\n\n`);
    },
    close: () => transport.close(),
  };
}

/** Sends without making the caller wait (and without its timing showing in the answer); failures are logged without the message. */
export function sendInBackground(
  mailer: Mailer,
  logger: Logger,
  kind: string,
  mail: OutgoingMail | Promise<OutgoingMail | null>,
) {
  void Promise.resolve(mail)
    .then((m) => (m ? mailer.send(m) : undefined))
    .catch((err: unknown) =>
      logger.error(
        { mail: kind, errName: (err as Error)?.name, errCode: (err as { code?: string })?.code },
        'sending mail failed',
      ),
    );
}
