// kycemu console: live refresh and the scenario editor's check-as-you-type.
// Every page works without this file.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var box = document.getElementById("live");
  if (box && main && main.hasAttribute("data-live")) {
    box.checked = localStorage.getItem("kycemu-live") === "on";
    var timer = null;
    var busy = function () {
      var a = document.activeElement;
      return a && main.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName);
    };
    var refresh = function () {
      if (busy() || document.hidden) return;
      fetch(location.href, { headers: { Accept: "text/html" } }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html || busy()) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        if (fresh && fresh.innerHTML !== main.innerHTML) main.innerHTML = fresh.innerHTML;
        var clk = doc.querySelector("[data-testid=header-clock]"), cur = document.querySelector("[data-testid=header-clock]");
        if (clk && cur) cur.innerHTML = clk.innerHTML;
      }).catch(function () {});
    };
    var set = function () {
      localStorage.setItem("kycemu-live", box.checked ? "on" : "off");
      if (timer) clearInterval(timer);
      timer = box.checked ? setInterval(refresh, 2000) : null;
    };
    box.addEventListener("change", set);
    set();
  }

  var form = document.getElementById("editor");
  if (form) {
    var text = document.getElementById("yaml"), file = document.getElementById("file");
    var status = document.getElementById("editor-status");
    var list = form.querySelector("[data-testid=editor-problems]");
    var pending = null, seq = 0;
    var show = function (v) {
      list.textContent = "";
      if (v.valid) {
        status.textContent = "Valid: " + v.scenarios.map(function (s) { return s.provider + "/" + s.name; }).join(", ") + ".";
      } else {
        status.textContent = v.problems.length + " problem(s).";
      }
      v.problems.forEach(function (p) {
        var li = document.createElement("li"), code = document.createElement("code");
        li.setAttribute("data-testid", "editor-problem");
        li.setAttribute("data-line", p.line);
        code.textContent = p.text;
        li.appendChild(code);
        list.appendChild(li);
      });
    };
    var check = function () {
      var mine = ++seq;
      fetch(form.getAttribute("data-validate") + "?file=" + encodeURIComponent(file.value || "scenario.yaml"), {
        method: "POST", headers: { "Content-Type": "application/yaml" }, body: text.value
      }).then(function (r) { return r.json(); }).then(function (v) {
        if (mine === seq && v && v.problems) show(v);
      }).catch(function () {});
    };
    var soon = function () { clearTimeout(pending); pending = setTimeout(check, 250); };
    text.addEventListener("input", soon);
    file.addEventListener("input", soon);
    check();
  }
})();
