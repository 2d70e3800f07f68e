// Small pure helpers for turning process data into display text.

export const RUNNING_STATES = new Set(["RUNNING", "STARTING", "BACKOFF"]);
export const STARTABLE_STATES = new Set(["STOPPED", "EXITED", "FATAL"]);
export const PROBLEM_STATES = new Set(["FATAL", "BACKOFF", "UNKNOWN"]);

let clockSkew = 0; // server time minus browser time, in seconds

export function noteServerTime(serverNow) {
  if (serverNow) clockSkew = serverNow - Date.now() / 1000;
}

export function serverNow() {
  return Date.now() / 1000 + clockSkew;
}

export function uptime(proc) {
  if (proc.statename !== "RUNNING" || !proc.start) return "";
  let s = Math.max(0, Math.floor(serverNow() - proc.start));
  const days = Math.floor(s / 86400);
  s %= 86400;
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n, i) => (i === 0 ? String(n) : String(n).padStart(2, "0")))
    .join(":");
  return days ? `${days}d ${hms}` : hms;
}

// supervisord's RUNNING description repeats the pid and a frozen uptime,
// which the table already shows live; say when it started instead.
export function describe(proc) {
  if (proc.next_start) {
    // A paced restart, a BACKOFF retry or a FATAL cool-down: when the next try is.
    const next = new Date(proc.next_start * 1000).toLocaleTimeString();
    const why = proc.spawnerr && proc.statename !== "EXITED" ? `${proc.spawnerr}; ` : "";
    return `${why}next try at ${next}`;
  }
  if (proc.statename !== "RUNNING" || !proc.start) return proc.description;
  const started = new Date(proc.start * 1000);
  const sameDay = started.toDateString() === new Date().toDateString();
  const when = sameDay ? started.toLocaleTimeString() : started.toLocaleString();
  return `running since ${when}`;
}

export function exitText(proc) {
  if (!["EXITED", "FATAL", "BACKOFF"].includes(proc.statename) || !proc.stop) return "";
  return proc.exitstatus === -1 ? "signal" : String(proc.exitstatus);
}

export function category(proc) {
  if (PROBLEM_STATES.has(proc.statename)) return "problem";
  if (RUNNING_STATES.has(proc.statename) || proc.statename === "STOPPING") return "running";
  return "stopped";
}

// ESC [ ... final byte, ESC ] ... BEL/ST, and lone two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text) {
  return text.replace(ANSI, "");
}

// minder's readiness column: "ready", "not ready" (with why), or nothing
// for a process that is not running.
export function readiness(proc) {
  if (!RUNNING_STATES.has(proc.statename)) return { text: "", cls: "", title: "" };
  const why = [proc.last_answer, proc.status].filter(Boolean).join(" — ");
  if (proc.health_failures) return { text: `failing ${proc.health_failures}×`, cls: "ready-bad", title: why };
  if (proc.ready) return { text: "ready", cls: "ready-yes", title: why };
  return { text: "not ready", cls: "ready-wait", title: why || proc.waiting || "" };
}

export function bytesText(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n < 10 && i ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
