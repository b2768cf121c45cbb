import type { EndReason } from '@parley/protocol';
import { i18n } from '../i18n';

/** How a call ended, in words for the caller (call page and history); an unknown reason shows as sent. */
export const endReasonText = (r: EndReason | 'never_connected' | string | null | undefined): string | null =>
  r ? (i18n.exists(`endReason.${r}`) ? i18n.t(`endReason.${r}` as 'endReason.caller_left') : r) : null;
