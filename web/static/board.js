/* The live board: renders the sitting from JSON and re-renders whenever the server says
 * something changed (Server-Sent Events).  All text goes in through textContent, never
 * as HTML, so a name with quotes or angle brackets is shown, never run. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("board-config").textContent);
  const tableEl = document.getElementById("board");
  const emptyEl = document.getElementById("board-empty");
  const countsEl = document.getElementById("counts");
  const filterEl = document.getElementById("filter");
  let data = null, pending = null;
  let shownState = null;   // the count tapped: only that state is shown
  const open = new Set();  // the rows whose actions are open
  let frozen = null;       // the order of the rows while one is open

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
    return e;
  }

  function actionForm(entryId, action, label, cls) {
    const f = el("form", {method: "post", action: cfg.urls.entry + entryId + "/" + action, class: "inline"});
    f.append(el("input", {type: "hidden", name: "csrf_token", value: cfg.csrf}),
             el("input", {type: "hidden", name: "back", value: location.pathname}),
             el("button", {class: cls || "", type: "submit"}, label));
    return f;
  }

  function actions(r) {
    const box = el("div", {class: "actions"});
    const L = cfg.labels;
    if (cfg.can.admission) {
      if (r.state === "checked_in") {
        const f = document.getElementById("t-admit").content.firstElementChild.cloneNode(true);
        f.action = cfg.urls.entry + r.id + "/admit";
        f.querySelector("[name=csrf_token]").value = cfg.csrf;
        f.querySelector(".check-id").hidden = !r.identity_to_check;
        box.append(f);
      }
      if (r.state === "admitted") box.append(actionForm(r.id, "call-in", L.callIn, "primary"));
      if (r.state === "in_interview") box.append(actionForm(r.id, "finish", L.finish));
    }
    if (cfg.can.violation && ["checked_in", "admitted", "in_interview", "interviewed"].includes(r.state)) {
      box.append(el("a", {class: "button danger", href: cfg.urls.entry + r.id + "/violation"}, L.violation));
    }
    if (cfg.can.return && r.cell && !r.cell.released && ["interviewed", "decided", "removed"].includes(r.state)
        && (!r.return || r.return === "failed")) {
      box.append(actionForm(r.id, "return-devices", L.return));
    }
    if (cfg.can.print) for (const a of r.acts) box.append(el("a", {class: "button", href: cfg.urls.act + a.id}, L.act + " " + a.number));
    if (cfg.can.file) box.append(el("a", {class: "button", href: cfg.urls.entry + r.id + "/file"}, L.file));
    if (cfg.can.correct) box.append(el("a", {class: "button correct", href: cfg.urls.entry + r.id + "/corrections"}, L.correct));
    return box;
  }

  // The server's priority ([group, since]: who needs an action first, the longest waiting
  // first), then the server's order (the alphabet).
  function ordered(rows) {
    const alphabet = new Map(rows.map((r, i) => [r.id, i]));
    const sorted = rows.slice().sort((a, b) => {
      const x = a.priority, y = b.priority;
      return x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0) || alphabet.get(a.id) - alphabet.get(b.id);
    });
    if (!frozen) return sorted;
    // Someone is working in a row: nothing moves under their finger; newcomers go last.
    const pos = new Map(frozen.map((id, i) => [id, i]));
    return sorted.filter(r => pos.has(r.id)).sort((a, b) => pos.get(a.id) - pos.get(b.id))
      .concat(sorted.filter(r => !pos.has(r.id)));
  }

  const chips = new Map();  // made once, updated in place: a tapped chip keeps its focus
  function counts() {
    const L = cfg.labels, T = cfg.texts;
    const states = [null, "expected", "checked_in", "admitted", "in_interview", "interviewed", "decided",
                    "removed", "absent_valid", "absent_invalid"];
    for (const state of states) {
      let b = chips.get(state);
      if (!b) {
        b = el("button", {type: "button", "data-state": state || "all"}, (state ? T.states[state] : L.total) + ": ", el("b"));
        b.addEventListener("click", () => { shownState = shownState === state || !state ? null : state; render(); });
        chips.set(state, b);
        countsEl.append(b);
      }
      const n = state ? data.counts[state] : data.total;
      b.querySelector("b").textContent = String(n);
      b.className = "count " + (state ? "state-" + state : "total") + (n ? "" : " zero");
      b.setAttribute("aria-pressed", String(shownState === state));
    }
  }

  function line(r) {
    const L = cfg.labels, T = cfg.texts;
    const who = el("td", {class: "person"}, el("div", {class: "name"}, r.name), el("div", {class: "sub"}, r.organization || ""));
    const state = el("td", {class: "state"}, el("span", {class: "badge state-" + r.state}, T.states[r.state]));
    if (r.identity_to_check) state.append(" ", el("span", {class: "badge warn"}, L.checkId));
    if (r.corrections.length) {
      state.append(" ", el("span", {class: "badge corrected", title: r.corrections.map(k => cfg.correctionKinds[k]).join("; ")}, L.corrected));
    }
    if (r.absence && r.absence.deadline) state.append(el("div", {class: "sub"}, L.deadline + " " + r.absence.deadline_shown));
    const cell = el("td", {class: "cell"}, r.cell ? "№" + r.cell.number : "");
    if (r.cell && !r.cell.released && r.cell.door) {
      cell.append(" ", el("span", {class: "sub door-" + r.cell.door, "data-door": r.cell.door}, T.doors[r.cell.door]));
    }
    if (r.return) cell.append(" ", el("span", {class: "sub return-" + r.return}, L.returnStatus[r.return]));
    const since = el("td", {class: "since"}, r.since || "");
    const toggle = el("button", {type: "button", class: "toggle", "data-toggle": r.id}, open.has(r.id) ? L.close : L.open);
    toggle.setAttribute("aria-expanded", String(open.has(r.id)));
    toggle.setAttribute("aria-controls", "drawer-" + r.id);
    return el("tr", {class: "line"}, who, state, cell, since, el("td", {class: "no-print"}, toggle));
  }

  function drawer(r) {
    const L = cfg.labels, T = cfg.texts, t = r.times, times = [];
    if (t.checked_in_at) times.push(L.checkedIn + " " + t.checked_in_at);
    if (t.admitted_at) times.push(L.admitted + " " + t.admitted_at);
    if (t.interview_started_at) times.push(L.interview + " " + t.interview_started_at);
    if (t.interviewed_at) times.push(L.finished + " " + t.interviewed_at);
    if (t.removed_at) times.push(L.removed + " " + t.removed_at);
    const facts = el("p", {class: "facts sub"}, L.iin + ": " + r.iin);
    if (r.language) facts.append(" · " + L.language + ": ", el("span", {"data-language": r.language}, T.languages[r.language]));
    if (r.identified_by) facts.append(" · " + L.identifiedBy + ": " + T.identified_by[r.identified_by]);
    if (times.length) facts.append(" · " + L.times + ": " + times.join(" · "));
    const td = el("td", {colSpan: 5}, facts);
    if (r.corrections.length) td.append(el("p", {class: "sub corrections"}, r.corrections.map(k => cfg.correctionKinds[k]).join("; ")));
    td.append(actions(r));
    const tr = el("tr", {class: "drawer no-print", id: "drawer-" + r.id}, td);
    tr.hidden = !open.has(r.id);
    return tr;
  }

  function render() {
    if (!data) return;
    counts();
    const q = (filterEl.value || "").trim().toLocaleLowerCase();
    const frag = document.createDocumentFragment();
    let shown = 0;
    for (const r of ordered(data.rows)) {
      if (q && !r.name.toLocaleLowerCase().includes(q)) continue;
      if (shownState && r.state !== shownState && !open.has(r.id)) continue;
      frag.append(el("tbody", {"data-entry": r.id, "data-state": r.state}, line(r), drawer(r)));
      shown++;
    }
    // What staff are typing survives a re-render: keep it by row and field, put it back.
    const typed = new Map();
    let focused = null;
    tableEl.querySelectorAll("tbody[data-entry] input:not([type=hidden])").forEach(inp => {
      const key = inp.closest("tbody").dataset.entry + "|" + inp.name;
      typed.set(key, inp.type === "checkbox" ? inp.checked : inp.value);
      if (inp === document.activeElement) focused = [key, inp.selectionStart, inp.selectionEnd];
    });
    const hadFocus = document.activeElement && document.activeElement.dataset.toggle;
    tableEl.querySelectorAll("tbody[data-entry]").forEach(b => b.remove());
    tableEl.append(frag);
    tableEl.querySelectorAll("tbody[data-entry] input:not([type=hidden])").forEach(inp => {
      const key = inp.closest("tbody").dataset.entry + "|" + inp.name;
      if (!typed.has(key)) return;
      if (inp.type === "checkbox") inp.checked = typed.get(key); else inp.value = typed.get(key);
      if (focused && key === focused[0]) {
        inp.focus();
        if (inp.type !== "checkbox" && focused[1] !== null) inp.setSelectionRange(focused[1], focused[2]);
      }
    });
    if (hadFocus) { const b = tableEl.querySelector('[data-toggle="' + hadFocus + '"]'); if (b) b.focus(); }
    emptyEl.hidden = shown > 0;
    document.body.dataset.version = data.version;
  }

  tableEl.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-toggle]");
    if (!b) return;
    const id = Number(b.dataset.toggle);
    if (open.has(id)) open.delete(id); else open.add(id);
    frozen = open.size ? (frozen || [...tableEl.querySelectorAll("tbody[data-entry]")].map(t => Number(t.dataset.entry))) : null;
    render();
  });

  // A row's form the server refused (its message is on the page): open again, as typed.
  let refused = [];
  function reopenRefused() {
    if (!window.panelForms || !document.querySelector(".flash.error")) return;
    const ids = new Set(data.rows.map(r => r.id));
    refused = panelForms.kept().map(a => a.match(/^\/panel\/entries\/(\d+)\/[a-z-]+$/))
      .filter(m => m && ids.has(Number(m[1]))).map(m => Number(m[1]));
    for (const id of refused) open.add(id);
  }
  function restoreRefused() {
    for (const id of refused) tableEl.querySelectorAll('tbody[data-entry="' + id + '"] form').forEach(panelForms.restore);
    if (refused.length) frozen = [...tableEl.querySelectorAll("tbody[data-entry]")].map(t => Number(t.dataset.entry));
    refused = [];
  }

  async function refresh() {
    pending = null;
    try {
      const since = data ? "?since=" + encodeURIComponent(data.version) : "";
      const res = await fetch(cfg.urls.board + since, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
      if (res.status === 401) { location.reload(); return; }
      const got = await res.json();
      if (!data) { data = got; reopenRefused(); render(); restoreRefused(); }
      else if (got.full) { data = got; render(); } else apply(got);
    } catch (e) { /* the next event or reconnect retries */ }
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 50); }

  // Only the rows that changed since the version we hold.
  function apply(diff) {
    const byId = new Map(diff.changed.map(r => [r.id, r]));
    data = Object.assign({}, data, {version: diff.version, counts: diff.counts, total: diff.total,
                                    sitting: diff.sitting, rows: data.rows.map(r => byId.get(r.id) || r)});
    render();
  }

  // The server pushes the changed rows; a board holding another version fetches instead.
  function pushed(event) {
    const diff = JSON.parse(event.data);
    if (data && !pending && diff.from === data.version) {
      apply(diff);
      document.body.dataset.pushed = String(Number(document.body.dataset.pushed || 0) + 1);
    } else soon();
  }

  function connect() {
    const es = new EventSource(cfg.urls.events);
    const dot = document.getElementById("live-dot"), text = document.getElementById("live-text");
    es.addEventListener("change", soon);
    es.addEventListener("board", pushed);
    es.onopen = () => { dot.className = "dot on"; text.textContent = cfg.labels.live; soon(); };
    es.onerror = () => { dot.className = "dot off"; text.textContent = cfg.labels.offline; };
  }
  filterEl.addEventListener("input", render);
  refresh();
  connect();
})();
