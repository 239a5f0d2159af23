// Agent console: wait timers, socket status with a polling fallback, heartbeats, queue order,
// new-handoff notifications and keyboard shortcuts. Content always comes from the server.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var status = document.getElementById("live-status");
  var socket = null;
  var heartbeat = null;

  function formatWait(seconds) {
    if (seconds < 60) return seconds + "s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + "m " + (seconds % 60) + "s";
    return Math.floor(minutes / 60) + "h " + (minutes % 60) + "m";
  }

  function tickWaits() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = formatWait(Math.max(0, Math.floor((now - since) / 1000)));
    });
  }

  function sortQueue() {
    var list = document.getElementById("queue-rows");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.querySelectorAll(":scope > li"));
    rows.sort(function (a, b) {
      var rank = Number(a.dataset.rank) - Number(b.dataset.rank);
      return rank || Date.parse(a.dataset.queued) - Date.parse(b.dataset.queued);
    });
    rows.forEach(function (row) { list.appendChild(row); });
  }

  function setStatus(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  // While the socket is down, the live regions poll the server; the server renders the
  // polling attributes when asked with ?poll=1, so each answer keeps polling going.
  function startPolling() {
    document.querySelectorAll("[data-poll-url]").forEach(function (el) {
      if (el.hasAttribute("hx-trigger")) return;
      el.setAttribute("hx-get", el.dataset.pollUrl);
      el.setAttribute("hx-trigger", "every 5s");
      el.setAttribute("hx-swap", "outerHTML");
      htmx.process(el);
    });
  }

  function resync() {
    document.querySelectorAll("[data-poll-url]").forEach(function (el) {
      var url = el.dataset.pollUrl.replace(/[?&]poll=1/, "");
      htmx.ajax("GET", url, { target: "#" + el.id, swap: "outerHTML" });
    });
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio: the notification still shows */ }
  }

  function notifyNewHandoff(message) {
    if (!live || live.dataset.notify !== "1") return;
    var match = /data-new-handoff="([^"]*)"/.exec(message);
    if (!match) return;
    beep();
    if (window.Notification && Notification.permission === "granted") {
      var text = document.createElement("textarea");
      text.innerHTML = match[1];
      new Notification("New handoff waiting", { body: text.value, tag: "handover-queue" });
    }
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    setStatus("live", "Live");
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = setInterval(function () {
      socket.send(JSON.stringify({ type: "heartbeat" }));
    }, 25000);
    resync();
  });

  document.addEventListener("htmx:wsClose", function () {
    if (heartbeat) clearInterval(heartbeat);
    socket = null;
    setStatus("polling", "Live updates paused — checking every 5 s");
    startPolling();
  });

  // A poll that was already under way when the socket came back must not restart polling.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var path = evt.detail.requestConfig && evt.detail.requestConfig.path;
    if (socket && path && path.indexOf("poll=1") >= 0) evt.preventDefault();
  });

  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    sortQueue();
    tickWaits();
    notifyNewHandoff(String(evt.detail.message));
    var transcript = document.getElementById("transcript");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
  });

  var enable = document.getElementById("enable-notifications");
  if (enable && window.Notification && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", function () {
      Notification.requestPermission().then(function () { enable.hidden = true; });
    });
  }

  document.addEventListener("keydown", function (evt) {
    var reply = document.getElementById("reply-text");
    if (!reply) return;
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && evt.target === reply) {
      evt.preventDefault();
      htmx.trigger(reply.form, "submit");
    }
    // Alt+R, whatever the browser's own access-key modifiers are.
    if (evt.altKey && !evt.ctrlKey && !evt.metaKey && evt.code === "KeyR") {
      evt.preventDefault();
      reply.focus();
    }
  });

  var transcript = document.getElementById("transcript");
  if (transcript) transcript.scrollTop = transcript.scrollHeight;
  tickWaits();
  setInterval(tickWaits, 1000);
})();
