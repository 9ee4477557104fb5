// The live conversation on a request page (portals/live.py): the other side's messages and read
// receipts appear without a reload, and the header's unread count follows. Without JavaScript,
// or while the socket is down, the page works as before: the form posts and the page reloads.
//
// - Messages arrive as data and are built with text nodes (never as HTML), photos as the
//   thumbnails the page already shows, linking to the full photo.
// - The message form goes over the socket while it is open and no photo is chosen; a photo
//   goes through the form's own upload (the evidence checks), and comes back live to the other
//   side like any message. A refused message keeps its text, with the reason above the form.
// - The thread is "read" when the page opens, and again whenever it comes back into view with
//   new messages from the other side.
// - A dropped socket is opened again after 1, 2, 4 ... 30 seconds, and is sent what it missed.
//
// The same for a customer-service conversation (data-live-kind="support": the asker's page and
// the staff's page in the admin): its messages are drawn as support/_thread.html draws them,
// in the list marked data-live-list; the staff's quick reply goes with the text.
(function () {
  "use strict";

  var thread = document.querySelector("[data-live]");
  if (!thread || !("WebSocket" in window)) return;
  var support = thread.dataset.liveKind === "support";
  var timeline = support
    ? thread.querySelector("[data-live-list]")
    : document.getElementById("timeline");
  var shown = support ? "[id^=message-]" : ".entry-message[id^=message-]";
  if (!timeline) return;

  var form = thread.querySelector("form[data-live-form]");
  // Made here, not in the page: without JavaScript there is nothing live to report.
  var status = element("p", "live-status");
  status.setAttribute("role", "status");
  status.setAttribute("data-live-status", "");
  status.hidden = true;
  var heading = thread.querySelector("h2, h3");
  if (heading) heading.insertAdjacentElement("afterend", status);
  else thread.insertAdjacentElement("afterbegin", status);
  var errors = null;
  if (form) {
    errors = element("div", "errors");
    errors.setAttribute("role", "alert");
    errors.setAttribute("data-live-errors", "");
    errors.hidden = true;
    form.insertAdjacentElement("afterbegin", errors);
  }
  var socket = null;
  var retry = 0;
  var unseen = false;
  var sent = 0;
  var wasOpen = false; // a page that never got a socket (a proxy without WebSockets) says nothing

  function url() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var lang = encodeURIComponent(document.documentElement.lang || "");
    // The last message shown: whatever came after it (while the socket was down) is sent first.
    var last = 0;
    timeline.querySelectorAll(shown).forEach(function (item) {
      last = Math.max(last, parseInt(item.id.slice(8), 10) || 0);
    });
    return scheme + location.host + thread.dataset.live + "?lang=" + lang + "&after=" + last;
  }

  function showStatus(text) {
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }

  function textWithBreaks(parent, text) {
    text.split("\n").forEach(function (line, index) {
      if (index) parent.appendChild(document.createElement("br"));
      parent.appendChild(document.createTextNode(line));
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function appendSupportMessage(data) {
    if (document.getElementById("message-" + data.id)) return;
    var item = element("li", "card message live-new" + (data.from_support ? " from-support" : ""));
    item.id = "message-" + data.id;
    var head = element("p", "muted");
    head.appendChild(element("strong", "", data.who));
    head.appendChild(document.createTextNode(" · "));
    var time = element("time", "", data.at_text);
    time.setAttribute("datetime", data.at);
    head.appendChild(time);
    item.appendChild(head);
    var body = element("p");
    textWithBreaks(body, data.body);
    item.appendChild(body);
    timeline.appendChild(item);
    unseen = true; // the asker's page: the answer is read once the page is in front of them
    readIfSeen();
  }

  function appendMessage(data) {
    if (support) return appendSupportMessage(data);
    if (!timeline || document.getElementById("message-" + data.id)) return;
    var item = element("li", "entry entry-message live-new");
    item.id = "message-" + data.id;
    var time = element("time", "", data.at_text);
    time.setAttribute("datetime", data.at);
    item.appendChild(time);
    var head = element("div");
    head.appendChild(element("strong", "role role-" + data.role, data.who));
    head.appendChild(document.createTextNode(" " + data.wrote + ":"));
    item.appendChild(head);
    var note = element("p", "note");
    textWithBreaks(note, data.body);
    item.appendChild(note);
    if (data.receipt) {
      var receipt = element("span", "receipt" + (data.read ? " read" : ""), data.receipt);
      receipt.setAttribute("data-receipt", "");
      item.appendChild(receipt);
    }
    if (data.photos.length) {
      var list = element("ul", "evidence");
      data.photos.forEach(function (photo) {
        var li = element("li");
        var link = element("a");
        link.href = photo.url;
        link.target = "_blank";
        link.rel = "noopener";
        var img = element("img");
        img.src = photo.thumb;
        img.alt = photo.name;
        link.appendChild(img);
        li.appendChild(link);
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    timeline.appendChild(item);
    if (!data.receipt) {
      // The other side's: read now if the page is in front of the person, else when it is.
      unseen = true;
      readIfSeen();
    }
  }

  function markRead(data) {
    data.ids.forEach(function (id) {
      var receipt = document.querySelector("#message-" + id + " [data-receipt]");
      if (receipt) {
        receipt.textContent = data.text;
        receipt.classList.add("read");
      }
    });
  }

  function setUnread(count) {
    var link = document.querySelector(".notifications-link");
    if (!link) return;
    var badge = link.querySelector(".count");
    if (!count) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = element("span", "count");
      badge.setAttribute("aria-label", link.dataset.unreadLabel || "");
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
  }

  function showErrors(list) {
    if (!errors) return;
    errors.replaceChildren();
    (list || []).forEach(function (text) { errors.appendChild(element("p", "", text)); });
    errors.hidden = !(list && list.length);
  }

  function readIfSeen() {
    if (unseen && document.visibilityState === "visible" && isOpen()) {
      unseen = false;
      socket.send(JSON.stringify({ type: "read" }));
    }
  }

  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function setBusy(busy) {
    if (!form) return;
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = busy;
  }

  function connect() {
    socket = new WebSocket(url());
    socket.addEventListener("open", function () {
      retry = 0;
      wasOpen = true;
      showStatus("");
      thread.classList.add("live");
    });
    socket.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "message") appendMessage(data);
      else if (data.type === "read") markRead(data);
      else if (data.type === "unread") setUnread(data.count);
      else if (data.type === "sent") {
        setBusy(false);
        showErrors([]);
        var body = form && form.querySelector("textarea");
        if (body) body.value = "";
        var quick = form && form.querySelector("select[name=quick_reply]");
        if (quick) quick.value = "";
      } else if (data.type === "refused") {
        setBusy(false);
        showErrors(data.errors);
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      setBusy(false);
      thread.classList.remove("live");
      if (event.code === 4403) return; // not this person's conversation: nothing to retry
      if (wasOpen) showStatus(thread.dataset.offline);
      var wait = Math.min(30000, 1000 * Math.pow(2, retry++));
      setTimeout(connect, wait);
    });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      var files = form.querySelector("input[type=file]");
      if (!isOpen() || (files && files.files.length)) return; // the normal post
      event.preventDefault();
      var body = form.querySelector("textarea");
      var quick = form.querySelector("select[name=quick_reply]");
      setBusy(true);
      socket.send(JSON.stringify({
        type: "message",
        body: body ? body.value : "",
        quick_reply: quick ? quick.value : "",
        ref: ++sent,
      }));
    });
  }
  document.addEventListener("visibilitychange", readIfSeen);
  window.addEventListener("focus", readIfSeen);
  connect();
})();
