import { useEffect, useState } from 'react';
import { getProviders, type ActiveProviders } from '../api/me';

const LOCAL = new Set(['local', 'offline']);

export function localProviderNames(p: ActiveProviders): string[] {
  const names: string[] = [];
  if (LOCAL.has(p.stt)) names.push('speech recognition');
  if (LOCAL.has(p.tts)) names.push('voice');
  return names;
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const STAGE_NAMES = { stt: 'Speech recognition', llm: 'The language model', tts: 'The voice' } as const;

/** "Speech recognition (openai) is failing; deepgram answers instead." */
export function degradedSentence(d: ActiveProviders['degraded'][number]): string {
  const what = `${STAGE_NAMES[d.stage]} (${d.provider}) is failing`;
  return d.fallback ? `${what}; ${d.fallback} answers instead.` : `${what} and no other provider is left.`;
}

/**
 * Tells people when Parley runs on its built-in offline providers (issue 7), so quality is no
 * surprise, when calls cannot work at all because a speech engine is missing on the server, and
 * when a cloud provider is failing and calls run on its fallback (the agent reports failovers).
 */
export function ProvidersBanner() {
  const [providers, setProviders] = useState<ActiveProviders | null>(null);
  useEffect(() => {
    let live = true;
    getProviders()
      .then((p) => {
        if (live && p && typeof p === 'object') setProviders(p);
      })
      .catch(() => undefined); // no banner when the route is missing or the server is down
    return () => {
      live = false;
    };
  }, []);
  if (!providers) return null;
  const unavailable = Array.isArray(providers.unavailable) ? providers.unavailable : [];
  if (unavailable.length > 0)
    return (
      <div className="providers-banner providers-banner-problem" role="alert">
        <strong>Voice calls cannot work on this server.</strong>
        <ul>
          {unavailable.map((u) => (
            <li key={u}>{sentence(u)}.</li>
          ))}
        </ul>
      </div>
    );
  const degraded = Array.isArray(providers.degraded) ? providers.degraded : [];
  if (degraded.length > 0)
    return (
      <div className="providers-banner providers-banner-problem" role="alert">
        <strong>A provider is failing; calls go on with a fallback.</strong>
        <ul>
          {degraded.map((d) => (
            <li key={`${d.stage}:${d.provider}`}>{degradedSentence(d)}</li>
          ))}
        </ul>
      </div>
    );
  const names = localProviderNames(providers);
  const echo = providers.llm === 'offline';
  if (names.length === 0 && !echo) return null;
  return (
    <div className="providers-banner" role="note">
      <strong>Offline voice mode.</strong>
      {names.length > 0 && <> Local {names.join(' and ')} (this machine, no cloud).</>}
      {echo && <> No language model is set up, so Parley repeats what it heard.</>}
    </div>
  );
}
