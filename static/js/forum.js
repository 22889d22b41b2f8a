// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* ignore */ }
  }

  function isDark() {
    var set = root.getAttribute("data-theme");
    if (set) return set === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  // 关灯 / 开灯
  var themeButton = document.querySelector(".js-toggle-theme");
  if (themeButton) {
    var paintThemeButton = function () {
      var dark = isDark();
      themeButton.textContent = themeButton.getAttribute(dark ? "data-dark" : "data-light");
      themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
    };
    themeButton.hidden = false;
    paintThemeButton();
    themeButton.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      store("forum-theme", next);
      paintThemeButton();
    });
  }

  // 开启左侧: the board navigation, remembered across pages.
  var navToggle = document.querySelector(".js-toggle-nav");
  function paintNav() {
    if (navToggle) navToggle.setAttribute("aria-expanded", root.classList.contains("nav-open") ? "true" : "false");
  }
  if (navToggle) {
    navToggle.addEventListener("click", function (event) {
      event.preventDefault();
      root.classList.toggle("nav-open");
      store("forum-nav", root.classList.contains("nav-open") ? "open" : "closed");
      paintNav();
    });
    paintNav();
  }
  var navClose = document.querySelector(".js-close-nav");
  if (navClose) {
    navClose.addEventListener("click", function (event) {
      event.preventDefault();
      root.classList.remove("nav-open");
      store("forum-nav", "closed");
      if (location.hash === "#sidenav") history.replaceState(null, "", location.pathname + location.search);
      paintNav();
    });
  }

  // 阅读模式, remembered in the browser.
  var readToggle = document.querySelector(".js-read-mode");
  if (readToggle) {
    var paintRead = function () {
      var on = root.classList.contains("read-mode");
      readToggle.textContent = on ? readToggle.getAttribute("data-off") : readToggle.getAttribute("data-on");
      readToggle.setAttribute("aria-pressed", on ? "true" : "false");
    };
    readToggle.addEventListener("click", function (event) {
      event.preventDefault();
      root.classList.toggle("read-mode");
      store("forum-read", root.classList.contains("read-mode") ? "on" : "off");
      paintRead();
    });
    paintRead();
  }

  // 复制链接
  document.querySelectorAll(".js-copy").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!navigator.clipboard) return; // fall back to following the link
      event.preventDefault();
      navigator.clipboard.writeText(link.href).then(function () {
        var original = link.textContent;
        link.textContent = link.getAttribute("data-copied");
        setTimeout(function () { link.textContent = original; }, 1500);
      });
    });
  });

  // Editor toolbar: wrap the selection (or insert at the caret), e.g. [hide]…[/hide].
  document.querySelectorAll(".editor-toolbar").forEach(function (bar) {
    var area = document.getElementById(bar.getAttribute("data-editor"));
    if (!area) return;
    bar.hidden = false;
    var imageButton = bar.querySelector(".tb-image");
    if (imageButton) {
      // Upload at once and place [attach]ID[/attach] at the caret (inside a [hide]
      // block if the caret is there); the form's own file input covers no-JS.
      var picker = document.createElement("input");
      picker.type = "file";
      picker.accept = "image/jpeg,image/png,image/gif,image/webp";
      picker.hidden = true;
      bar.appendChild(picker);
      imageButton.addEventListener("click", function () { picker.click(); });
      picker.addEventListener("change", function () {
        if (!picker.files.length) return;
        var token = area.form.querySelector("input[name=csrfmiddlewaretoken]");
        var body = new FormData();
        body.append("file", picker.files[0]);
        fetch(imageButton.getAttribute("data-upload"), {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": token ? token.value : "" }
        }).then(function (response) {
          return response.json().then(function (json) { return { ok: response.ok, json: json }; });
        }).then(function (result) {
          if (!result.ok) throw new Error(result.json.error);
          var at = area.selectionStart;
          area.value = area.value.slice(0, at) + result.json.markup + area.value.slice(at);
          area.focus();
        }).catch(function (error) {
          alert(error.message || imageButton.getAttribute("data-failed"));
        }).then(function () { picker.value = ""; });
      });
    }
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-before]");
      if (!button) return;
      var before = button.getAttribute("data-before");
      var after = button.getAttribute("data-after");
      var start = area.selectionStart, end = area.selectionEnd;
      var text = area.value;
      area.value = text.slice(0, start) + before + text.slice(start, end) + after + text.slice(end);
      area.focus();
      area.setSelectionRange(start + before.length, end + before.length);
    });
  });

  // Language switcher submits on change.
  document.querySelectorAll(".js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
