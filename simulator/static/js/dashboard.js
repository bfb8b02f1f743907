/* Live updates for the dashboard (progressive: every page works without this script).
   The server's stream (Server-Sent Events) says only that something changed; the page then fetches
   itself again and swaps the live region, so filters and forms outside it are left alone. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = document.getElementById("live-status");
  var source = null;
  var busy = false;

  function streamUrl() {
    return root.getAttribute("data-stream") + "&since=" + encodeURIComponent(root.getAttribute("data-mark"));
  }

  function refresh() {
    if (busy) {
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (fresh) {
          root.innerHTML = fresh.innerHTML;
          root.setAttribute("data-mark", fresh.getAttribute("data-mark"));
          if (status) {
            status.textContent = root.getAttribute("data-updated") + " " + new Date().toLocaleTimeString();
          }
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        connect();
      });
  }

  function connect() {
    if (source) {
      source.close();
    }
    source = new EventSource(streamUrl());
    source.addEventListener("change", function () {
      source.close();
      refresh();
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, 5000); /* refused (503): try again later */
      }
    });
  }

  connect();
})();
