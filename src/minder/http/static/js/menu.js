// The per-process "⋯" menu: other log channel, clear logs, send a signal.
// One shared popover, placed next to the button that opened it; arrow
// keys move between items, Esc or a click elsewhere closes it.

const SIGNALLABLE = new Set(["RUNNING", "STARTING", "STOPPING"]);
const RESTARTABLE = new Set(["RUNNING", "STARTING", "BACKOFF", "STOPPED", "EXITED", "FATAL"]);
const ASK_FIRST = new Set(["INT", "TERM", "KILL"]);

export class RowMenu {
  constructor({ onLogs, onClear, onSignal, onRestart }) {
    this.menu = document.getElementById("row-menu");
    this.opener = null;
    this.proc = null;
    this.menu.addEventListener("click", (event) => {
      const item = event.target.closest("button");
      if (!item || item.disabled || !this.proc) return;
      const proc = this.proc;
      this.close();
      if (item.dataset.signal) onSignal(proc.namespec, item.dataset.signal, ASK_FIRST.has(item.dataset.signal));
      else if (item.dataset.menu === "clear") onClear(proc.namespec);
      else if (item.dataset.menu === "restart") onRestart(proc.namespec);
      else onLogs(proc.namespec, item.dataset.menu);
    });
    this.menu.addEventListener("keydown", (event) => {
      const items = [...this.menu.querySelectorAll("button:not(:disabled)")];
      const at = items.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowRight") {
        event.preventDefault();
        items[(at + 1) % items.length].focus();
      } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
        event.preventDefault();
        items[(at - 1 + items.length) % items.length].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      } else if (event.key === "Tab") {
        this.close();
      }
    });
    document.addEventListener("click", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) && event.target !== this.opener) this.close();
    }, true);
    window.addEventListener("resize", () => this.close());
    window.addEventListener("scroll", () => this.close(), true);
  }

  get isOpen() { return !this.menu.hidden; }

  toggle(proc, opener) {
    if (this.isOpen && this.opener === opener) { this.close(); return; }
    this.proc = proc;
    this.opener = opener;
    document.getElementById("row-menu-title").textContent = proc.namespec;
    const signallable = SIGNALLABLE.has(proc.statename);
    for (const b of this.menu.querySelectorAll("[data-signal]")) b.disabled = !signallable;
    this.menu.querySelector('[data-menu="restart"]').disabled = !RESTARTABLE.has(proc.statename);
    this.menu.querySelector('[data-menu="stderr"]').disabled = !proc.has_stderr;
    opener.setAttribute("aria-expanded", "true");
    this.menu.hidden = false;
    const r = opener.getBoundingClientRect();
    const w = this.menu.offsetWidth;
    const h = this.menu.offsetHeight;
    const left = Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8));
    const top = r.bottom + 4 + h > window.innerHeight ? Math.max(8, r.top - h - 4) : r.bottom + 4;
    this.menu.style.left = `${left}px`;
    this.menu.style.top = `${top}px`;
    this.menu.querySelector("button:not(:disabled)").focus();
  }

  close() {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    if (this.opener) {
      this.opener.setAttribute("aria-expanded", "false");
      if (document.activeElement === document.body || this.menu.contains(document.activeElement)) this.opener.focus();
    }
    this.opener = null;
    this.proc = null;
  }
}
