// The dashboard: wires the live stream to the table, the buttons to the
// JSON API, and the URL hash to the open panel (#log=<name>&ch=stdout,
// #mainlog, #changes) so views can be bookmarked and Back closes them.

import { getJSON, postJSON, processPath } from "./api.js";
import { ChangesPanel } from "./changes.js";
import { STARTABLE_STATES } from "./format.js";
import { LiveStream } from "./live.js";
import { LogViewer } from "./logview.js";
import { RowMenu } from "./menu.js";
import { ProcessTable } from "./table.js";
import { confirmAction, errorToast, isDialogOpen, showBanner, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const VERBS = { start: "Started", stop: "Stopped", restart: "Restarted", clear: "Cleared the logs of" };

const table = new ProcessTable({
  tbody: $("rows"),
  template: $("row-template"),
  empty: $("empty"),
  onAction: processAction,
  onGroupAction: (group, action) => (action === "rolling"
    ? rollingRestart(group)
    : bulkAction(`api/v1/groups/${encodeURIComponent(group)}`, action, `group ${group}`, (p) => p.group === group)),
  onLogs: (namespec) => go(logHash(namespec, "stdout")),
  onMore: (proc, button) => menu.toggle(proc, button),
  onChange: () => refreshCounts(),
});
const menu = new RowMenu({
  onLogs: (namespec, channel) => go(logHash(namespec, channel)),
  onClear: clearLogs,
  onSignal: sendSignal,
  onRestart: (namespec) => processAction(namespec, "restart"),
});
const viewer = new LogViewer({ onClose: () => go(""), onFollow: (query) => stream.connect(query) });
const changes = new ChangesPanel({ onClose: () => go("") });
let show = "all";

// ---- live state ----------------------------------------------------------
function setDaemon(daemon) {
  $("ident").textContent = daemon.identification;
  const pill = $("daemon-state");
  pill.textContent = daemon.statename;
  pill.className = `pill s-${daemon.statename}`;
  $("footer-version").textContent = `minder ${daemon.version} (supervisor ${daemon.supervisor_version} compatible) · pid ${daemon.pid}`;
  $("btn-mainlog").disabled = !daemon.has_main_log;
  identification = daemon.identification;
  refreshTitle();
}

let identification = "";
let problems = 0;

// A tab in the background still says when something is wrong.
function refreshTitle() {
  const base = identification ? `${identification} · minder` : "minder";
  document.title = problems ? `(${problems} ✖) ${base}` : base;
}

function refreshCounts() {
  const c = table.counts();
  for (const key of Object.keys(c)) $(`count-${key}`).textContent = String(c[key]);
  if (c.problem !== problems) {
    problems = c.problem;
    refreshTitle();
  }
}

function setConnection(state) {
  viewer.setStreamState(state);
  const conn = $("conn");
  conn.className = `conn ${state}`;
  conn.textContent = state === "live" ? "live" : state === "down" ? "disconnected" : "reconnecting…";
}

let greeted = false;
const stream = new LiveStream({
  hello: (m) => { greeted = true; setDaemon(m.daemon); table.setAll(m.processes); refreshCounts(); route(); refreshUsage(); },
  resync: (m) => { setDaemon(m.daemon); table.setAll(m.processes); refreshCounts(); },
  process: (m) => { if (m.process) table.update(m.process); },
  rollout: (m) => table.rolloutProgress(m),
  groups: (m) => { table.setAll(m.processes); refreshCounts(); },
  supervisor: (daemon) => setDaemon(daemon),
  log: (chunk) => viewer.onChunk(chunk),
  mainlog: (line) => viewer.onChunk({ data: line.data, main: true }),
}, setConnection);
stream.connect("");

// Should the stream be slow to open (a buffering proxy), show a first
// picture from plain requests; the stream's hello supersedes it.
Promise.all([getJSON("api/v1/daemon"), getJSON("api/v1/processes")]).then(([daemon, procs]) => {
  if (greeted) return;
  setDaemon(daemon);
  table.setAll(procs);
  refreshCounts();
  route();
}).catch((err) => showBanner(`Cannot reach the daemon: ${err.message}`, { error: true }));

setInterval(() => table.tick(), 1000);

// CPU and memory are sampled when asked; refresh them while the page is seen.
const USAGE_EVERY_MS = 5000;
function refreshUsage() {
  if (document.hidden) return;
  getJSON("api/v1/processes").then((procs) => table.usage(procs)).catch(() => {});
}
setInterval(refreshUsage, USAGE_EVERY_MS);

// ---- actions -------------------------------------------------------------
async function processAction(namespec, action) {
  table.setBusy([namespec], true);
  try {
    const result = await postJSON(`${processPath(namespec)}/${action}`, { wait: true });
    table.update(result.process);
    toast(`${VERBS[action]} ${namespec}`);
  } catch (err) {
    errorToast(`${action[0].toUpperCase()}${action.slice(1)} ${namespec}`, err);
    try { table.update(await getJSON(processPath(namespec))); } catch { /* stream will tell */ }
  } finally {
    table.setBusy([namespec], false);
  }
}

async function clearLogs(namespec) {
  const ok = await confirmAction("Clear logs?", `This deletes the stdout and stderr logs of ${namespec}. It cannot be undone.`, "Clear");
  if (!ok) return;
  try {
    await postJSON(`${processPath(namespec)}/clear`);
    toast(`Cleared the logs of ${namespec}`);
  } catch (err) {
    errorToast(`Clear the logs of ${namespec}`, err);
  }
}

async function sendSignal(namespec, signal, askFirst) {
  if (askFirst && !(await confirmAction(`Send SIG${signal}?`, `Send SIG${signal} to ${namespec}?`, `Send ${signal}`))) return;
  try {
    await postJSON(`${processPath(namespec)}/signal`, { signal });
    toast(`Sent SIG${signal} to ${namespec}`);
  } catch (err) {
    errorToast(`Signal ${namespec}`, err);
  }
}

async function bulkAction(base, action, label, member) {
  const members = [...table.procs.values()].filter(member);
  if (action !== "start") {
    const running = members.filter((p) => !STARTABLE_STATES.has(p.statename)).length;
    const plural = (n) => `${n} process${n === 1 ? "" : "es"}`;
    const text = action === "stop"
      ? `This will stop ${plural(running)} of ${label}.`
      : `This will stop ${plural(running)} and then start all ${plural(members.length)} of ${label}.`;
    const ok = await confirmAction(
      `${action === "stop" ? "Stop" : "Restart"} ${label}?`,
      text,
      action === "stop" ? "Stop" : "Restart",
    );
    if (!ok) return;
  }
  const names = members.map((p) => p.namespec);
  table.setBusy(names, true);
  try {
    const { results } = await postJSON(`${base}/${action}`, { wait: true });
    const failed = results.filter((r) => r.statusname !== "SUCCESS");
    if (failed.length) {
      toast(`${failed.length} of ${results.length} failed`, failed.map((r) => `${r.namespec}: ${r.description}`).join("\n"), { error: true });
    } else {
      toast(results.length ? `${VERBS[action]} ${results.length} process${results.length === 1 ? "" : "es"} (${label})` : `Nothing to ${action} in ${label}`);
    }
  } catch (err) {
    errorToast(`${action} ${label}`, err);
  } finally {
    table.setBusy(names, false);
  }
}

// minder: restart a group one process at a time, each ready before the next.
// Progress arrives on the stream ("rollout" events) and shows in the group row.
async function rollingRestart(group) {
  const members = [...table.procs.values()].filter((p) => p.group === group);
  const ok = await confirmAction(
    `Rolling restart of ${group}?`,
    `Restarts the ${members.length} processes of ${group} one at a time, each ready before the next. The first failure stops it; the rest keep running.`,
    "Rolling restart",
  );
  if (!ok) return;
  table.rolloutStarted(group, members.length);
  try {
    const { results } = await postJSON("api/v1/rolling-restart", { names: [`${group}:*`], batch: 1 });
    const failed = results.find((r) => r.outcome === "failed");
    const restarted = results.filter((r) => r.outcome === "restarted").length;
    if (failed) {
      toast(`Rolling restart of ${group} stopped at ${failed.namespec}`, `${restarted} of ${results.length} restarted; ${failed.detail}`, { error: true });
    } else {
      toast(`Rolling restart of ${group}: ${restarted} restarted`);
    }
    table.rolloutFinished(group, failed ? `stopped at ${failed.namespec}` : "done");
  } catch (err) {
    errorToast(`Rolling restart of ${group}`, err);
    table.rolloutFinished(group, "failed");
  }
}

for (const button of document.querySelectorAll("[data-all]")) {
  button.addEventListener("click", () => bulkAction("api/v1/all", button.dataset.all, "all processes", () => true));
}

// ---- filter ----------------------------------------------------------------
const filter = $("filter");
filter.addEventListener("input", () => table.setFilter(filter.value, show));
for (const chip of document.querySelectorAll(".chip")) {
  chip.addEventListener("click", () => {
    show = chip.dataset.show;
    for (const c of document.querySelectorAll(".chip")) c.setAttribute("aria-pressed", String(c === chip));
    table.setFilter(filter.value, show);
  });
}

// ---- theme -----------------------------------------------------------------
function toggleTheme() {
  const root = document.documentElement;
  const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  root.dataset.theme = dark ? "light" : "dark";
  try { localStorage.setItem("minder-theme", root.dataset.theme); } catch { /* not persisted */ }
}
$("btn-theme").addEventListener("click", toggleTheme);

// ---- routing: which panel is open --------------------------------------
function logHash(namespec, channel) {
  return `#log=${encodeURIComponent(namespec)}&ch=${channel}`;
}

function go(hash) {
  if (location.hash === hash || (!hash && !location.hash)) {
    route();
  } else if (hash) {
    location.hash = hash; // fires hashchange -> route()
  } else {
    history.pushState(null, "", location.pathname + location.search);
    route();
  }
}

// Keyboard users get focus back where they were when a panel closes.
let focusBeforePanel = null;

function rememberFocus() {
  if (!viewer.isOpen && !changes.isOpen) focusBeforePanel = document.activeElement;
}

function restoreFocus() {
  const target = focusBeforePanel;
  focusBeforePanel = null;
  if (target && target.isConnected && target !== document.body) target.focus();
}

function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const wasOpen = viewer.isOpen || changes.isOpen;
  if (params.has("log") || params.has("mainlog") || params.has("changes")) rememberFocus();
  if (params.has("log")) {
    const namespec = params.get("log");
    const proc = table.procs.get(namespec);
    const channel = params.get("ch") === "stderr" ? "stderr" : "stdout";
    changes.close();
    const t = viewer.target;
    if (!viewer.isOpen || !t || t.namespec !== namespec || t.channel !== channel) {
      viewer.open({ kind: "process", namespec, channel, hasStderr: proc ? proc.has_stderr : true });
    }
  } else if (params.has("mainlog")) {
    changes.close();
    if (!viewer.isOpen || viewer.target?.kind !== "main") viewer.open({ kind: "main", channel: "main" });
  } else if (params.has("changes")) {
    viewer.close();
    if (!changes.isOpen) changes.open();
  } else {
    viewer.close();
    changes.close();
    if (wasOpen) restoreFocus();
  }
}
window.addEventListener("hashchange", route);

for (const tab of document.querySelectorAll("#logview .tab")) {
  tab.addEventListener("click", () => {
    if (viewer.target?.kind === "process") history.replaceState(null, "", logHash(viewer.target.namespec, tab.dataset.channel));
  });
}
$("btn-changes").addEventListener("click", () => go("#changes"));
$("btn-mainlog").addEventListener("click", () => go("#mainlog"));

// supervisord bookmarks: tail.html?processname=x opens that log. The outcome
// of a confirmed legacy action comes in a <meta> the server wrote (never from
// the URL: a link must not be able to put words in our banner).
(function legacyEntry() {
  const query = new URLSearchParams(location.search);
  const notice = document.querySelector('meta[name="minder-notice"]');
  const message = notice ? notice.content : "";
  if (message) showBanner(message, { error: message.startsWith("ERROR") });
  const processname = query.get("processname");
  if (location.pathname.endsWith("tail.html") && processname && !location.hash) {
    history.replaceState(null, "", logHash(processname, "stdout"));
  } else if (query.has("notice") || query.has("message")) {
    history.replaceState(null, "", location.pathname.replace(/index\.html$/, "") + location.hash);
  }
})();

// ---- keyboard ------------------------------------------------------------
document.addEventListener("keydown", (event) => {
  if (isDialogOpen() || menu.isOpen || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target.closest("input, textarea, select");
  if (event.key === "Escape") {
    if (typing && event.target.value) return; // let Esc clear the field first
    if (viewer.isOpen || changes.isOpen) { event.preventDefault(); go(""); }
    else if (typing) event.target.blur();
    return;
  }
  if (typing) return;
  if (event.key === "/") {
    event.preventDefault();
    (viewer.isOpen ? $("log-search") : filter).focus();
  } else if (event.key === "m") go("#mainlog");
  else if (event.key === "c") go("#changes");
  else if (event.key === "t") toggleTheme();
  else if (viewer.isOpen && event.key === "f") $("log-follow").click();
  else if (viewer.isOpen && event.key === "p") $("log-pause").click();
});
