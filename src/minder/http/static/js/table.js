// The process table: rows keyed by namespec and updated in place, so a
// state change touches one row (and its group's header) and keyboard focus
// is never lost to a re-render.

import { RUNNING_STATES, STARTABLE_STATES, bytesText, category, describe, exitText, noteServerTime, readiness, uptime } from "./format.js";

const GROUP_ACTIONS = [["start", "Start"], ["restart", "Restart"], ["rolling", "Rolling restart"], ["stop", "Stop"]];

export class ProcessTable {
  constructor({ tbody, template, empty, onAction, onGroupAction, onLogs, onMore, onChange }) {
    this.tbody = tbody;
    this.template = template;
    this.empty = empty;
    this.procs = new Map();
    this.members = new Map(); // group -> namespecs
    this.rows = new Map();
    this.groupRows = new Map();
    this.busy = new Set();
    this.queued = new Map();
    this.frame = 0;
    this.onChange = onChange ?? (() => {});
    this.filterText = "";
    this.show = "all";
    tbody.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || button.disabled) return;
      const groupRow = button.closest("tr.group-row");
      if (groupRow && button.dataset.groupAct) {
        onGroupAction(groupRow.dataset.group, button.dataset.groupAct);
        return;
      }
      const row = button.closest("tr.proc");
      if (!row) return;
      const act = button.dataset.act;
      if (act === "logs") onLogs(row.dataset.namespec);
      else if (act === "more") onMore(this.procs.get(row.dataset.namespec), button);
      else if (act) onAction(row.dataset.namespec, act);
    });
  }

  setAll(processes) {
    this.queued.clear(); // a full list supersedes queued single updates
    for (const p of processes) noteServerTime(p.now);
    const sameSet = processes.length === this.procs.size && processes.every((p) => this.rows.has(p.namespec));
    this.procs = new Map(processes.map((p) => [p.namespec, p]));
    this.members = new Map();
    for (const p of processes) {
      if (!this.members.has(p.group)) this.members.set(p.group, []);
      this.members.get(p.group).push(p.namespec);
    }
    if (sameSet) {
      // a reconnect's hello: refresh in place, keeping focus and scroll
      for (const p of processes) this.fillRow(this.rows.get(p.namespec), p);
      for (const group of this.groupRows.keys()) this.fillGroupRow(group);
      this.applyFilter();
    } else {
      this.render();
    }
  }

  // State changes arrive in bursts (stop all = two events per process);
  // they are applied once per animation frame, touching only changed rows.
  update(proc) {
    noteServerTime(proc.now);
    // an action's answer can arrive after newer stream events: keep the newest
    const current = this.queued.get(proc.namespec) ?? this.procs.get(proc.namespec);
    if (current && proc.now < current.now) return;
    this.queued.set(proc.namespec, proc);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const batch = [...this.queued.values()];
    this.queued.clear();
    if (batch.some((p) => !this.procs.has(p.namespec))) {
      for (const p of batch) this.procs.set(p.namespec, p);
      this.setAll([...this.procs.values()]);
      this.onChange();
      return;
    }
    const groups = new Set();
    for (const proc of batch) {
      this.procs.set(proc.namespec, proc);
      const row = this.rows.get(proc.namespec);
      this.fillRow(row, proc);
      // alternate two identical animations so each change restarts it
      // without forcing a layout
      const next = row.classList.contains("flash-a") ? "flash-b" : "flash-a";
      row.classList.remove("flash-a", "flash-b");
      row.classList.add(next);
      row.hidden = !this.matches(proc);
      groups.add(proc.group);
    }
    for (const group of groups) {
      this.fillGroupRow(group);
      const head = this.groupRows.get(group);
      if (head) head.hidden = this.groupMembers(group).every((p) => !this.matches(p));
    }
    this.empty.hidden = [...this.rows.values()].some((r) => !r.hidden);
    this.onChange();
  }

  groupMembers(group) {
    return (this.members.get(group) ?? []).map((ns) => this.procs.get(ns));
  }

  isGrouped(group) {
    const members = this.groupMembers(group);
    return members.length > 1 || (members.length === 1 && members[0].name !== group);
  }

  render() {
    this.rows.clear();
    this.groupRows.clear();
    const fragment = document.createDocumentFragment();
    const byGroup = new Map();
    for (const p of this.procs.values()) {
      if (!byGroup.has(p.group)) byGroup.set(p.group, []);
      byGroup.get(p.group).push(p);
    }
    for (const [group, members] of [...byGroup.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const grouped = this.isGrouped(group);
      if (grouped) {
        const head = this.makeGroupRow(group);
        this.groupRows.set(group, head);
        fragment.append(head);
      }
      for (const p of members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const row = this.template.content.firstElementChild.cloneNode(true);
        row.dataset.namespec = p.namespec;
        row.dataset.group = p.group;
        row.classList.toggle("in-group", grouped);
        this.fillRow(row, p);
        this.rows.set(p.namespec, row);
        fragment.append(row);
      }
      if (grouped) this.fillGroupRow(group);
    }
    this.tbody.replaceChildren(fragment); // the server's first rows go too
    this.tbody.dataset.rendered = "live";
    this.applyFilter();
  }

  makeGroupRow(group) {
    const tr = document.createElement("tr");
    tr.className = "group-row";
    tr.dataset.group = group;
    const th = document.createElement("th");
    th.colSpan = 11;
    th.scope = "rowgroup";
    const head = document.createElement("div");
    head.className = "group-head";
    const name = document.createElement("span");
    name.className = "group-name";
    name.textContent = group;
    const counts = document.createElement("span");
    counts.className = "group-counts";
    const progress = document.createElement("span");
    progress.className = "group-progress";
    progress.setAttribute("role", "status");
    progress.hidden = true;
    const actions = document.createElement("div");
    actions.className = "row-actions";
    for (const [act, label] of GROUP_ACTIONS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = act === "stop" ? "btn btn-sm btn-danger" : "btn btn-sm";
      b.dataset.groupAct = act;
      b.textContent = act === "rolling" ? label : `${label} group`;
      b.setAttribute("aria-label", `${label} every process of group ${group}`);
      actions.append(b);
    }
    head.append(name, counts, progress, actions);
    th.append(head);
    tr.append(th);
    return tr;
  }

  fillGroupRow(group) {
    const tr = this.groupRows.get(group);
    if (!tr) return;
    const members = this.groupMembers(group);
    const tally = new Map();
    for (const p of members) tally.set(p.statename, (tally.get(p.statename) ?? 0) + 1);
    tr.querySelector(".group-counts").textContent = [...tally.entries()]
      .map(([state, n]) => `${n} ${state.toLowerCase()}`)
      .join(" · ");
    const anyRunning = members.some((p) => RUNNING_STATES.has(p.statename));
    const anyStartable = members.some((p) => STARTABLE_STATES.has(p.statename));
    tr.querySelector('[data-group-act="start"]').disabled = !anyStartable;
    tr.querySelector('[data-group-act="stop"]').disabled = !anyRunning;
    tr.querySelector('[data-group-act="rolling"]').disabled = !anyRunning || this.rolling?.has(group);
  }

  fillRow(row, p) {
    const grouped = row.classList.contains("in-group");
    const nameButton = row.querySelector(".name");
    nameButton.textContent = grouped ? p.name : p.namespec;
    nameButton.title = `${p.command}\n(click for the log of ${p.namespec})`;
    row.querySelector(".group-tag").textContent = "";
    const state = row.querySelector(".state");
    state.textContent = p.statename;
    state.className = `state s-${p.statename}`;
    row.dataset.state = p.statename;
    row.querySelector(".col-pid").textContent = p.pid ? String(p.pid) : "";
    row.querySelector(".col-uptime").textContent = uptime(p);
    const desc = row.querySelector(".col-desc");
    desc.textContent = describe(p);
    desc.title = p.description;
    row.querySelector(".col-exit").textContent = exitText(p);
    const ready = readiness(p);
    const readyCell = row.querySelector(".col-ready");
    readyCell.textContent = ready.text;
    readyCell.className = `col-ready ${ready.cls}`;
    readyCell.title = ready.title;
    const restarts = row.querySelector(".col-restarts");
    restarts.textContent = p.restarts ? String(p.restarts) : "";
    restarts.title = p.last_exit ? `last exit: ${p.last_exit}` : "";
    // CPU and memory come from the periodic usage refresh (see usage()).
    if ("cpu_percent" in p) {
      row.querySelector(".col-cpu").textContent = p.cpu_percent === null ? "" : `${p.cpu_percent}%`;
      row.querySelector(".col-rss").textContent = bytesText(p.rss);
    }
    const running = RUNNING_STATES.has(p.statename);
    const busy = this.busy.has(p.namespec);
    const set = (act, visible) => {
      const b = row.querySelector(`[data-act="${act}"]:not(.name)`);
      b.hidden = !visible;
      b.disabled = busy;
      b.setAttribute("aria-label", `${b.textContent} ${p.namespec}`);
    };
    set("start", STARTABLE_STATES.has(p.statename));
    set("stop", running);
    set("restart", running);
    set("logs", true);
    const more = row.querySelector('[data-act="more"]');
    more.setAttribute("aria-label", `More actions for ${p.namespec}`);
    row.classList.toggle("busy", busy);
  }

  setBusy(namespecs, busy) {
    for (const ns of namespecs) {
      if (busy) this.busy.add(ns);
      else this.busy.delete(ns);
      const row = this.rows.get(ns);
      if (row) this.fillRow(row, this.procs.get(ns));
    }
  }

  setFilter(text, show) {
    this.filterText = text.trim().toLowerCase();
    this.show = show;
    this.applyFilter();
  }

  matches(p) {
    if (this.show !== "all" && category(p) !== this.show) return false;
    if (!this.filterText) return true;
    const hay = `${p.namespec} ${p.group} ${p.statename} ${p.description}`.toLowerCase();
    return this.filterText.split(/\s+/).every((word) => hay.includes(word));
  }

  applyFilter() {
    let visible = 0;
    const visibleGroups = new Set();
    for (const [ns, row] of this.rows) {
      const p = this.procs.get(ns);
      const ok = this.matches(p);
      row.hidden = !ok;
      if (ok) {
        visible += 1;
        visibleGroups.add(p.group);
      }
    }
    for (const [group, row] of this.groupRows) row.hidden = !visibleGroups.has(group);
    this.empty.hidden = visible > 0;
    this.empty.textContent = this.procs.size ? "No process matches." : "No processes are configured.";
  }

  counts() {
    const c = { all: 0, running: 0, stopped: 0, problem: 0 };
    for (const p of this.procs.values()) {
      c.all += 1;
      c[category(p)] += 1;
    }
    return c;
  }

  // ---- rolling restart progress (minder) ----------------------------------
  progressOf(group) {
    return this.groupRows.get(group)?.querySelector(".group-progress") ?? null;
  }

  rolloutStarted(group, total) {
    this.rolling = this.rolling ?? new Set();
    this.rolling.add(group);
    const el = this.progressOf(group);
    if (el) { el.hidden = false; el.textContent = `rolling restart 0/${total}…`; }
    this.fillGroupRow(group);
  }

  rolloutProgress(m) {
    // The stream and the POST's answer race: a step's event may arrive after
    // the answer said the rollout is over, and must not overwrite "done".
    if (this.closedRollouts?.has(m.rollout)) return;
    const group = m.namespec ? this.procs.get(m.namespec)?.group : null;
    if (!group) return;
    this.rolloutOf = this.rolloutOf ?? new Map();
    this.rolloutOf.set(group, m.rollout);
    const el = this.progressOf(group);
    if (!el) return;
    el.hidden = false;
    const what = { stopping: "stopping", starting: "starting", ready: "ready", failed: "FAILED" }[m.phase] ?? m.phase;
    el.textContent = `rolling restart ${m.done}/${m.total}: ${m.namespec} ${what}`;
    el.classList.toggle("failed", m.phase === "failed");
  }

  rolloutFinished(group, text) {
    this.rolling?.delete(group);
    const id = this.rolloutOf?.get(group);
    if (id !== undefined) {
      this.closedRollouts = this.closedRollouts ?? new Set();
      this.closedRollouts.add(id);
    }
    const el = this.progressOf(group);
    if (el) el.textContent = `rolling restart ${text}`;
    this.fillGroupRow(group);
  }

  // CPU % and memory are sampled by the server on request, not streamed:
  // merge a /processes answer into the rows without touching anything else.
  usage(processes) {
    for (const u of processes) {
      const p = this.procs.get(u.namespec);
      const row = this.rows.get(u.namespec);
      if (!p || !row) continue;
      p.cpu_percent = u.cpu_percent;
      p.rss = u.rss;
      row.querySelector(".col-cpu").textContent = u.cpu_percent === null ? "" : `${u.cpu_percent}%`;
      row.querySelector(".col-rss").textContent = bytesText(u.rss);
    }
  }

  tick() {
    for (const [ns, row] of this.rows) {
      const p = this.procs.get(ns);
      if (p.statename === "RUNNING") row.querySelector(".col-uptime").textContent = uptime(p);
    }
  }
}
