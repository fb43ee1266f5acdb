// Coach console: live refresh of server-rendered fragments. The event stream carries only
// ids and kinds; the fragments come from routes that check the login (and audit views).
(function () {
  "use strict";
  var body = document.body;
  var pageKind = body.getAttribute("data-page");
  if (pageKind !== "queue" && pageKind !== "conversation") { return; }
  var conversation = body.getAttribute("data-conversation");

  function refresh(url, targetId) {
    var target = document.getElementById(targetId);
    if (!target) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) { target.innerHTML = html; })  // server-escaped HTML
      .catch(function () { /* the next event or reload tries again */ });
  }

  function alertCoach() {
    document.title = "(!) " + document.title.replace(/^\(!\) /, "");
    var banner = document.getElementById("urgent-banner");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "urgent-banner";
      banner.className = "problem";
      banner.setAttribute("role", "alert");
      document.getElementById("main").prepend(banner);
    }
    banner.textContent = "URGENT: a crisis message just came in. It is at the top of the queue.";
  }

  var source = new EventSource("/coach/events");
  source.addEventListener("queue", function () {
    if (pageKind === "queue") { refresh("/coach/queue/rows", "queue"); }
  });
  source.addEventListener("alert", function (e) {
    alertCoach();
    if (pageKind === "queue") { refresh("/coach/queue/rows", "queue"); }
    var data = JSON.parse(e.data);
    if (pageKind === "conversation" && data.conversation === conversation) {
      refresh("/coach/conversations/" + conversation + "/messages", "transcript");
    }
  });
  source.addEventListener("message", function (e) {
    var data = JSON.parse(e.data);
    if (pageKind === "queue") { refresh("/coach/queue/rows", "queue"); }
    if (pageKind === "conversation" && data.conversation === conversation) {
      refresh("/coach/conversations/" + conversation + "/messages", "transcript");
    }
  });
})();
