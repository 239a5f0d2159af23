// Agent console: wait timers against their targets, socket status with a polling fallback,
// heartbeats, queue order, new-handoff notifications, typing signals, saved replies and keyboard
// shortcuts. Content always comes from the server.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var socket = null;
  var heartbeat = null;

  function formatWait(seconds) {
    if (seconds < 60) return seconds + "s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + "m " + (seconds % 60) + "s";
    return Math.floor(minutes / 60) + "h " + (minutes % 60) + "m";
  }

  // The row's colour follows its clock: amber from half its waiting target, red past it (the
  // server renders the state a row has when it is sent; the clock moves it on).
  function waitState(seconds, target) {
    if (!target) return null;
    if (seconds >= target) return "over";
    return seconds >= target / 2 ? "half" : "";
  }

  function tickWaits() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) return;
      var seconds = Math.max(0, Math.floor((now - since) / 1000));
      el.textContent = formatWait(seconds);
      var state = waitState(seconds, Number(el.dataset.target));
      var row = el.closest("[data-wait-state]");
      if (state !== null && row && row.dataset.waitState !== state) row.dataset.waitState = state;
    });
  }

  function sortQueue() {
    var list = document.getElementById("queue-rows");
    if (!list || (list.dataset.sort && list.dataset.sort !== "urgent")) return;
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

  // Each live region fetched again once the socket is open (what changed while it was down);
  // settled when all are swapped in.
  function resync() {
    var fetches = [];
    document.querySelectorAll("[data-poll-url]").forEach(function (el) {
      var url = el.dataset.pollUrl.replace(/[?&]poll=1/, "");
      fetches.push(htmx.ajax("GET", url, { target: "#" + el.id, swap: "outerHTML" }));
    });
    return Promise.allSettled(fetches);
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

  // A new handoff in the agent's queues, on whichever console screen they are: the sound
  // always; the browser notification only while the tab is hidden (the alert line in the nav,
  // and on the queue the row, show it otherwise), and only with the agent's permission.
  // Clicking it opens the case.
  var alertLine = document.getElementById("new-handoff-alert");
  function notifyNewHandoff(message) {
    if (!alertLine || alertLine.dataset.notify !== "1") return;
    if (message.indexOf('id="new-handoff-alert"') < 0) return;
    var link = alertLine.querySelector("a[data-new-handoff]");
    if (!link) return;
    beep();
    if (document.visibilityState === "hidden" && window.Notification &&
        Notification.permission === "granted") {
      var shown = new Notification("New handoff waiting",
        { body: link.dataset.newHandoff, tag: "handover-queue" });
      shown.onclick = function () {
        window.focus();
        shown.close();
        window.location.assign(link.href);
      };
    }
  }

  // After a queue change the server renders the queue again with the filters in the URL and
  // their counts; the row the socket brought shows meanwhile (CSS hides it under a filter).
  // The whole queue, which the socket sends on connect, is current already: fetching it again
  // would replace the rows under an agent's click once the page says "Live".
  var queueRefresh = null;
  function refreshQueue(message) {
    if (!document.getElementById("queue") || message.indexOf("id=\"handoff-") < 0) return;
    if (message.indexOf("id=\"queue\"") >= 0) return;
    if (queueRefresh) clearTimeout(queueRefresh);
    queueRefresh = setTimeout(function () {
      queueRefresh = null;
      var el = document.getElementById("queue");
      var url = el.dataset.pollUrl.replace(/[?&]poll=1/, "");
      htmx.ajax("GET", url, { target: "#queue", swap: "outerHTML" });
    }, 300);
  }

  // "Ana is replying…" and "Maria is typing…" fade once no new signal has come for a while.
  var typingFades = {};
  function fadeTyping(message) {
    // The message itself ends its writer's "is typing".
    [["customer-typing", "message from-customer"], ["agent-typing", "message from-agent"]]
      .forEach(function (pair) {
        var typing = document.getElementById(pair[0]);
        if (typing && message.indexOf(pair[1]) >= 0) typing.textContent = "";
      });
    var match = /id="([\w-]+)" class="typing"/.exec(message);
    if (!match) return;
    var id = match[1];
    if (typingFades[id]) clearTimeout(typingFades[id]);
    typingFades[id] = setTimeout(function () {
      var el = document.getElementById(id);
      if (el) el.textContent = "";
    }, 5000);
  }

  var typedAt = 0;
  document.addEventListener("input", function (evt) {
    if (!socket || !evt.target.dataset || evt.target.dataset.typing !== "1") return;
    if (Date.now() - typedAt < 2500) return;
    typedAt = Date.now();
    socket.send(JSON.stringify({ type: "typing" }));
  });

  // "Live" once the page is current: the socket is open and the regions fetched again have
  // been swapped in (a click before that could land on a row the resync then replaces).
  document.addEventListener("htmx:wsOpen", function (evt) {
    var opened = evt.detail.socketWrapper;
    socket = opened;
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = setInterval(function () {
      socket.send(JSON.stringify({ type: "heartbeat" }));
    }, 25000);
    resync().then(function () {
      if (socket === opened) setStatus("live", "Live");
    });
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
    var message = String(evt.detail.message);
    sortQueue();
    tickWaits();
    notifyNewHandoff(message);
    refreshQueue(message);
    fadeTyping(message);
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

  // Saved replies: "/" at the start of a line in the reply box opens the search; arrows move
  // through the matches, Enter or a click inserts one (filled by the server), Escape goes back.
  function savedPanel() { return document.getElementById("saved-replies"); }

  function closeSaved(reply) {
    var panel = savedPanel();
    if (panel) panel.open = false;
    if (reply) reply.focus();
  }

  function insertSaved(button) {
    var reply = document.getElementById("reply-text");
    if (!reply) return;
    var start = reply.selectionStart, end = reply.selectionEnd;
    var text = button.dataset.text;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    closeSaved(reply);
    // A placeholder the case could not fill is selected, ready to be typed over.
    var gap = /\[[a-z ]+\]/.exec(text);
    if (gap) reply.setSelectionRange(start + gap.index, start + gap.index + gap[0].length);
    else reply.setSelectionRange(start + text.length, start + text.length);
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest(".saved-reply");
    if (button) insertSaved(button);
  });

  document.addEventListener("keydown", function (evt) {
    var panel = savedPanel();
    if (!panel || !panel.contains(evt.target)) return;
    var buttons = Array.prototype.slice.call(panel.querySelectorAll(".saved-reply"));
    var at = buttons.indexOf(evt.target);
    if (evt.key === "Escape") {
      evt.preventDefault();
      closeSaved(document.getElementById("reply-text"));
    } else if (evt.key === "ArrowDown" && buttons.length) {
      evt.preventDefault();
      buttons[Math.min(at + 1, buttons.length - 1)].focus();
    } else if (evt.key === "ArrowUp" && at >= 0) {
      evt.preventDefault();
      (at === 0 ? panel.querySelector("#saved-reply-search") : buttons[at - 1]).focus();
    } else if (evt.key === "Enter" && evt.target.id === "saved-reply-search" && buttons.length) {
      evt.preventDefault();
      insertSaved(buttons[0]);
    }
  });

  document.addEventListener("keydown", function (evt) {
    var reply = document.getElementById("reply-text");
    if (!reply) return;
    if (evt.key === "/" && evt.target === reply && savedPanel()) {
      var before = reply.value.slice(0, reply.selectionStart);
      if (before === "" || before.slice(-1) === "\n") {
        evt.preventDefault();
        savedPanel().open = true;
        document.getElementById("saved-reply-search").focus();
        return;
      }
    }
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
