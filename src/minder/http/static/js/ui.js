// Toasts, the confirm dialog and the banner. Text goes in with
// textContent only: messages can contain process names and fault text.

const toasts = document.getElementById("toasts");

export function toast(title, detail = "", { error = false, timeout } = {}) {
  const box = document.createElement("div");
  box.className = error ? "toast error" : "toast";
  box.setAttribute("role", error ? "alert" : "status");
  const body = document.createElement("div");
  body.className = "toast-body";
  const strong = document.createElement("span");
  strong.className = "toast-title";
  strong.textContent = title;
  body.append(strong);
  if (detail) body.append(document.createTextNode(detail));
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn btn-sm";
  close.textContent = "✕";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => box.remove());
  box.append(body, close);
  toasts.append(box);
  const ms = timeout ?? (error ? 12000 : 3500);
  if (ms > 0) setTimeout(() => box.remove(), ms);
  while (toasts.children.length > 5) toasts.firstElementChild.remove();
  return box;
}

export function errorToast(what, err) {
  const detail = err && err.message ? err.message : String(err);
  toast(`${what} failed`, detail, { error: true });
}

const dialog = document.getElementById("confirm");

export function confirmAction(title, text, okLabel = "Confirm") {
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

export function isDialogOpen() {
  return dialog.open;
}

const banner = document.getElementById("banner");

export function showBanner(text, { error = false } = {}) {
  banner.replaceChildren();
  const span = document.createElement("span");
  span.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn btn-sm";
  close.textContent = "Dismiss";
  close.addEventListener("click", () => { banner.hidden = true; });
  banner.append(span, close);
  banner.classList.toggle("error", error);
  banner.hidden = false;
}
