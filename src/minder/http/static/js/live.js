// The live event stream: one EventSource, reconnecting by itself. Every
// (re)connection starts with a full "hello", so nothing is missed while
// disconnected.

export function openStream(query, handlers, onStatus = () => {}) {
  const source = new EventSource(`api/v1/events${query}`);
  source.addEventListener("open", () => onStatus("live"));
  source.addEventListener("error", () => {
    onStatus(source.readyState === EventSource.CLOSED ? "down" : "reconnecting");
  });
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      let payload;
      try { payload = JSON.parse(event.data); } catch { return; }
      handler(payload);
    });
  }
  return source;
}
