// The customer chat: keep the newest message in view and the cursor in the message box.
(function () {
  "use strict";

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
