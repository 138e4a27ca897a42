// Kiln log page: load earlier lines, follow a running build over SSE,
// fold makepkg stages as lines arrive, open permalinks that are not
// loaded yet. Everything inserted is HTML the server rendered and escaped.
(function () {
  "use strict";
  var log = document.getElementById("log");
  if (!log) return;
  var lines = document.getElementById("lines");
  var build = log.dataset.build;

  function lastSection() {
    var last = lines.lastElementChild;
    return last && last.tagName === "DETAILS" ? last : null;
  }

  function noteError(el) {
    var link = document.getElementById("first-error-link");
    if (!link || link.querySelector("a")) return;
    var n = el.id.slice(1);
    link.innerHTML = "";
    var a = document.createElement("a");
    a.href = "#L" + n;
    a.textContent = "first error: line " + n;
    link.appendChild(a);
  }

  function append(html) {
    var tmp = document.createElement("div");
    tmp.innerHTML = html;
    Array.prototype.slice.call(tmp.children).forEach(function (el) {
      if (el.classList.contains("stage")) {
        var d = document.createElement("details");
        d.className = "section";
        d.open = true;
        var s = document.createElement("summary");
        s.appendChild(el);
        d.appendChild(s);
        lines.appendChild(d);
      } else {
        (lastSection() || lines).appendChild(el);
      }
      if (el.classList.contains("err")) noteError(el);
    });
  }

  var earlier = document.getElementById("earlier");
  if (earlier) {
    earlier.addEventListener("click", function () {
      earlier.disabled = true;
      fetch("/builds/" + build + "/log/chunk?end=" + log.dataset.start)
        .then(function (r) { return r.json(); })
        .then(function (j) {
          lines.insertAdjacentHTML("afterbegin", j.html);
          log.dataset.start = j.start;
          if (j.start === 0) earlier.remove(); else earlier.disabled = false;
        });
    });
  }

  function showTarget() {
    var m = location.hash.match(/^#L(\d+)$/);
    if (!m) return;
    var el = document.getElementById("L" + m[1]);
    if (!el) {
      if (!log.dataset.around) location.replace("?around=" + m[1] + "#L" + m[1]);
      return;
    }
    for (var d = el.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    el.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", showTarget);
  showTarget();

  if (log.dataset.live === "true") {
    var status = document.getElementById("live-status");
    var es = new EventSource("/builds/" + build + "/log/events?offset=" + log.dataset.offset +
                             "&line=" + log.dataset.next);
    es.addEventListener("lines", function (e) {
      var j = JSON.parse(e.data);
      var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      append(j.html);
      log.dataset.offset = j.offset;
      log.dataset.next = j.next_line;
      if (atBottom) window.scrollTo(0, document.body.scrollHeight);
    });
    es.addEventListener("end", function (e) {
      es.close();
      if (status) status.textContent = "build over: " + JSON.parse(e.data).status;
    });
    es.addEventListener("reload", function () { es.close(); location.reload(); });
  }
})();

// A wave page that is not over refreshes its progress, graph and builds
// every few seconds (the part marked data-live="wave").
(function () {
  var live = document.getElementById("wave-live");
  if (!live || live.dataset.live !== "wave") return;
  var timer = setInterval(function () {
    fetch(location.href, { headers: { "Accept": "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("wave-live");
        var old = document.getElementById("wave-live");
        if (fresh && old) old.replaceWith(fresh);
        if (!fresh || fresh.dataset.live !== "wave") clearInterval(timer);
      });
  }, 3000);
})();
