import { useEffect, useState } from 'react';
import { getProviders, type ActiveProviders } from '../api/me';

const LOCAL = new Set(['local', 'offline']);

export function localProviderNames(p: ActiveProviders): string[] {
  const names: string[] = [];
  if (LOCAL.has(p.stt)) names.push('speech recognition');
  if (LOCAL.has(p.llm)) names.push(p.llm === 'offline' ? 'replies (no language model configured — Parley repeats what it heard)' : 'language model');
  if (LOCAL.has(p.tts)) names.push('speech synthesis');
  return names;
}

/** Tells people when Parley runs on its built-in offline providers (issue 7), so quality is no surprise. */
export function ProvidersBanner() {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    getProviders()
      .then((p) => live && p && typeof p === 'object' && setNames(localProviderNames(p)))
      .catch(() => undefined); // no banner when the route is missing or the server is down
    return () => {
      live = false;
    };
  }, []);
  if (names.length === 0) return null;
  return (
    <div className="providers-banner" role="note">
      <strong>Offline voice mode.</strong> Running on this machine’s built-in providers for {names.join(', ')}. Expect a robotic voice and rougher
      recognition than with cloud providers.
    </div>
  );
}
