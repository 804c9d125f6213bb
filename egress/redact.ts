/**
 * Stream keys never reach logs, errors or the database: an RTMP URL keeps scheme, host and app
 * and loses the rest (the key, and any query string that may carry a token):
 *   rtmp://a.rtmp.youtube.com/live2/abcd-efgh  ->  rtmp://a.rtmp.youtube.com/live2/****
 * User info (rtmp://user:pass@host) is dropped too.
 */
export function redactRtmpUrl(url: string): string {
  const match = /^(rtmps?|rtmpt|rtmpe):\/\/(?:[^@/]*@)?([^/?#]+)(\/[^/?#]*)?/i.exec(url);
  if (!match) return '****';
  const [, scheme, host, app] = match;
  return `${scheme}://${host}${app ?? ''}/****`;
}

/** The parts of an RTMP URL that must not be shown (key path, query, user info), for redactText. */
export function rtmpSecrets(url: string): string[] {
  const match = /^(?:rtmps?|rtmpt|rtmpe):\/\/(?:([^@/]*)@)?[^/?#]+(?:\/[^/?#]*)?(.*)$/i.exec(url);
  if (!match) return [url];
  const rest = (match[2] ?? '').replace(/^\//, '');
  const [path, query] = rest.split('?');
  const secrets = [match[1], rest, path, query].filter((s): s is string => !!s && s.length >= 4);
  // Longest first, so a key is not half-replaced by a shorter secret contained in it.
  return [...new Set(secrets)].sort((a, b) => b.length - a.length);
}

/**
 * Replaces every RTMP URL inside free text (ffmpeg's stderr, error messages), and any of the
 * given secrets wherever they appear on their own (ffmpeg also prints the play path alone).
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/\b(rtmps?|rtmpt|rtmpe):\/\/[^\s'"]+/gi, (url) => redactRtmpUrl(url));
  for (const secret of secrets) out = out.split(secret).join('****');
  return out;
}
