/* A server-rendered table that follows the database: on each "change" from the event
 * stream it fetches its own page again and swaps in the new rows, unless someone is
 * typing in one of them (their text would be lost). */
(function () {
  "use strict";
  const table = document.getElementById("live-table");
  if (!table || !window.EventSource) return;
  let busy = false;

  function typing() {
    const active = document.activeElement;
    if (active && table.contains(active) && active.matches("input, select, textarea")) return true;
    return [...table.querySelectorAll("input:not([type=hidden]), textarea")].some(i => i.value);
  }

  async function refresh() {
    if (busy || typing()) return;
    busy = true;
    try {
      const res = await fetch(location.href, {credentials: "same-origin"});
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.querySelector("#live-table tbody");
      if (fresh && !typing()) table.querySelector("tbody").replaceWith(document.adoptNode(fresh));
      document.body.dataset.refreshed = String(Date.now());
    } finally {
      busy = false;
    }
  }

  const es = new EventSource(table.dataset.events);
  es.addEventListener("change", refresh);
})();
