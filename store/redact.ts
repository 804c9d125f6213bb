/**
 * Hides secrets in a destination URL before it reaches a log line, a REST answer or the
 * `url_redacted` column: the password in `user:pass@`, every query value (tokens, keys) and, for
 * RTMP-style URLs, the last path segment, which is the stream key.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not parseable: keep the scheme and host-looking prefix only.
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)/i.exec(raw);
    return m ? `${m[1].replace(/\/\/[^@/]*@/, '//***@')}/***` : '***';
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
  if (/^rtmps?:$|^srt:$/.test(url.protocol)) {
    const segments = url.pathname.split('/');
    // rtmp://host/app/key: the app stays visible, the key goes.
    if (segments.length > 2 && segments[segments.length - 1] !== '') segments[segments.length - 1] = '***';
    url.pathname = segments.join('/');
  }
  return url.toString().replace(/%2A/gi, '*');
}
