// Applies the remembered theme before first paint (loaded synchronously in <head>).
(function () {
  try {
    var theme = localStorage.getItem("forum-theme");
    if (theme === "dark" || theme === "light") document.documentElement.setAttribute("data-theme", theme);
    if (localStorage.getItem("forum-nav") === "open") document.documentElement.classList.add("nav-open");
    if (localStorage.getItem("forum-read") === "on" && /^\/t\/\d+\/$/.test(location.pathname)) {
      document.documentElement.classList.add("read-mode");
    }
  } catch (e) { /* storage disabled: defaults apply */ }
})();
