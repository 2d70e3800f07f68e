// The live log viewer for one process channel or the main log.
//
// The file is read by byte offset (api/v1/.../log/<channel>?offset=N), so
// what is shown is exactly the file: nothing twice, nothing lost. The
// event stream only says "there is more" (and a slow timer covers a missed
// event). A channel without a file (stdout_logfile=NONE) shows the stream's
// own data instead. Output is stripped of ANSI escapes and only ever
// inserted as text nodes, so a child cannot inject markup.

import { ApiError, getJSON, postJSON, processPath } from "./api.js";
import { stripAnsi } from "./format.js";
import { confirmAction, errorToast, toast } from "./ui.js";

const MAX_CHARS = 2_000_000; // keep the page responsive on huge logs
const FIRST_READ = 256 * 1024;
const SAFETY_POLL_MS = 3000;

const $ = (id) => document.getElementById(id);

export class LogViewer {
  constructor({ onClose, onFollow }) {
    this.panel = $("logview");
    this.body = $("log-body");
    this.status = $("log-status");
    this.search = $("log-search");
    this.follow = $("log-follow");
    this.pauseButton = $("log-pause");
    this.onClose = onClose;
    this.onFollow = onFollow; // (query) -> the live stream carries this output
    this.target = null; // {kind: "process"|"main", namespec, channel, hasStderr}
    this.text = "";
    this.pending = "";
    this.paused = false;
    this.offset = null;
    this.inflight = false;
    this.again = false;
    this.liveOnly = false;
    this.matchIndex = -1;
    this.generation = 0;

    for (const tab of this.panel.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => {
        if (this.target && this.target.kind === "process") {
          this.open({ ...this.target, channel: tab.dataset.channel });
        }
      });
    }
    $("log-close").addEventListener("click", () => this.onClose());
    this.pauseButton.addEventListener("click", () => this.setPaused(!this.paused));
    $("log-wrap").addEventListener("click", (e) => {
      const on = this.body.classList.toggle("wrap");
      e.currentTarget.setAttribute("aria-pressed", String(on));
    });
    this.follow.addEventListener("change", () => { if (this.follow.checked) this.scrollToEnd(); });
    this.body.addEventListener("scroll", () => {
      const atEnd = this.body.scrollTop + this.body.clientHeight >= this.body.scrollHeight - 4;
      if (!atEnd && this.follow.checked && !this.autoScrolling) this.follow.checked = false;
      this.autoScrolling = false;
    });
    this.search.addEventListener("input", () => { this.matchIndex = -1; this.render(); });
    this.search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); this.nextMatch(e.shiftKey ? -1 : 1); }
    });
    $("log-clear").addEventListener("click", () => this.clear());
    $("stdin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendStdin();
    });
  }

  get isOpen() { return !this.panel.hidden; }

  open(target) {
    this.close(false);
    this.generation += 1;
    this.target = target;
    this.text = "";
    this.pending = "";
    this.offset = null;
    this.liveOnly = false;
    this.inflight = false; // a read of the previous target finishes unseen
    this.again = false;
    this.error = null;
    this.setPaused(false);
    this.follow.checked = true;
    this.body.replaceChildren();
    this.panel.hidden = false;
    const isMain = target.kind === "main";
    $("log-title").textContent = isMain ? "Main log" : target.namespec;
    this.panel.querySelector(".tabs").hidden = isMain;
    for (const tab of this.panel.querySelectorAll(".tab")) {
      const selected = tab.dataset.channel === target.channel;
      tab.setAttribute("aria-selected", String(selected));
      tab.disabled = tab.dataset.channel === "stderr" && !target.hasStderr;
      tab.title = tab.disabled ? "stderr is redirected to stdout or not logged" : "";
    }
    $("log-download").href = `${this.basePath()}/download`;
    $("log-download").setAttribute("download", "");
    $("log-clear").textContent = isMain ? "Clear main log" : "Clear logs";
    $("stdin-form").hidden = isMain;
    this.onFollow(isMain ? "?mainlog=1" : `?logs=${encodeURIComponent(target.namespec)}`);
    this.timer = setInterval(() => this.pull(), SAFETY_POLL_MS);
    this.pull();
    this.body.focus();
  }

  close(notify = true) {
    clearInterval(this.timer);
    this.panel.hidden = true;
    if (notify) {
      this.target = null;
      this.onFollow("");
    }
  }

  setStreamState(state) {
    this.streamState = state;
    if (this.target) this.showStatus();
  }

  basePath() {
    const t = this.target;
    return t.kind === "main" ? "api/v1/mainlog" : `${processPath(t.namespec)}/log/${t.channel}`;
  }

  onChunk(chunk) {
    if (!this.target) return;
    if (!chunk.main && (chunk.namespec !== this.target.namespec || chunk.channel !== this.target.channel)) return;
    if (this.liveOnly) this.append(chunk.data);
    else this.pull();
  }

  async pull() {
    if (!this.target || this.liveOnly) return;
    if (this.inflight) { this.again = true; return; }
    this.inflight = true;
    const generation = this.generation;
    try {
      do {
        this.again = false;
        const query = this.offset === null ? `?length=${FIRST_READ}` : `?offset=${this.offset}`;
        const piece = await getJSON(`${this.basePath()}${query}`);
        if (generation !== this.generation) return;
        if (piece.reset) {
          this.text = "";
          this.pending = "";
          this.body.replaceChildren();
          this.append("==> log file was truncated or rotated <==\n");
        }
        this.offset = piece.offset;
        if (piece.data) this.append(piece.data);
        if (piece.more) this.again = true;
        this.error = null;
      } while (this.again && generation === this.generation);
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof ApiError && err.name === "NO_FILE") {
        this.liveOnly = true; // no file to read: show the live output only
      } else {
        this.error = err.message;
      }
    } finally {
      if (generation === this.generation) {
        this.inflight = false;
        this.showStatus();
      }
    }
  }

  append(raw) {
    const text = stripAnsi(raw);
    if (!text) return;
    if (this.paused) {
      this.pending += text;
      this.showStatus();
      return;
    }
    this.text += text;
    if (this.text.length > MAX_CHARS) {
      this.text = this.text.slice(this.text.length - MAX_CHARS);
      this.render();
    } else if (this.search.value) {
      this.render();
    } else {
      this.body.append(document.createTextNode(text));
    }
    if (this.follow.checked) this.scrollToEnd();
  }

  render() {
    const term = this.search.value;
    const count = $("log-matches");
    if (!term) {
      this.body.textContent = this.text;
      count.textContent = "";
      if (this.follow.checked) this.scrollToEnd();
      return;
    }
    const fragment = document.createDocumentFragment();
    const lower = this.text.toLowerCase();
    const needle = term.toLowerCase();
    let from = 0;
    let n = 0;
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) {
      fragment.append(document.createTextNode(this.text.slice(from, at)));
      const mark = document.createElement("mark");
      mark.textContent = this.text.slice(at, at + needle.length);
      fragment.append(mark);
      from = at + needle.length;
      n += 1;
    }
    fragment.append(document.createTextNode(this.text.slice(from)));
    this.body.replaceChildren(fragment);
    count.textContent = n ? `${n} match${n === 1 ? "" : "es"}` : "no matches";
    if (n && this.matchIndex < 0) this.nextMatch(1);
  }

  nextMatch(step) {
    const marks = this.body.querySelectorAll("mark");
    if (!marks.length) return;
    marks[this.matchIndex]?.classList.remove("current");
    this.matchIndex = (this.matchIndex + step + marks.length) % marks.length;
    const mark = marks[this.matchIndex];
    mark.classList.add("current");
    this.follow.checked = false;
    mark.scrollIntoView({ block: "center" });
    $("log-matches").textContent = `${this.matchIndex + 1} of ${marks.length}`;
  }

  setPaused(paused) {
    this.paused = paused;
    this.pauseButton.setAttribute("aria-pressed", String(paused));
    this.pauseButton.textContent = paused ? "Resume" : "Pause";
    if (!paused && this.pending) {
      const held = this.pending;
      this.pending = "";
      this.append(held);
    }
    this.showStatus();
  }

  scrollToEnd() {
    this.autoScrolling = true;
    this.body.scrollTop = this.body.scrollHeight;
  }

  showStatus() {
    const parts = [];
    if (this.error) parts.push(`Error: ${this.error}`);
    else if (this.liveOnly) parts.push("No log file: showing live output only");
    else if (this.offset !== null) parts.push(`${this.offset.toLocaleString()} bytes`);
    if (this.paused) parts.push(`paused${this.pending ? ` — ${this.pending.length.toLocaleString()} new characters held` : ""}`);
    else if (this.streamState === "live") parts.push("following live");
    else if (this.streamState) parts.push(this.streamState);
    this.status.textContent = parts.join(" · ");
  }

  async sendStdin() {
    const input = $("stdin-input");
    const t = this.target;
    if (!t || t.kind !== "process") return;
    try {
      await postJSON(`${processPath(t.namespec)}/stdin`, { data: `${input.value}\n` });
      input.value = "";
    } catch (err) {
      errorToast(`Send to the stdin of ${t.namespec}`, err);
    }
  }

  async clear() {
    const t = this.target;
    if (!t) return;
    const what = t.kind === "main" ? "the main log" : `the stdout and stderr logs of ${t.namespec}`;
    if (!(await confirmAction("Clear log?", `This deletes ${what}. It cannot be undone.`, "Clear"))) return;
    try {
      await postJSON(t.kind === "main" ? "api/v1/mainlog/clear" : `${processPath(t.namespec)}/clear`);
      toast("Log cleared");
      this.open(t);
    } catch (err) {
      errorToast("Clearing the log", err);
    }
  }
}
