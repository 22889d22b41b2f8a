// Follow / unfollow in place. Without this file the forms post and the page reloads.
(function () {
  "use strict";

  function paint(userId, following) {
    document.querySelectorAll('.js-follow[data-user="' + userId + '"]').forEach(function (form) {
      var button = form.querySelector("button");
      var action = form.querySelector('input[name="action"]');
      action.value = following ? "unfollow" : "follow";
      button.textContent = button.getAttribute(following ? "data-label-unfollow" : "data-label-follow");
      button.setAttribute("aria-pressed", following ? "true" : "false");
      button.classList.toggle("is-following", following);
    });
  }

  function say(form, text) {
    var note = form.querySelector(".follow-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "follow-note";
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.textContent = text || "";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-follow") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.disabled) return;
    button.disabled = true;
    // getAttribute: the form's <input name="action"> shadows the form.action property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var data = result.data, userId = form.getAttribute("data-user");
      if (result.status === 401 && data.login) {
        window.location.href = data.login + "?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      say(form, data.error);
      if (typeof data.following === "boolean") paint(userId, data.following);
      document.querySelectorAll('.js-follow-summary[data-user="' + userId + '"]').forEach(function (el) {
        if (data.summary) el.textContent = data.summary;
      });
      document.querySelectorAll('.js-followers[data-user="' + userId + '"]').forEach(function (el) {
        if (typeof data.followers === "number") el.textContent = data.followers;
      });
    }).catch(function () {
      form.submit(); // fall back to the plain form post
    }).then(function () {
      button.disabled = false;
    });
  });
})();
