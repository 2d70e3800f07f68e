// Runs before first paint (a classic script in <head>) so a chosen theme
// never flashes the other one. No choice stored = follow the system.
// It also marks the page as scripted, which shows the controls that need
// JavaScript (.js-only); without it the server-rendered page still reads.
(function () {
  document.documentElement.classList.add("js");
  try {
    var chosen = localStorage.getItem("minder-theme");
    if (chosen === "light" || chosen === "dark") {
      document.documentElement.setAttribute("data-theme", chosen);
    }
  } catch (e) { /* storage disabled: follow the system */ }
})();
