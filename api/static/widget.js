/*!
 * Recovery-to-Work Navigator: embeddable chat widget.
 *
 * Embed with one tag:
 *   <script src="https://navigator.example.org/static/widget.js" defer></script>
 *
 * The API base URL is the origin of this script's own src, unless the tag has
 * data-api-base="https://other.example.org". Plain JavaScript, no build step,
 * no external libraries; the only network calls go to the API base.
 *
 * Everything the widget adds lives inside <div id="rtw-navigator"> and uses
 * rtw- prefixed ids and class names. Bot text is always rendered with
 * textContent (never innerHTML): messages may contain hostile strings.
 */
(function () {
  'use strict';

  if (typeof window === 'undefined' || typeof document === 'undefined') return;
  if (window.RTWNavigator && document.getElementById('rtw-navigator')) return;

  var CLIENT_ID_KEY = 'rtw-client-id';
  var HISTORY_KEY = 'rtw-history';
  var COACH_AFTER_KEY = 'rtw-coach-after'; // the "at" of the last coach message shown
  var POLL_MS = 5000; // without a socket, coach messages are fetched this often while open
  var HISTORY_LIMIT = 50;
  var REQUEST_TIMEOUT_MS = 30000;
  var MAX_INPUT_LENGTH = 1000;

  var TEXT = {
    toggle: 'Chat with the Navigator',
    title: 'Recovery-to-Work Navigator',
    dialogLabel: 'Recovery-to-Work Navigator chat',
    close: 'Close chat',
    logLabel: 'Conversation',
    inputLabel: 'Type your message',
    placeholder: 'I need a job in Erie',
    send: 'Send',
    typing: 'Navigator is typing\u2026',
    you: 'You said:',
    bot: 'Navigator said:',
    coach: 'Coach said:',
    coachTag: 'Recovery coach',
    greeting: 'Hi! I can help you find jobs, PA CareerLink offices, recovery housing, child care help and rides in Pennsylvania. ' +
      'Try: I need a job in Erie. Text COACH any time to reach a person. ' +
      'In a crisis call or text 988.',
    error: "Sorry, the Navigator can't answer right now. If you are in danger call 911. " +
      'For a crisis call or text 988.',
    retry: 'Retry',
    crisisFooter: 'In a crisis call or text 988. Emergency: 911.',
    demo: 'DEMO DATA',
    handoff: 'Passed to a person',
    map: 'Map',
    newTab: ' (opens in a new tab)',
    call: 'Call ',
    lastChecked: 'Last checked: ',
    miAway: ' mi away',
    website: 'Website',
    noPhone: 'No phone listed: ',
    ask211: 'Dial 211 for their number',
    defaultResourceName: 'Resource'
  };

  // ---------------------------------------------------------------- config

  function findOwnScript() {
    if (document.currentScript) return document.currentScript;
    // Fallback (e.g. script injected dynamically): the last widget.js tag.
    var scripts = document.getElementsByTagName('script');
    for (var i = scripts.length - 1; i >= 0; i--) {
      var src = scripts[i].getAttribute('src') || '';
      if (/(^|\/)widget\.js(\?|#|$)/.test(src)) return scripts[i];
    }
    return null;
  }

  function resolveApiBase(script) {
    var override = script && script.getAttribute('data-api-base');
    if (override && override.trim()) {
      return override.trim().replace(/\/+$/, '');
    }
    if (script && script.src) {
      try {
        return new URL(script.src, window.location.href).origin;
      } catch (e) { /* fall through */ }
    }
    return window.location.origin;
  }

  var ownScript = findOwnScript();
  var apiBase = resolveApiBase(ownScript);

  // --------------------------------------------------------------- storage

  function storage(kind) {
    try {
      var s = window[kind];
      var probe = '__rtw_probe__';
      s.setItem(probe, '1');
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null; // disabled storage, private mode, sandboxed iframe...
    }
  }

  var local = storage('localStorage');
  var session = storage('sessionStorage');

  function randomHex(bytes) {
    var out = '';
    var c = window.crypto;
    if (c && typeof c.getRandomValues === 'function') {
      var arr = new Uint8Array(bytes);
      c.getRandomValues(arr);
      for (var i = 0; i < arr.length; i++) out += ('0' + arr[i].toString(16)).slice(-2);
      return out;
    }
    for (var j = 0; j < bytes; j++) {
      out += ('0' + Math.floor(Math.random() * 256).toString(16)).slice(-2);
    }
    return out;
  }

  function newClientId() {
    try {
      if (window.crypto && typeof window.crypto.randomUUID === 'function') {
        return window.crypto.randomUUID();
      }
    } catch (e) { /* insecure context: fall back */ }
    return randomHex(16);
  }

  var memoryClientId = null;

  function getClientId() {
    var id = null;
    if (local) {
      try { id = local.getItem(CLIENT_ID_KEY); } catch (e) { id = null; }
    }
    if (!id) id = memoryClientId;
    if (!id) {
      id = newClientId();
      memoryClientId = id;
      if (local) {
        try { local.setItem(CLIENT_ID_KEY, id); } catch (e) { /* ignore */ }
      }
    }
    return id;
  }

  var chatHistory = loadHistory();

  function loadHistory() {
    if (!session) return [];
    try {
      var raw = session.getItem(HISTORY_KEY);
      if (!raw) return [];
      var parsed = JSON.parse(raw);
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(function (m) {
        return m && typeof m === 'object' &&
          (m.role === 'user' || m.role === 'bot' || m.role === 'coach');
      }).slice(-HISTORY_LIMIT);
    } catch (e) {
      return [];
    }
  }

  function saveHistory() {
    if (chatHistory.length > HISTORY_LIMIT) chatHistory = chatHistory.slice(-HISTORY_LIMIT);
    if (!session) return;
    try {
      session.setItem(HISTORY_KEY, JSON.stringify(chatHistory));
    } catch (e) { /* quota or disabled: keep going in memory */ }
  }

  function remember(entry) {
    chatHistory.push(entry);
    saveHistory();
  }

  // ---------------------------------------------------------------- helpers

  function str(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isFinite(v)) return String(v);
    return '';
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null && text !== '') node.textContent = text;
    return node;
  }

  function srOnly(text) {
    return el('span', 'rtw-sr-only', text);
  }

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function phoneHref(phone) {
    // Drop an extension ("x12", "ext. 12") before counting digits.
    var main = phone.replace(/\s*(?:ext\.?|extension|x)\s*\d+\s*$/i, '');
    var digits = main.replace(/\D/g, '');
    if (digits.length < 10) return null;
    return 'tel:' + digits;
  }

  function mapHref(r) {
    var address = str(r.address).trim();
    var query;
    if (address) {
      query = /\bPA\b|Pennsylvania/i.test(address) ? address : address + ', PA';
    } else {
      query = [str(r.name).trim(), str(r.town).trim(), 'PA'].filter(Boolean).join(', ');
    }
    return 'https://www.openstreetmap.org/search?query=' + encodeURIComponent(query);
  }

  function placeLine(r) {
    var parts = [];
    var town = str(r.town).trim();
    var county = str(r.county).trim();
    if (town) parts.push(town);
    if (county) parts.push(/\bcounty\b/i.test(county) ? county : county + ' County');
    return parts.join(', ');
  }

  // -------------------------------------------------------------- building

  var root, toggleBtn, panel, closeBtn, logEl, typingEl, form, input, sendBtn;
  var busy = false;
  var queue = Promise.resolve();
  var built = false;

  function injectStylesheet() {
    var href = apiBase + '/static/widget.css';
    var links = document.querySelectorAll('link[data-rtw-navigator]');
    if (links.length) return;
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.setAttribute('data-rtw-navigator', '');
    (document.head || document.documentElement).appendChild(link);
  }

  function build() {
    if (built) return;
    built = true;
    injectStylesheet();

    root = el('div', 'rtw-root');
    root.id = 'rtw-navigator';

    toggleBtn = el('button', 'rtw-toggle');
    toggleBtn.type = 'button';
    toggleBtn.setAttribute('aria-expanded', 'false');
    toggleBtn.setAttribute('aria-controls', 'rtw-panel');
    var icon = el('span', 'rtw-toggle-icon');
    icon.setAttribute('aria-hidden', 'true');
    toggleBtn.appendChild(icon);
    toggleBtn.appendChild(el('span', 'rtw-toggle-text', TEXT.toggle));

    panel = el('div', 'rtw-panel');
    panel.id = 'rtw-panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-modal', 'false');
    panel.setAttribute('aria-label', TEXT.dialogLabel);
    panel.hidden = true;

    var header = el('div', 'rtw-header');
    var title = el('h2', 'rtw-title', TEXT.title);
    title.id = 'rtw-title';
    closeBtn = el('button', 'rtw-close');
    closeBtn.type = 'button';
    closeBtn.setAttribute('aria-label', TEXT.close);
    var closeX = el('span', null, '\u00d7');
    closeX.setAttribute('aria-hidden', 'true');
    closeBtn.appendChild(closeX);
    header.appendChild(title);
    header.appendChild(closeBtn);

    logEl = el('div', 'rtw-log');
    logEl.id = 'rtw-log';
    logEl.setAttribute('role', 'log');
    logEl.setAttribute('aria-live', 'polite');
    logEl.setAttribute('aria-relevant', 'additions');
    logEl.setAttribute('aria-label', TEXT.logLabel);
    logEl.tabIndex = 0; // scrollable region must be reachable by keyboard

    typingEl = el('div', 'rtw-typing');
    typingEl.setAttribute('role', 'status');
    typingEl.hidden = true;

    form = el('form', 'rtw-form');
    form.setAttribute('novalidate', '');
    var label = el('label', 'rtw-label', TEXT.inputLabel);
    label.htmlFor = 'rtw-input';
    var row = el('div', 'rtw-row');
    input = el('input', 'rtw-input');
    input.id = 'rtw-input';
    input.type = 'text';
    input.name = 'rtw-message';
    input.autocomplete = 'off';
    input.setAttribute('autocapitalize', 'sentences');
    input.setAttribute('enterkeyhint', 'send');
    input.maxLength = MAX_INPUT_LENGTH;
    input.placeholder = TEXT.placeholder;
    sendBtn = el('button', 'rtw-send', TEXT.send);
    sendBtn.type = 'submit';
    row.appendChild(input);
    row.appendChild(sendBtn);
    form.appendChild(label);
    form.appendChild(row);

    var footer = el('p', 'rtw-footer', TEXT.crisisFooter);

    panel.appendChild(header);
    panel.appendChild(logEl);
    panel.appendChild(typingEl);
    panel.appendChild(form);
    panel.appendChild(footer);

    root.appendChild(panel);
    root.appendChild(toggleBtn);
    document.body.appendChild(root);

    toggleBtn.addEventListener('click', function () {
      if (isOpen()) close(); else open();
    });
    closeBtn.addEventListener('click', function () { close(); });
    root.addEventListener('keydown', function (ev) {
      if ((ev.key === 'Escape' || ev.key === 'Esc') && isOpen()) {
        ev.preventDefault();
        ev.stopPropagation();
        close();
      }
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      submitInput();
    });

    for (var i = 0; i < chatHistory.length; i++) renderEntry(chatHistory[i]);
  }

  // ------------------------------------------------------------- rendering

  function scrollToEnd() {
    if (logEl) logEl.scrollTop = logEl.scrollHeight;
  }

  function renderEntry(entry) {
    var node = entry.role === 'user' ? renderUser(entry)
      : entry.role === 'coach' ? renderCoach(entry) : renderBot(entry);
    logEl.appendChild(node);
    scrollToEnd();
    return node;
  }

  function renderUser(entry) {
    var wrap = el('div', 'rtw-msg rtw-msg-user');
    wrap.appendChild(srOnly(TEXT.you + ' '));
    wrap.appendChild(el('p', 'rtw-text', str(entry.text)));
    return wrap;
  }

  function renderCoach(entry) {
    var wrap = el('div', 'rtw-msg rtw-msg-coach');
    wrap.appendChild(srOnly(TEXT.coach + ' '));
    if (entry.from === 'coach') wrap.appendChild(el('span', 'rtw-tag rtw-tag-coach', TEXT.coachTag));
    wrap.appendChild(el('p', 'rtw-text', str(entry.text)));
    return wrap;
  }

  // Coach messages (and notices: a coach joined, back with the bot) arrive pushed on the
  // socket or fetched from /chat/updates; "at" orders them and keeps them from showing twice.
  function coachAfter() {
    if (!session) return memoryCoachAfter;
    try { return session.getItem(COACH_AFTER_KEY) || memoryCoachAfter; } catch (e) { return memoryCoachAfter; }
  }
  var memoryCoachAfter = '';

  function receiveCoachMessages(list) {
    if (!Array.isArray(list)) return;
    for (var i = 0; i < list.length; i++) {
      var m = list[i];
      if (!isObject(m) || typeof m.text !== 'string' || typeof m.at !== 'string') continue;
      if (coachAfter() && m.at <= coachAfter()) continue;
      memoryCoachAfter = m.at;
      if (session) { try { session.setItem(COACH_AFTER_KEY, m.at); } catch (e) { /* ignore */ } }
      var entry = { role: 'coach', text: m.text, from: m.from === 'coach' ? 'coach' : 'system' };
      remember(entry);
      if (logEl) renderEntry(entry);
    }
  }

  function pollCoachMessages() {
    if (socket || !isOpen()) return;
    var url = apiBase + '/chat/updates?client_id=' + encodeURIComponent(getClientId()) +
      (coachAfter() ? '&after=' + encodeURIComponent(coachAfter()) : '');
    fetch(url, { headers: { 'Accept': 'application/json' }, credentials: 'omit' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (isObject(data)) receiveCoachMessages(data.messages); },
            function () { /* offline: the next poll tries again */ });
  }

  function renderBot(entry) {
    var custom = isObject(entry.custom) ? entry.custom : {};
    var wrap = el('div', 'rtw-msg rtw-msg-bot');
    if (custom.crisis === true) wrap.className += ' rtw-msg-crisis';
    if (custom.handoff === true) wrap.className += ' rtw-msg-handoff';
    wrap.appendChild(srOnly(TEXT.bot + ' '));

    if (custom.handoff === true) {
      wrap.appendChild(el('span', 'rtw-tag rtw-tag-handoff', TEXT.handoff));
    }

    var text = str(entry.text);
    if (text) wrap.appendChild(el('p', 'rtw-text', text));

    var resources = Array.isArray(custom.resources) ? custom.resources : [];
    var cards = resources.filter(isObject);
    if (cards.length) {
      var list = el('ul', 'rtw-cards');
      for (var i = 0; i < cards.length; i++) list.appendChild(renderCard(cards[i]));
      wrap.appendChild(list);
    }

    var replies = Array.isArray(custom.quick_replies) ? custom.quick_replies : [];
    var buttons = el('div', 'rtw-quick');
    for (var j = 0; j < replies.length; j++) {
      var b = renderQuickReply(replies[j]);
      if (b) buttons.appendChild(b);
    }
    if (buttons.childNodes.length) wrap.appendChild(buttons);

    return wrap;
  }

  function renderCard(r) {
    var li = el('li', 'rtw-card');
    var id = str(r.id);
    if (id) li.setAttribute('data-resource-id', id);
    var name = str(r.name).trim() || TEXT.defaultResourceName;

    var head = el('div', 'rtw-card-head');
    head.appendChild(el('h3', 'rtw-card-title', name));
    if (r.demo === true) head.appendChild(el('span', 'rtw-badge', TEXT.demo));
    li.appendChild(head);

    var place = placeLine(r);
    if (place) li.appendChild(el('p', 'rtw-card-place', place));

    var address = str(r.address).trim();
    if (address) li.appendChild(el('p', 'rtw-card-address', address));

    var coverage = str(r.coverage).trim();
    if (coverage) {
      li.appendChild(el('p', 'rtw-card-coverage', coverage));
    } else if (typeof r.distance_mi === 'number' && isFinite(r.distance_mi) && r.distance_mi >= 0) {
      li.appendChild(el('p', 'rtw-card-distance', r.distance_mi.toFixed(1) + TEXT.miAway));
    }

    var actions = el('div', 'rtw-card-actions');
    var phone = str(r.phone).trim();
    if (phone) {
      var href = phoneHref(phone);
      if (href) {
        var call = el('a', 'rtw-action rtw-call');
        call.href = href;
        call.appendChild(srOnly(TEXT.call));
        call.appendChild(document.createTextNode(phone));
        actions.appendChild(call);
      } else {
        li.appendChild(el('p', 'rtw-card-phone', phone));
      }
    } else {
      // No phone in the directory: its website, else PA 211, so every card can be acted on.
      var site = str(r.url).trim();
      li.appendChild(el('p', 'rtw-card-phone', TEXT.noPhone));
      var reach = el('a', 'rtw-action rtw-call');
      if (/^https?:\/\//i.test(site)) {
        reach.href = site;
        reach.target = '_blank';
        reach.rel = 'noopener noreferrer';
        reach.appendChild(document.createTextNode(TEXT.website));
        reach.appendChild(srOnly(' ' + name + TEXT.newTab));
      } else {
        reach.href = 'tel:211';
        reach.appendChild(document.createTextNode(TEXT.ask211));
      }
      actions.appendChild(reach);
    }
    var map = el('a', 'rtw-action rtw-map');
    map.href = mapHref(r);
    map.target = '_blank';
    map.rel = 'noopener noreferrer';
    map.appendChild(document.createTextNode(TEXT.map));
    map.appendChild(srOnly(' ' + name + TEXT.newTab));
    actions.appendChild(map);
    li.appendChild(actions);

    var verified = str(r.verified).trim();
    if (verified) li.appendChild(el('p', 'rtw-card-verified', TEXT.lastChecked + verified));

    return li;
  }

  function renderQuickReply(qr) {
    if (!isObject(qr)) return null;
    var title = str(qr.title).trim();
    var payload = str(qr.payload).trim();
    if (!title && !payload) return null;
    var b = el('button', 'rtw-quick-btn', title || payload);
    b.type = 'button';
    b.addEventListener('click', function () {
      if (busy) return;
      sendMessage(payload || title, title || payload);
    });
    return b;
  }

  function renderError(payload) {
    var wrap = el('div', 'rtw-msg rtw-msg-bot rtw-msg-error');
    wrap.appendChild(srOnly(TEXT.bot + ' '));
    wrap.appendChild(el('p', 'rtw-text', TEXT.error));
    var retry = el('button', 'rtw-retry', TEXT.retry);
    retry.type = 'button';
    retry.addEventListener('click', function () {
      if (busy) return;
      var hadFocus = document.activeElement === retry;
      if (wrap.parentNode) wrap.parentNode.removeChild(wrap);
      if (hadFocus && input) input.focus();
      enqueue(payload);
    });
    wrap.appendChild(retry);
    logEl.appendChild(wrap);
    scrollToEnd();
  }

  // ------------------------------------------------------------ networking

  function setBusy(value) {
    busy = value;
    if (sendBtn) sendBtn.disabled = value;
    if (typingEl) {
      typingEl.hidden = !value;
      typingEl.textContent = value ? TEXT.typing : '';
    }
    if (logEl) logEl.setAttribute('aria-busy', value ? 'true' : 'false');
    if (value) scrollToEnd();
  }

  function postMessage(text) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(apiBase + '/chat/messages', {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ client_id: getClientId(), text: text }),
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (data) {
      if (timer) clearTimeout(timer);
      if (!isObject(data)) throw new Error('Bad response');
      return Array.isArray(data.messages) ? data.messages : [];
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  // WebSocket first (one socket, requests answered in order), HTTP POST as the fallback:
  // if the socket cannot open, closes, errors or is slow, the same text goes over HTTP.
  var socket = null;
  var socketReady = null;
  var socketRetryAt = 0; // after a failed open, HTTP until then, then the socket is tried again
  var pending = {};
  var nextId = 1;

  function openSocket() {
    if (socketReady) return socketReady;
    socketReady = new Promise(function (resolve, reject) {
      if (typeof WebSocket !== 'function' || Date.now() < socketRetryAt) { reject(new Error('no socket')); return; }
      var url = apiBase.replace(/^http/, 'ws') + '/chat/ws';
      var ws;
      try { ws = new WebSocket(url); } catch (e) { reject(e); return; }
      var timer = setTimeout(function () { reject(new Error('socket timeout')); try { ws.close(); } catch (e) {} }, 4000);
      ws.onopen = function () {
        clearTimeout(timer);
        socket = ws;
        // Tells the server where to push a coach's messages; it sends what was missed.
        var hello = { type: 'hello', client_id: getClientId() };
        if (coachAfter()) hello.after = coachAfter();
        ws.send(JSON.stringify(hello));
        resolve(ws);
      };
      ws.onmessage = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (isObject(data) && data.push === true) { receiveCoachMessages(data.messages); return; }
        var waiter = isObject(data) ? pending[data.id] : null;
        if (!waiter) return;
        delete pending[data.id];
        if (data.error || !Array.isArray(data.messages)) waiter.reject(new Error('socket error'));
        else waiter.resolve(data.messages);
      };
      ws.onclose = ws.onerror = function () {
        clearTimeout(timer);
        socket = null;
        socketReady = null;
        for (var id in pending) { pending[id].reject(new Error('socket closed')); }
        pending = {};
        reject(new Error('socket closed'));
      };
    });
    return socketReady;
  }

  function socketMessage(text) {
    return openSocket().then(function (ws) {
      return new Promise(function (resolve, reject) {
        var id = String(nextId++);
        // Once sent, a failure must not resend over HTTP (the bot may already have it):
        // the person gets the Retry button instead.
        function sentError(message) { var e = new Error(message); e.sent = true; return e; }
        var timer = setTimeout(function () { delete pending[id]; reject(sentError('socket slow')); }, REQUEST_TIMEOUT_MS);
        pending[id] = {
          resolve: function (m) { clearTimeout(timer); resolve(m); },
          reject: function () { clearTimeout(timer); reject(sentError('socket failed')); }
        };
        ws.send(JSON.stringify({ id: id, client_id: getClientId(), text: text }));
      });
    });
  }

  function transport(text) {
    return socketMessage(text).then(null, function (err) {
      if (err && err.sent) throw err;
      // Socket unavailable (proxy, old browser, server restarting): HTTP for a minute, then
      // the socket is tried again, so a restart does not leave the page on HTTP for good.
      if (Date.now() >= socketRetryAt) socketRetryAt = Date.now() + 60000;
      return postMessage(text);
    });
  }

  // Sends `payload` and renders the reply. The person's bubble is rendered by
  // the caller, so Retry re-sends without a duplicate bubble.
  function enqueue(payload) {
    queue = queue.then(function () {
      setBusy(true);
      return transport(payload).then(function (messages) {
        setBusy(false);
        for (var i = 0; i < messages.length; i++) {
          var m = messages[i];
          if (!isObject(m)) continue;
          var text = typeof m.text === 'string' ? m.text : null;
          var custom = isObject(m.custom) ? m.custom : null;
          if (!text && !custom) continue;
          var entry = { role: 'bot', text: text, custom: custom };
          remember(entry);
          renderEntry(entry);
        }
        return true;
      }, function () {
        setBusy(false);
        renderError(payload);
        return false;
      });
    }).then(null, function () {
      // A rendering bug must not wedge the queue for later messages.
      setBusy(false);
      return false;
    });
    return queue;
  }

  function sendMessage(payload, display) {
    build();
    payload = str(payload).trim().slice(0, MAX_INPUT_LENGTH);
    if (!payload) return Promise.resolve(false);
    var entry = { role: 'user', text: str(display).trim() || payload, custom: null };
    remember(entry);
    renderEntry(entry);
    return enqueue(payload);
  }

  function submitInput() {
    if (busy) return;
    var value = input.value.trim();
    if (!value) {
      input.focus();
      return;
    }
    input.value = '';
    sendMessage(value, value);
    input.focus();
  }

  // ------------------------------------------------------------- open/close

  function isOpen() {
    return !!panel && !panel.hidden;
  }

  function open() {
    build();
    if (!isOpen()) {
      panel.hidden = false;
      root.className = 'rtw-root rtw-open';
      toggleBtn.setAttribute('aria-expanded', 'true');
      if (chatHistory.length === 0 && !logEl.childNodes.length) {
        var greeting = { role: 'bot', text: TEXT.greeting, custom: null };
        remember(greeting);
        renderEntry(greeting);
      }
      scrollToEnd();
      openSocket().then(null, function () { pollCoachMessages(); });
    }
    input.focus();
  }

  function close() {
    if (!panel) return;
    var wasOpen = isOpen();
    panel.hidden = true;
    root.className = 'rtw-root';
    toggleBtn.setAttribute('aria-expanded', 'false');
    if (wasOpen) toggleBtn.focus();
  }

  // ------------------------------------------------------------------ start

  window.RTWNavigator = {
    open: open,
    close: close,
    send: function (text) { return sendMessage(text, text); },
    apiBase: apiBase
  };

  setInterval(pollCoachMessages, POLL_MS);

  if (document.body) {
    build();
  } else {
    document.addEventListener('DOMContentLoaded', build);
  }
})();
