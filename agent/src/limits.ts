/**
 * When a call with a limit ends and when the caller is warned (issue 22). The agent counts from
 * when it joined the call; the page counts down to the same instants, published as participant
 * attributes (protocol/src/call-limits.ts).
 */
export interface LimitSchedule {
  /** When the agent ends the call with limit_reached (ms since the epoch). */
  endsAt: number;
  /** When the caller is warned: `warnSeconds` before the end, or at once for a shorter call. */
  warnAt: number;
  /** Whether to warn at all (warnSeconds > 0). */
  warns: boolean;
}

export function limitSchedule(startMs: number, maxCallSeconds: number, warnSeconds: number): LimitSchedule {
  const endsAt = startMs + maxCallSeconds * 1000;
  return { endsAt, warnAt: Math.max(startMs, endsAt - warnSeconds * 1000), warns: warnSeconds > 0 };
}

const WARNINGS: Record<string, (seconds: number) => string> = {
  en: (n) => `Heads up: this call ends in ${n} seconds, because of the time limit.`,
  es: (n) => `Aviso: esta llamada termina en ${n} segundos por el límite de tiempo.`,
  fr: (n) => `Attention : cet appel se termine dans ${n} secondes, à cause de la limite de temps.`,
  de: (n) => `Hinweis: Dieser Anruf endet in ${n} Sekunden, wegen des Zeitlimits.`,
  it: (n) => `Attenzione: questa chiamata termina tra ${n} secondi per il limite di tempo.`,
  pt: (n) => `Atenção: esta chamada termina daqui a ${n} segundos, por causa do limite de tempo.`,
  nl: (n) => `Let op: dit gesprek eindigt over ${n} seconden vanwege de tijdslimiet.`,
  ja: (n) => `お知らせです。時間制限のため、この通話はあと${n}秒で終了します。`,
  hi: (n) => `ध्यान दें: समय सीमा के कारण यह कॉल ${n} सेकंड में समाप्त हो जाएगी।`,
};

/** What the agent says when the call's limit is near, in the caller's language (seconds ≥ 2). */
export function limitWarningFor(language: string, seconds: number): string {
  return (WARNINGS[language] ?? WARNINGS.en!)(seconds);
}
