// Follow / unfollow and 收藏 (favorite) in place. Without this file the forms post and
// the page reloads.
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

  function showFollow(form, data) {
    var userId = form.getAttribute("data-user");
    say(form, data.error);
    if (typeof data.following === "boolean") paint(userId, data.following);
    document.querySelectorAll('.js-follow-summary[data-user="' + userId + '"]').forEach(function (el) {
      if (data.summary) el.textContent = data.summary;
    });
    document.querySelectorAll('.js-followers[data-user="' + userId + '"]').forEach(function (el) {
      if (typeof data.followers === "number") el.textContent = data.followers;
    });
  }

  function showFavorite(form, data) {
    say(form, data.error);
    if (typeof data.favorited !== "boolean") return;
    var button = form.querySelector("button");
    form.querySelector('input[name="action"]').value = data.favorited ? "remove" : "add";
    button.textContent = button.getAttribute(data.favorited ? "data-label-remove" : "data-label-add");
    button.setAttribute("aria-pressed", data.favorited ? "true" : "false");
    button.classList.toggle("is-favorited", data.favorited);
  }

  // Which forms are sent in place, and what paints the answer.
  var KINDS = { "js-follow": showFollow, "js-favorite": showFavorite };

  document.addEventListener("submit", function (event) {
    var form = event.target, show = null;
    if (!form.classList || !window.fetch) return;
    Object.keys(KINDS).forEach(function (name) {
      if (form.classList.contains(name)) show = KINDS[name];
    });
    if (!show) return;
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
      if (result.status === 401 && result.data.login) {
        window.location.href = result.data.login + "?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      show(form, result.data);
    }).catch(function () {
      form.submit(); // fall back to the plain form post
    }).then(function () {
      button.disabled = false;
    });
  });
})();
