// Pending config changes: "Re-read" asks the daemon to re-read its config
// and shows what would change (reread); "Apply" applies it (update). For a
// changed group the daemon says which processes update would restart, add
// or remove (the engine's plan): the others keep running.

import { postJSON } from "./api.js";
import { confirmAction, errorToast, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);

const EXPLAIN = {
  added: "new: will be added and its autostart processes started",
  changed: "changed: only the processes whose settings changed will be restarted",
  removed: "removed: its processes will be stopped",
};

// "restarts a, b · adds c · removes d" from the daemon's plan for one group.
export function planText(plan) {
  if (!plan) return EXPLAIN.changed;
  const parts = [
    ["restarts", plan.restarted],
    ["adds", plan.added],
    ["stops and removes", plan.removed],
  ].filter(([, names]) => names && names.length).map(([verb, names]) => `${verb} ${names.join(", ")}`);
  return parts.length ? `changed: ${parts.join(" · ")}; the others keep running` : "changed: no process restarts";
}

export class ChangesPanel {
  constructor({ onClose }) {
    this.panel = $("changes");
    this.body = $("changes-body");
    this.apply = $("changes-apply");
    this.diff = null;
    $("changes-close").addEventListener("click", () => onClose());
    $("changes-reread").addEventListener("click", () => this.reread());
    this.apply.addEventListener("click", () => this.applyChanges());
  }

  get isOpen() { return !this.panel.hidden; }

  open() {
    this.panel.hidden = false;
    $("changes-reread").focus();
    this.reread();
  }

  close() {
    this.panel.hidden = true;
  }

  message(text, className = "muted") {
    const p = document.createElement(className === "error" ? "pre" : "p");
    p.className = className;
    p.textContent = text;
    this.body.replaceChildren(p);
  }

  async reread() {
    this.apply.disabled = true;
    this.message("Re-reading the configuration…");
    try {
      this.diff = await postJSON("api/v1/config/reread");
    } catch (err) {
      this.diff = null;
      this.message(`The configuration could not be read:\n${err.message}`, "error");
      return;
    }
    this.showDiff();
  }

  showDiff() {
    const d = this.diff;
    if (!d.pending) {
      this.message("No config changes: the running groups match the configuration file.");
      return;
    }
    const list = document.createElement("ul");
    for (const kind of ["added", "changed", "removed"]) {
      for (const group of d[kind]) {
        const li = document.createElement("li");
        li.dataset.kind = kind;
        const badge = document.createElement("span");
        badge.className = `badge badge-${kind}`;
        badge.textContent = kind;
        const name = document.createElement("strong");
        name.textContent = group;
        const why = document.createElement("span");
        why.className = "muted";
        why.textContent = kind === "changed" ? planText(d.plans?.[group]) : EXPLAIN[kind];
        li.append(badge, name, why);
        list.append(li);
      }
    }
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent =
      "Apply runs the equivalent of “minderctl update”: in a changed group only the " +
      "processes listed restart; the others keep their pid.";
    this.body.replaceChildren(list, note);
    this.apply.disabled = false;
    this.apply.focus();
  }

  async applyChanges() {
    const d = this.diff;
    const touched = [
      ...d.changed.map((group) => `${group}: ${planText(d.plans?.[group]).replace(/^changed: /, "")}`),
      ...d.removed.map((group) => `${group}: every process stops and the group is removed`),
    ];
    if (touched.length) {
      const ok = await confirmAction("Apply config changes?", `${touched.join("\n")}`, "Apply");
      if (!ok) return;
    }
    this.apply.disabled = true;
    this.message("Applying…");
    let result;
    try {
      result = await postJSON("api/v1/config/update");
    } catch (err) {
      this.message(`Applying the changes failed:\n${err.message}`, "error");
      errorToast("Apply", err);
      return;
    }
    const list = document.createElement("ul");
    for (const r of result.results) {
      const li = document.createElement("li");
      const badge = document.createElement("span");
      badge.className = `badge badge-${r.ok ? r.action : "failed"}`;
      badge.textContent = r.ok ? r.action : "failed";
      const name = document.createElement("strong");
      name.textContent = r.group;
      const msg = document.createElement("span");
      msg.className = "muted";
      // an in-place update says which programs it touched
      const touched = ["restarted", "added", "removed"]
        .filter((key) => r[key] && r[key].length)
        .map((key) => `${key}: ${r[key].join(", ")}`);
      msg.textContent = touched.length ? `${r.message} (${touched.join("; ")})` : r.message;
      li.append(badge, name, msg);
      list.append(li);
    }
    const failed = result.results.filter((r) => !r.ok);
    const head = document.createElement("p");
    head.textContent = result.results.length ? (failed.length ? "Applied with errors:" : "Applied:") : "Nothing to apply.";
    this.body.replaceChildren(head, list);
    if (failed.length) toast("Some changes failed", failed.map((r) => `${r.group}: ${r.message}`).join("\n"), { error: true });
    else toast("Config changes applied");
    this.diff = null;
  }
}
