// Copy buttons for secrets shown once (a new API key, a webhook signing secret): a button
// `data-copy="<id of a read-only input>"`, hidden in the HTML, is shown and copies the input's value.
// Served as a file because the pages' Content-Security-Policy forbids inline scripts; without it the
// page still works: the secret is in a read-only field to select and copy by hand.
'use strict';
(function () {
  function say(button, text) {
    var status = document.getElementById(button.getAttribute('data-copy') + '-copied');
    if (status) status.textContent = text;
  }

  function fallback(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }

  function wire(button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var done = function () {
        say(button, 'Copied to the clipboard.');
      };
      var manual = function () {
        if (fallback(field)) done();
        else say(button, 'Could not copy: the text is selected, copy it with your keyboard.');
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, manual);
      } else {
        manual();
      }
    });
  }

  var buttons = document.querySelectorAll('button[data-copy]');
  for (var i = 0; i < buttons.length; i += 1) wire(buttons[i]);
})();
