// Refreshes the parts of a page marked `data-refresh="<same-site URL>"` on their own: every
// `data-refresh-seconds` (10 by default) the part is replaced by the HTML fragment that URL answers,
// rendered by the server exactly as on the first page load. Served as a file because the pages'
// Content-Security-Policy forbids inline scripts; without it the page is complete, just not live.
// Paused while the tab is hidden (no polling of a page nobody looks at); stops when the session
// ended (the fragment answers a redirect to the login page instead of 200).
'use strict';
(function () {
  function start(region) {
    var url = region.getAttribute('data-refresh');
    if (!url || url.charAt(0) !== '/' || url.charAt(1) === '/') return;
    var every = Math.max(2, Number(region.getAttribute('data-refresh-seconds')) || 10) * 1000;
    var timer = null;
    var stopped = false;

    function schedule() {
      if (!stopped) timer = setTimeout(tick, every);
    }

    function stop(message) {
      stopped = true;
      var note = region.querySelector('[data-refresh-status]');
      if (note) note.textContent = message;
    }

    function tick() {
      timer = null;
      if (document.hidden) return; // resumed by visibilitychange
      region.setAttribute('aria-busy', 'true');
      fetch(url, {
        credentials: 'same-origin',
        redirect: 'manual',
        cache: 'no-store',
        headers: { accept: 'text/html' },
      })
        .then(function (res) {
          if (res.status !== 200) {
            stop('Stopped refreshing: reload the page (you may need to sign in again).');
            return;
          }
          return res.text().then(function (text) {
            region.innerHTML = text;
          });
        })
        .catch(function () {
          // The network failed once: try again at the next interval.
        })
        .then(function () {
          region.removeAttribute('aria-busy');
          schedule();
        });
    }

    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && timer === null && !stopped && !region.hasAttribute('aria-busy')) tick();
    });
    schedule();
  }

  var regions = document.querySelectorAll('[data-refresh]');
  for (var i = 0; i < regions.length; i += 1) start(regions[i]);
})();
