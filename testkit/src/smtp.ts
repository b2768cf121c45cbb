import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the SMTP server received it, parsed. */
export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Every http(s) link in the text part. */
  links: string[];
  raw: ParsedMail;
}

function received(mail: ParsedMail, to: string[]): ReceivedMail {
  const text = mail.text ?? '';
  return {
    to,
    from: mail.from?.text ?? '',
    subject: mail.subject ?? '',
    text,
    html: typeof mail.html === 'string' ? mail.html : '',
    links: text.match(/https?:\/\/\S+/g) ?? [],
    raw: mail,
  };
}

/** Parses a message written as a file (the gateway's no-SMTP fallback in DATA_DIR/mail). */
export async function readMailFile(file: string): Promise<ReceivedMail> {
  const mail = await simpleParser(await readFile(file));
  const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) =>
    a.value.map((v) => v.address ?? ''),
  );
  return received(mail, to);
}

/**
 * A real SMTP server in process (smtp-server) that parses what it receives (mailparser). STARTTLS
 * is not offered: nodemailer would otherwise upgrade and fail on smtp-server's built-in test
 * certificate. Point the gateway at it with SMTP_URL=`url`.
 */
export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  static async start(): Promise<TestSmtpServer> {
    const holder: { self?: TestSmtpServer } = {};
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            holder.self!.receive(
              mail,
              session.envelope.rcptTo.map((r) => r.address),
            );
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.server.address() as AddressInfo;
    holder.self = new TestSmtpServer(server, `smtp://127.0.0.1:${port}`);
    return holder.self;
  }

  private receive(mail: ParsedMail, to: string[]) {
    this.messages.push(received(mail, to));
    for (const w of this.waiters.splice(0)) w();
  }

  /** Messages sent to `address` (case-insensitive). */
  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  private readonly taken = new Set<ReceivedMail>();

  /**
   * Waits for the oldest message to `address` matching `match` that no earlier waitFor returned
   * (so two resets in a row give the first message, then the second).
   */
  async waitFor(
    address: string,
    match: (m: ReceivedMail) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.to(address).find((m) => !this.taken.has(m) && match(m));
      if (found) {
        this.taken.add(found);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching mail to ${address} within ${timeoutMs} ms (got ${this.to(address).length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The token in a message's link (`…#token=<token>`). */
  static tokenOf(mail: ReceivedMail): string {
    const link = mail.links.find((l) => l.includes('#token='));
    if (!link) throw new Error(`no token link in "${mail.subject}"`);
    return link.split('#token=')[1]!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
