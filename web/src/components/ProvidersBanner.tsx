import { useEffect, useState } from 'react';
import { getProviders, type ActiveProviders } from '../api/me';

const LOCAL = new Set(['local', 'offline']);

export function localProviderNames(p: ActiveProviders): string[] {
  const names: string[] = [];
  if (LOCAL.has(p.stt)) names.push('speech recognition');
  if (LOCAL.has(p.tts)) names.push('voice');
  return names;
}

/** Tells people when Parley runs on its built-in offline providers (issue 7), so quality is no surprise. */
export function ProvidersBanner() {
  const [names, setNames] = useState<string[]>([]);
  const [echo, setEcho] = useState(false);
  useEffect(() => {
    let live = true;
    getProviders()
      .then((p) => {
        if (!live || !p || typeof p !== 'object') return;
        setNames(localProviderNames(p));
        setEcho(p.llm === 'offline');
      })
      .catch(() => undefined); // no banner when the route is missing or the server is down
    return () => {
      live = false;
    };
  }, []);
  if (names.length === 0 && !echo) return null;
  return (
    <div className="providers-banner" role="note">
      <strong>Offline voice mode.</strong>
      {names.length > 0 && <> Local {names.join(' and ')} (this machine, no cloud).</>}
      {echo && <> No language model is set up, so Parley repeats what it heard.</>}
    </div>
  );
}
