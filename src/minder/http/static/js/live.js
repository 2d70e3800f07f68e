// The live event stream: one EventSource per page, reconnecting by itself.
// Every (re)connection starts with a full "hello", so nothing is missed
// while disconnected. The log viewer does not open a second stream (a
// browser allows only ~6 connections per host over HTTP/1.1, shared by
// all tabs): it changes which output this one carries, by reconnecting
// with another query.

export class LiveStream {
  constructor(handlers, onStatus) {
    this.handlers = handlers;
    this.onStatus = onStatus;
    this.query = null;
    this.source = null;
  }

  connect(query = "") {
    if (this.source && query === this.query) return;
    if (this.source) this.source.close();
    this.query = query;
    const source = new EventSource(`api/v1/events${query}`);
    this.source = source;
    this.onStatus("reconnecting");
    source.addEventListener("open", () => this.onStatus("live"));
    source.addEventListener("error", () => {
      this.onStatus(source.readyState === EventSource.CLOSED ? "down" : "reconnecting");
    });
    for (const [name, handler] of Object.entries(this.handlers)) {
      source.addEventListener(name, (event) => {
        if (source !== this.source) return;
        let payload;
        try { payload = JSON.parse(event.data); } catch { return; }
        handler(payload);
      });
    }
  }
}
