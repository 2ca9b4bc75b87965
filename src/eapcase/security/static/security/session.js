/* Warns before the idle logout. The server ends idle sessions on its own
   (eapcase.security.sessions); this script only tells the user in time and offers
   "Stay logged in". It never extends the session by itself: it asks how long is left with a GET
   that the server does not count as activity, and only the user's click is a POST. */
(function () {
  "use strict";
  var body = document.body;
  var box = document.getElementById("session-warning");
  if (!box || !body.dataset.sessionSeconds) {
    return;
  }
  var form = box.querySelector("form");
  var text = document.getElementById("session-warning-text");
  var url = form.getAttribute("action");
  var warnSeconds = Number(body.dataset.sessionWarnSeconds) || 120;
  var deadline = Date.now() + Number(body.dataset.sessionSeconds) * 1000;
  var timer = null;
  var ticker = null;

  function toLogin(loginUrl) {
    var here = window.location.pathname + window.location.search;
    window.location.assign((loginUrl || "/accounts/login/") + "?next=" + encodeURIComponent(here));
  }

  function schedule() {
    window.clearTimeout(timer);
    var wait = deadline - Date.now() - warnSeconds * 1000;
    timer = window.setTimeout(check, Math.max(wait, 1000));
  }

  function left() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function show() {
    box.hidden = false;
    window.clearInterval(ticker);
    ticker = window.setInterval(function () {
      var s = left();
      var minutes = Math.floor(s / 60);
      var seconds = String(s % 60).padStart(2, "0");
      text.textContent = "You will be logged out in " + minutes + ":" + seconds +
        " because you have not done anything for a while.";
      if (s <= 0) {
        window.clearInterval(ticker);
        check();
      }
    }, 1000);
  }

  function hide() {
    box.hidden = true;
    window.clearInterval(ticker);
  }

  function answer(response) {
    if (!response.ok) {
      return response.json().then(function (data) { toLogin(data.login); }, function () { toLogin(); });
    }
    return response.json().then(function (data) {
      deadline = Date.now() + data.seconds * 1000;
      if (data.seconds <= 0) {
        toLogin(data.login);
      } else if (data.seconds <= warnSeconds) {
        show();
      } else {
        hide();
        schedule();
      }
    }, function () { toLogin(); });
  }

  /* Another tab may have been used meanwhile: ask the server before warning. */
  function check() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(answer, function () { schedule(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(answer, function () { form.submit(); });
  });

  schedule();
})();
