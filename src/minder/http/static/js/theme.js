// Runs before first paint (a classic script in <head>) so a chosen theme
// never flashes the other one. No choice stored = follow the system.
(function () {
  try {
    var chosen = localStorage.getItem("minder-theme");
    if (chosen === "light" || chosen === "dark") {
      document.documentElement.setAttribute("data-theme", chosen);
    }
  } catch (e) { /* storage disabled: follow the system */ }
})();
