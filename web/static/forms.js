/* No form loses what was typed.  What a person types into a form is kept in this tab's
 * sessionStorage when the form is sent, and put back when the page shows that form again
 * after the server refused it (an error message), or after the person cancelled its
 * confirmation page.  A success message forgets everything kept.  Never kept: passwords
 * (a form with one is left alone), the CSRF token, hidden fields; nothing outlives the tab
 * or an hour. */
(function () {
  "use strict";
  const KEY = "panel-forms";
  const HOUR_MS = 3600 * 1000;

  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }
  function save(all) {
    try { sessionStorage.setItem(KEY, JSON.stringify(all)); } catch (e) { /* full: keep nothing */ }
  }
  function actionOf(form) { return new URL(form.action, location.href).pathname; }
  function typed(form) {
    if (form.querySelector("input[type=password]")) return null;
    const values = {};
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || el.type === "hidden" || el.type === "submit" || el.type === "file") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      (values[el.name] = values[el.name] || []).push(el.value);
    }
    return Object.keys(values).length ? values : null;
  }
  function restore(form) {
    const kept = load()[actionOf(form)];
    if (!kept || Date.now() - kept.at > HOUR_MS) return false;
    for (const el of form.elements) {
      if (!(el.name in kept.values) || el.type === "hidden") continue;
      const vals = kept.values[el.name];
      if (el.type === "radio" || el.type === "checkbox") el.checked = vals.includes(el.value);
      else if (el.tagName === "SELECT" && el.multiple) for (const o of el.options) o.selected = vals.includes(o.value);
      else el.value = vals[0];
    }
    return true;
  }
  function keep(form) {
    const values = typed(form);
    if (!values) return;
    const all = load();
    all[actionOf(form)] = {at: Date.now(), values};
    save(all);
  }

  document.addEventListener("submit", (e) => { if (e.target.method === "post") keep(e.target); }, true);
  if (document.querySelector(".flash.ok")) sessionStorage.removeItem(KEY);
  else document.querySelectorAll("form[method=post]").forEach(restore);
  // The board builds its forms itself; it asks which were kept and restores them.
  window.panelForms = {
    kept: () => Object.keys(load()),
    restore: restore,
  };
})();
