/**
 * The one pending "is the caller back?" deadline of a call. When it runs out `onExpire` gets the
 * reason of the wait that set it. A longer wait replaces a shorter pending one (a LiveKit restart's
 * CALLER_REJOIN_MS outlasts a session swap's 1.5 s, and its reason is the one that counts); a
 * shorter one never cuts a longer one short.
 */
export class CallerWait<Reason> {
  #timer: NodeJS.Timeout | undefined;
  #until = 0;

  constructor(private readonly onExpire: (reason: Reason) => void) {}

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Waits `ms` for the caller; false if a wait lasting at least as long is already pending. */
  start(reason: Reason, ms: number): boolean {
    const until = Date.now() + ms;
    if (this.#timer && this.#until >= until) return false;
    clearTimeout(this.#timer);
    this.#until = until;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.onExpire(reason);
    }, ms);
    this.#timer.unref();
    return true;
  }

  /** The caller is back (or the call is over): nothing ends. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
