// The customer chat: keep the newest message in view and the cursor in the message box, say
// when the customer is typing (at most every few seconds; nothing is stored) and let the
// agent's "is typing" fade once no new signal comes.
(function () {
  "use strict";
  var socket = null;
  var typedAt = 0;
  var typingFade = null;

  document.addEventListener("htmx:wsOpen", function (event) { socket = event.detail.socketWrapper; });
  document.addEventListener("htmx:wsClose", function () { socket = null; });
  document.addEventListener("input", function (event) {
    if (!socket || event.target.id !== "id_text" || Date.now() - typedAt < 2500) return;
    typedAt = Date.now();
    socket.send(JSON.stringify({ type: "typing" }));
  });
  document.addEventListener("htmx:wsAfterMessage", function (event) {
    var message = String(event.detail.message);
    if (message.indexOf("msg msg-agent") >= 0) {
      var typing = document.getElementById("chat-typing");
      if (typing) typing.textContent = "";  // the agent's message ends their "is typing"
      return;
    }
    if (message.indexOf('id="chat-typing"') < 0) return;
    if (typingFade) clearTimeout(typingFade);
    typingFade = setTimeout(function () {
      var typing = document.getElementById("chat-typing");
      if (typing) typing.textContent = "";
    }, 5000);
  });

  function scrollThread() {
    var thread = document.getElementById("thread");
    if (thread) {
      thread.scrollTop = thread.scrollHeight;
    }
  }

  document.addEventListener("DOMContentLoaded", scrollThread);
  document.addEventListener("htmx:oobAfterSwap", scrollThread);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "composer") {
      var box = document.getElementById("id_text");
      if (box) {
        box.focus();
      }
    }
    scrollThread();
  });
  // Enter sends, Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.id === "id_text" && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
})();
