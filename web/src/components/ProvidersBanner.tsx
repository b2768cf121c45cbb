import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { MissingSpeechEngine } from '@parley/protocol';
import { getProviders, type ActiveProviders } from '../api/me';
import { firstLoad } from '../lib/firstLoad';

const LOCAL = new Set(['local', 'offline']);

/** The engines that run on this machine, as the banner names them ("speech recognition", "voice"). */
export function localProviderNames(p: ActiveProviders, t: TFunction): string[] {
  const names: string[] = [];
  if (LOCAL.has(p.stt)) names.push(t('providers.localStt'));
  if (LOCAL.has(p.tts)) names.push(t('providers.localTts'));
  return names;
}

// A server whose agent does not report missing engines as data yet: its own (English) sentence.
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "Speech recognition is not installed on the server: the program … was not found (apt-get install …)." */
export function missingEngineSentence(m: MissingSpeechEngine, t: TFunction): string {
  const vars = { engine: t(m.stage === 'stt' ? 'providers.sttEngine' : 'providers.ttsEngine'), name: m.name };
  return m.missing === 'program'
    ? t('providers.missingProgram', { ...vars, package: m.package })
    : t('providers.missingModel', { ...vars, package: m.package });
}

/**
 * Why calls cannot hear or speak, one sentence per missing engine in the UI language (the banner,
 * the call page); a server whose agent reports no data gets its own English sentences shown.
 */
export function speechMissingSentences(
  p: Pick<ActiveProviders, 'unavailable' | 'missingEngines'>,
  t: TFunction,
): string[] {
  const missing = Array.isArray(p.missingEngines) ? p.missingEngines : [];
  if (missing.length > 0) return missing.map((m) => missingEngineSentence(m, t));
  return (Array.isArray(p.unavailable) ? p.unavailable : []).map((u) => `${sentence(u)}.`);
}

/** "Speech recognition (openai) is failing; deepgram answers instead." */
export function degradedSentence(d: ActiveProviders['degraded'][number], t: TFunction): string {
  const vars = { stage: t(`providers.${d.stage}`), provider: d.provider };
  return d.fallback
    ? t('providers.failingFallback', { ...vars, fallback: d.fallback })
    : t('providers.failingNoFallback', vars);
}

/**
 * Tells people when Parley runs on its built-in offline providers (issue 7), so quality is no
 * surprise, when calls cannot work at all because a speech engine is missing on the server, and
 * when a cloud provider is failing and calls run on its fallback (the agent reports failovers).
 */
export function ProvidersBanner() {
  const { t, i18n } = useTranslation();
  // The page load's answer when it came before the first render (main.tsx waits for it, capped), so the
  // note is there from the first paint instead of pushing the page down when it arrives.
  // The page load's answer as it stood at the first render: main.tsx waits for it (capped), so the note
  // is there from the first paint instead of pushing the page down when it arrives.
  const [early] = useState(() => {
    const e = firstLoad()?.providers;
    return { promise: e?.promise, result: e?.result };
  });
  const [providers, setProviders] = useState<ActiveProviders | null>(() =>
    early.result?.ok && early.result.value && typeof early.result.value === 'object' ? early.result.value : null,
  );
  useEffect(() => {
    if (early.result) return; // answered (or failed: no banner) before the first render
    let live = true;
    (early.promise ?? getProviders())
      .then((p) => {
        if (live && p && typeof p === 'object') setProviders(p);
      })
      .catch(() => undefined); // no banner when the route is missing or the server is down
    return () => {
      live = false;
    };
  }, [early]);
  if (!providers) return null;
  const missing = speechMissingSentences(providers, t);
  if (missing.length > 0)
    return (
      <div className="providers-banner providers-banner-problem" role="alert">
        <strong>{t('providers.unavailableTitle')}</strong>
        <ul>
          {missing.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      </div>
    );
  const degraded = Array.isArray(providers.degraded) ? providers.degraded : [];
  if (degraded.length > 0)
    return (
      <div className="providers-banner providers-banner-problem" role="alert">
        <strong>{t('providers.degradedTitle')}</strong>
        <ul>
          {degraded.map((d) => (
            <li key={`${d.stage}:${d.provider}`}>{degradedSentence(d, t)}</li>
          ))}
        </ul>
      </div>
    );
  const names = localProviderNames(providers, t);
  const echo = providers.llm === 'offline';
  if (names.length === 0 && !echo) return null;
  const what = new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(names);
  return (
    <div className="providers-banner" role="note">
      <strong>{t('providers.offlineTitle')}</strong>
      {names.length > 0 && <> {t('providers.local', { what })}</>}
      {echo && <> {t('providers.echo')}</>}
    </div>
  );
}
