// cidproxy call popup page: signs in with an extension token (kept in
// localStorage), follows the extension's event stream and opens the
// caller's CRM record in a new tab at the configured trigger.
"use strict";
(function () {
  const KEY_TOKEN = "cidproxy.popup.token", KEY_EXT = "cidproxy.popup.ext";
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(KEY_TOKEN) || "";
  let ext = localStorage.getItem(KEY_EXT) || "";
  let source = null, live = null, timer = null, recent = [];
  // crmWin is the tab opened by the "Enable popups" click. Browsers block
  // window.open without a click, but a page may always navigate a tab it
  // opened: when a new tab is blocked, the record opens there.
  let crmWin = null;
  const armed = () => crmWin !== null && !crmWin.closed;

  function api(path, method) {
    return fetch(path, { method: method || "GET", headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  }
  function show(id, on) { $(id).hidden = !on; }

  async function signIn(ev) {
    ev.preventDefault();
    token = $("token").value.trim();
    $("signin-error").textContent = "";
    let res;
    try { res = await api("/api/v1/me"); } catch (e) { $("signin-error").textContent = "The server cannot be reached."; return; }
    if (!res.ok) { $("signin-error").textContent = res.status === 401 ? "This token is not valid." : "Sign-in failed (" + res.status + ")."; return; }
    const me = await res.json();
    ext = me.admin ? $("ext").value.trim() : me.extension.number;
    if (!ext) { $("signin-error").textContent = "An admin token needs an extension number."; return; }
    localStorage.setItem(KEY_TOKEN, token);
    localStorage.setItem(KEY_EXT, ext);
    start();
  }

  function signOut() {
    localStorage.removeItem(KEY_TOKEN);
    localStorage.removeItem(KEY_EXT);
    if (source) source.close();
    token = ext = "";
    show("app", false); show("who", false); show("signin", true);
    $("token").value = "";
  }

  async function start() {
    show("signin", false); show("app", true); show("who", true);
    $("who-ext").textContent = ext;
    const res = await api("/api/v1/extensions/" + encodeURIComponent(ext) + "/calls/current");
    if (res.status === 401 || res.status === 403) { signOut(); $("signin-error").textContent = "Please sign in again."; return; }
    if (res.ok) {
      const cur = await res.json();
      recent = cur.recent || [];
      setLive(cur.call);
      renderRecent();
    }
    connect();
  }

  function connect() {
    const url = "/api/v1/extensions/" + encodeURIComponent(ext) + "/events?token=" + encodeURIComponent(token);
    source = new EventSource(url);
    source.onopen = () => { $("conn").textContent = "connected"; document.body.dataset.stream = "open"; };
    source.onerror = () => { $("conn").textContent = "reconnecting…"; document.body.dataset.stream = "error"; };
    source.addEventListener("call", (e) => onCall(JSON.parse(e.data)));
    source.addEventListener("popup", (e) => onPopup(JSON.parse(e.data)));
  }

  const terminal = { ended: 1, missed: 1, cancelled: 1, busy: 1, failed: 1 };

  function onCall(c) {
    if (terminal[c.phase]) {
      recent = [c].concat(recent.filter((r) => r.call_id !== c.call_id)).slice(0, 10);
      renderRecent();
      if (live && live.call_id === c.call_id) setLive(null);
      return;
    }
    setLive(c);
  }

  function setLive(c) {
    live = c;
    clearInterval(timer);
    show("idle", !c); show("call", !!c);
    const btn = $("open-crm"), link = $("record-link");
    btn.hidden = link.hidden = true;
    if (!c) return;
    link.textContent = "CRM record";
    $("c-caller").textContent = c.caller.number || "unknown";
    $("c-name").textContent = c.contact_name || c.caller.name || "—";
    $("c-source").textContent = c.source || "—";
    $("c-phase").textContent = c.phase;
    if (c.url) {
      if (c.trigger === "manual") { btn.hidden = false; } else { link.href = c.url; link.hidden = false; }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function tick() {
    if (!live) return;
    const from = Date.parse(live.answer || live.start);
    const s = Math.max(0, Math.round((Date.now() - from) / 1000));
    $("c-duration").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + (live.answer ? "" : " ringing");
  }

  function renderRecent() {
    const ol = $("recent");
    ol.textContent = "";
    for (const c of recent) {
      const li = document.createElement("li");
      const who = (c.contact_name || c.caller.name || c.caller.number || "unknown") + " · " + c.phase + " · " + new Date(c.at).toLocaleTimeString();
      if (c.url) {
        const a = document.createElement("a");
        a.href = c.url; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = who;
        li.appendChild(a);
      } else {
        li.textContent = who;
      }
      ol.appendChild(li);
    }
  }

  // onPopup opens the record once: the first armed tab to claim the popup
  // wins, so other tabs and reconnects never open it again. A tab without
  // the "Enable popups" click only offers the link.
  async function onPopup(p) {
    if (!armed()) { show("enable", true); show("enabled", false); offerLink(p.url); return; }
    let res;
    try { res = await api("/api/v1/extensions/" + encodeURIComponent(ext) + "/popups/" + encodeURIComponent(p.id) + "/claim", "POST"); } catch (e) { return; }
    if (!res.ok || !(await res.json()).open) return;
    openTab(p.url);
  }

  function openTab(url) {
    const w = window.open(url, "_blank");
    if (w) {
      try { w.opener = null; } catch (e) { /* cross-origin already */ }
    } else if (armed()) {
      crmWin.location.href = url;
      crmWin.focus();
    } else {
      show("blocked", true);
      offerLink(url);
      return false;
    }
    show("blocked", false);
    return true;
  }

  function offerLink(url) {
    $("record-link").href = url;
    show("record-link", true);
  }

  function enable() {
    const w = window.open("about:blank", "cidproxy-crm");
    if (!w) { show("blocked", true); return; }
    crmWin = w;
    try {
      w.document.title = "CRM records (cidproxy)";
      w.document.body.textContent = "The CRM records of your calls open here.";
    } catch (e) { /* the tab still shows a record of another site */ }
    window.focus();
    show("enable", false); show("enabled", true); show("blocked", false);
  }

  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("enable").addEventListener("click", enable);
  $("open-crm").addEventListener("click", () => { if (live && live.url) openTab(live.url); });
  if (token && ext) start(); else show("signin", true);
})();
