// Kakehashi live client: load state over HTTP (the server-rendered page),
// then apply events from the socket; resume from the last event id after a
// reconnect, and ask for a sync now and then to fill any gap left by the
// at-most-once channel layer.
(function () {
  "use strict";
  const script = document.getElementById("app-js");
  let lastId = parseInt(script.dataset.lastEventId || "0", 10);
  const live = document.getElementById("live");
  const seen = new Set();
  let socket = null;
  let retry = 0;
  let refreshTimer = null;

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function setLive(state, text) {
    if (!live) return;
    live.hidden = false;
    live.dataset.state = state;
    live.textContent = text;
  }

  // A live refresh must not throw away what the user is in the middle of:
  // ticked hospitals, a typed note, a chosen reason, the focused field.
  function fieldKey(el) {
    const form = el.closest("form[data-api]");
    if (!form || !el.name || el.type === "hidden" || el.type === "file") return null;
    const value = el.type === "checkbox" || el.type === "radio" ? el.value : "";
    return `${form.dataset.api}|${el.name}|${value}`;
  }

  function isDirty(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
    return el.value !== el.defaultValue;
  }

  function saveFields(root) {
    const saved = new Map();
    root.querySelectorAll("form[data-api] input, form[data-api] select, form[data-api] textarea").forEach((el) => {
      const key = fieldKey(el);
      if (key && isDirty(el)) saved.set(key, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value);
    });
    const focused = root.contains(document.activeElement) ? fieldKey(document.activeElement) : null;
    return { saved, focused };
  }

  function restoreFields(root, { saved, focused }) {
    root.querySelectorAll("form[data-api] input, form[data-api] select, form[data-api] textarea").forEach((el) => {
      const key = fieldKey(el);
      if (!key) return;
      if (saved.has(key)) {
        if (el.type === "checkbox" || el.type === "radio") el.checked = saved.get(key);
        else el.value = saved.get(key);
      }
      if (key === focused) el.focus({ preventScroll: true });
    });
  }

  async function refreshPanels() {
    for (const el of document.querySelectorAll("[data-panel-url]")) {
      const res = await fetch(el.dataset.panelUrl, { credentials: "same-origin" });
      if (res.ok) {
        const html = await res.text();
        // Keep open <details> open across refreshes (a photo's text, a
        // record field being checked or corrected).
        const open = new Set([...el.querySelectorAll("details[open][data-open-key]")].map((d) => d.dataset.openKey));
        const fields = saveFields(el);
        el.innerHTML = html;
        el.querySelectorAll("details[data-open-key]").forEach((d) => { if (open.has(d.dataset.openKey)) d.open = true; });
        restoreFields(el, fields);
        bindForms(el);
      } else if (res.status === 404) {
        el.innerHTML = '<section class="card"><p class="notice">この搬送は表示できません。</p></section>';
      }
    }
  }

  function scheduleRefresh() {
    // Several events often arrive together (choose = withdrawals + status):
    // refresh once for the burst.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshPanels, 80);
  }

  function onEvent(ev) {
    if (seen.has(ev.id)) return;
    seen.add(ev.id);
    if (ev.id > lastId) lastId = ev.id;
    const panel = document.getElementById("transfer-panel");
    if (!panel || String(ev.transfer_id) === panel.dataset.transferId) scheduleRefresh();
    else if (document.getElementById("list-panel")) scheduleRefresh();
    document.dispatchEvent(new CustomEvent("kakehashi:event", { detail: ev }));
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${proto}://${location.host}/ws/events/?last_id=${lastId}`);
    socket.onopen = () => { retry = 0; setLive("open", "● ライブ"); };
    socket.onmessage = (msg) => {
      const data = JSON.parse(msg.data);
      if (data.kind === "event") onEvent(data);
      else if (data.kind === "resync") { location.reload(); }
    };
    socket.onclose = (e) => {
      if (e.code === 4401 || e.code === 4403) { setLive("closed", "ログインが必要です"); return; }
      setLive("retrying", "再接続中…");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry * (0.5 + Math.random()));
    };
  }

  setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "sync", after: lastId }));
  }, 30000);

  // The error banner lives outside the refreshed panels (base.html), so a
  // refresh does not wipe the message before anyone has read it.
  const errorBox = document.getElementById("action-error");
  if (errorBox) errorBox.addEventListener("click", () => { errorBox.hidden = true; });

  function showError(form, text) {
    if (errorBox) { errorBox.querySelector("span").textContent = text; errorBox.hidden = false; }
    form.querySelectorAll("button").forEach((b) => (b.disabled = false));
  }

  function clearError() {
    if (errorBox) errorBox.hidden = true;
  }

  // A record field's input as the JSON its type wants (data-kind). Text that
  // is not a number is sent as it is, so the server says what is wrong
  // rather than the field being silently cleared.
  function typedValue(kind, raw) {
    const v = raw.trim();
    const lines = () => raw.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    switch (kind) {
      case "int":
      case "float": {
        if (v === "") return null;
        const n = Number(v);
        return Number.isFinite(n) ? n : v;
      }
      case "bool": return v === "" ? null : v === "true";
      case "lines": return lines();
      case "medications":
        // "薬名 / 用法" per line; the dose is optional.
        return lines().map((line) => {
          const [name, ...dose] = line.split(/\s*[/／]\s*/);
          return { name, dose: dose.join(" / ") || null };
        });
      default: return v === "" ? null : v;
    }
  }

  function formJson(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled) continue;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
      const value = el.dataset.kind ? typedValue(el.dataset.kind, el.value) : el.dataset.int ? parseInt(el.value, 10) : el.value;
      if (el.type === "checkbox") (out[el.name] = out[el.name] || []).push(value);
      else out[el.name] = value;
    }
    return out;
  }

  // Phones send 3-12 MB photos; a weak mountain link needs ~400 KB. Shrink to
  // 2000 px on the long side as JPEG before sending (OCR still reads it).
  async function shrink(file) {
    if (!file.type.startsWith("image/") || !window.createImageBitmap) return file;
    try {
      const bmp = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, 2000 / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.size < 1.5e6) return file;
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.85));
      return blob ? new File([blob], "page.jpg", { type: "image/jpeg" }) : file;
    } catch (e) {
      return file;
    }
  }

  // ---- Photo outbox: a photo, once chosen, is never lost. ----------------
  // Shrunk photos go into IndexedDB first, then are sent one by one. A dropped
  // connection, a 5xx or even closing the page leaves them in the outbox; they
  // are sent again when the network returns or the next page loads. The
  // server de-duplicates identical bytes, so a resend whose first answer was
  // lost does not create a second page.
  const outbox = (() => {
    let memory = [];
    let nextId = 1;
    const open = () => new Promise((resolve) => {
      if (!window.indexedDB) return resolve(null);
      const req = indexedDB.open("kakehashi", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
    });
    const dbp = open();
    const tx = async (mode, fn) => {
      const db = await dbp;
      if (!db) return fn(null);
      return new Promise((resolve, reject) => {
        const t = db.transaction("outbox", mode);
        const result = fn(t.objectStore("outbox"));
        t.oncomplete = () => resolve(result instanceof IDBRequest ? result.result : result);
        t.onerror = () => reject(t.error);
      });
    };
    return {
      add: (item) => tx("readwrite", (store) => store ? store.add(item) : memory.push({ ...item, id: nextId++ })),
      all: () => tx("readonly", (store) => store ? store.getAll() : memory.slice()),
      remove: (id) => tx("readwrite", (store) => store ? store.delete(id) : (memory = memory.filter((m) => m.id !== id))),
    };
  })();

  function sendPhoto(item, bar) {
    // Resolves "sent" or "refused" (final: show why); rejects when the
    // network or the server failed (keep it, try again later).
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", item.url);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      if (bar) xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
      xhr.onload = () => {
        if (xhr.status < 300) return resolve({ sent: true });
        if (xhr.status >= 500 || xhr.status === 0) return reject(new Error("server"));
        let d = "送信できませんでした。";
        try { d = JSON.parse(xhr.responseText).detail || d; } catch (e) {}
        resolve({ sent: false, detail: d });
      };
      xhr.onerror = () => reject(new Error("network"));
      xhr.ontimeout = () => reject(new Error("timeout"));
      xhr.timeout = 120000;
      const fd = new FormData();
      fd.append("images", item.blob, item.name || "page.jpg");
      xhr.send(fd);
    });
  }

  let draining = false;
  let drainRetry = 0;
  let drainTimer = null;

  async function showOutbox(count) {
    const el = document.getElementById("outbox");
    if (!el) return;
    el.hidden = count === 0;
    el.textContent = count ? `未送信の写真が ${count} 枚あります。電波が戻ると自動で送信します（画面を閉じても消えません）。` : "";
  }

  let drainAgain = false;

  async function drainOutbox() {
    // A photo added while a drain is running (e.g. the one started at page
    // load) must not wait for the next trigger: ask that drain to go again.
    if (draining) { drainAgain = true; return; }
    draining = true;
    drainAgain = false;
    clearTimeout(drainTimer);
    const bar = document.querySelector("form[data-upload] progress");
    try {
      let items = await outbox.all();
      await showOutbox(items.length);
      for (const item of items) {
        if (bar) { bar.hidden = false; bar.value = 0; }
        const result = await sendPhoto(item, bar);
        await outbox.remove(item.id);
        if (!result.sent) showError(document.querySelector("form[data-upload]") || document.body, result.detail);
        items = await outbox.all();
        await showOutbox(items.length);
      }
      drainRetry = 0;
      if (bar) bar.hidden = true;
      await refreshPanels();
    } catch (e) {
      // Keep everything; back off (max ~1 min) and also retry when online.
      drainRetry = Math.min(drainRetry + 1, 6);
      drainTimer = setTimeout(drainOutbox, 1000 * 2 ** drainRetry * (0.5 + Math.random()));
      if (bar) bar.hidden = true;
    } finally {
      draining = false;
    }
    if (drainAgain) drainOutbox();
  }
  window.addEventListener("online", () => {
    if (socket && socket.readyState === WebSocket.OPEN) setLive("open", "● ライブ");
    drainOutbox();
  });
  // The socket may not notice a lost signal for a while; say so at once.
  window.addEventListener("offline", () => setLive("retrying", "圏外（オフライン）"));

  async function submit(form) {
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    clearError();
    form.querySelectorAll("button").forEach((b) => (b.disabled = true));
    if (form.dataset.upload) {
      const input = form.querySelector("input[type=file]");
      for (const f of input.files) {
        const blob = await shrink(f);
        await outbox.add({ url: form.dataset.api, blob, name: blob.name || "page.jpg", added: Date.now() });
      }
      input.value = "";
      form.querySelectorAll("button").forEach((b) => (b.disabled = false));
      drainOutbox();
      return;
    }
    const res = await fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(formJson(form)),
    });
    if (!res.ok) {
      let detail = "操作できませんでした。";
      try {
        const body = await res.json();
        detail = body.detail || Object.values(body).flat().join(" ") || detail;
      } catch (e) {}
      await refreshPanels();
      showError(form, detail);
      return;
    }
    // Done: what was typed into this form must not come back after the refresh,
    // and a record field that was checked or corrected folds up again.
    form.reset();
    form.closest("details.rf")?.removeAttribute("open");
    await refreshPanels();
  }

  function bindForms(root) {
    root.querySelectorAll("form[data-api]").forEach((form) => {
      form.addEventListener("submit", (e) => { e.preventDefault(); submit(form); });
      if (form.dataset.upload) form.querySelector("input[type=file]").addEventListener("change", () => submit(form));
    });
  }

  bindForms(document);
  drainOutbox();
  setLive("connecting", "接続中…");
  connect();
})();
