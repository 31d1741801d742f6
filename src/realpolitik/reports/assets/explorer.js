// realpolitik explorer: pick a case (or open a file), move the weights, see the replay change.
// Every piece of case text is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = { ref: null, summary: null, fitted: {}, weights: {}, seq: 0, timer: null };
  var uploads = {};  // select value -> {summary, ref} of files opened in this page

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "class") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function api(path, body) {
    var opts = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    };
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) {
          var err = new Error(data.error || ("HTTP " + r.status));
          err.problems = data.problems || [];
          throw err;
        }
        return data;
      });
    });
  }

  function status(text) { $("status").textContent = text; }
  function showError(text) {
    var box = $("error");
    box.textContent = text;
    box.hidden = !text;
  }
  function showProblems(problems) {
    var list = $("problem-list");
    list.textContent = "";
    (problems || []).forEach(function (p) { list.appendChild(el("li", { text: p })); });
    $("problems").hidden = !(problems && problems.length);
  }

  function num(v) { v = Number(v); return (Math.abs(v) < 0.005 ? 0 : v).toFixed(2); }
  function pct(p) { return (100 * p).toFixed(1) + "%"; }

  function range(fitted) {
    var r = Math.max(5, Math.ceil(2 * Math.abs(fitted)));
    return Math.min(r, 100);
  }

  function buildSliders(summary) {
    var box = $("sliders");
    box.textContent = "";
    state.fitted = {};
    state.weights = {};
    summary.actors.filter(function (a) { return a.decides; }).forEach(function (a) {
      var w = a.weights || { ideology: 0, interest: 0, source: "none" };
      state.fitted[a.id] = { ideology: w.ideology, interest: w.interest };
      state.weights[a.id] = { ideology: w.ideology, interest: w.interest };
      var fs = el("fieldset", { class: "actor" }, [el("legend", { text: a.name + " (" + a.id + ")" })]);
      ["ideology", "interest"].forEach(function (term) {
        var r = range(w[term]);
        var id = "w-" + a.id + "-" + term;
        var input = el("input", { type: "range", id: id, min: String(-r), max: String(r),
          step: String(r / 200), "data-actor": a.id, "data-term": term,
          "aria-label": a.name + " weight on " + term });
        input.value = String(w[term]);
        var out = el("output", { for: id, text: num(w[term]) });
        input.addEventListener("input", function () {
          state.weights[a.id][term] = Number(input.value);
          out.textContent = num(input.value);
          schedule(150);
        });
        var label = el("label", { for: id, text: term });
        var mark = el("span", { class: "fitted",
          text: "▲ fitted " + num(w[term]) + (w.source === "fitted" ? "" : " (" + w.source + ")") });
        fs.appendChild(el("div", { class: "slider" }, [label, input, out, mark]));
      });
      box.appendChild(fs);
    });
    if (!box.children.length) { box.appendChild(el("p", { class: "hint", text: "No actor makes a recorded decision." })); }
  }

  function setCase(summary, ref) {
    state.summary = summary;
    state.ref = ref;
    $("case-title").textContent = summary.title;
    $("case-summary").textContent = summary.summary;
    document.title = summary.title + " · realpolitik explorer";
    buildSliders(summary);
    showProblems([]);
    schedule(0);
  }

  function schedule(delay) {
    clearTimeout(state.timer);
    state.timer = setTimeout(predict, delay);
  }

  function predict() {
    if (!state.ref) { return; }
    var seq = ++state.seq;
    var body = Object.assign({}, state.ref, {
      weights: state.weights, n: Number($("n").value), seed: Math.max(0, Math.floor(Number($("seed").value) || 0))
    });
    $("results").setAttribute("data-state", "loading");
    status("simulating…");
    api("/api/predict", body).then(function (res) {
      if (seq !== state.seq) { return; }
      render(res);
      var results = $("results");
      results.setAttribute("data-version", String(seq));
      results.setAttribute("data-state", "ready");
      status(res.n.toLocaleString() + " paths, seed " + res.seed);
      showError("");
    }).catch(function (err) {
      if (seq !== state.seq) { return; }
      $("results").setAttribute("data-state", "error");
      status("error");
      showError(err.message);
    });
  }

  function bar(p, cls, se) {
    var track = el("div", { class: "track" }, [el("div", { class: "fill" + (cls ? " " + cls : "") })]);
    track.firstChild.style.width = (100 * p).toFixed(2) + "%";
    if (se) {
      var e = el("div", { class: "err" });
      var lo = Math.max(0, p - 2.576 * se), hi = Math.min(1, p + 2.576 * se);
      e.style.left = (100 * lo).toFixed(2) + "%";
      e.style.width = Math.max(0.4, 100 * (hi - lo)).toFixed(2) + "%";
      track.appendChild(e);
    }
    return track;
  }

  function render(res) {
    var out = $("outcomes");
    out.textContent = "";
    if (!res.outcomes.length) { out.appendChild(el("p", { class: "hint", text: "The case declares no outcomes." })); }
    res.outcomes.forEach(function (o) {
      out.appendChild(el("div", { class: "row", "data-outcome": o.id }, [
        el("span", { text: (o.observed ? "● " : "○ ") + o.label }),
        bar(o.frequency, "", o.mc_se),
        el("span", { class: "val", text: pct(o.frequency) + " ±" + (257.6 * o.mc_se).toFixed(1) })
      ]));
    });
    var dec = $("decisions");
    dec.textContent = "";
    var names = {};
    state.summary.actors.forEach(function (a) { names[a.id] = a.name; });
    res.decisions.forEach(function (d) {
      var card = el("div", { class: "decision", "data-decision": d.id }, [
        el("div", { class: "q", text: d.question }),
        el("div", { class: "meta", text: d.date + " · " + (names[d.actor] || d.actor) })
      ]);
      d.options.forEach(function (o) {
        var label = el("span", { text: o.label });
        if (o.recorded) { label.appendChild(el("span", { class: "badge", text: "recorded" })); }
        card.appendChild(el("div", { class: "row" }, [label, bar(o.p, o.recorded ? "recorded" : ""),
          el("span", { class: "val", text: pct(o.p) })]));
      });
      dec.appendChild(card);
    });
    $("command").textContent = res.command;
  }

  function loadCase(name) {
    status("loading " + name + "…");
    return api("/api/case?name=" + encodeURIComponent(name)).then(function (summary) {
      setCase(summary, { case: name });
    }).catch(function (err) {
      status("error");
      showProblems(err.problems && err.problems.length ? err.problems : [err.message]);
    });
  }

  function openFile(file) {
    if (!file) { return; }
    status("checking " + file.name + "…");
    file.text().then(function (text) {
      return api("/api/validate", { text: text, filename: file.name }).then(function (res) {
        if (!res.ok) {
          status(file.name + " does not validate");
          showProblems(res.problems);
          return;
        }
        var sel = $("case-select");
        var key = "upload:" + Object.keys(uploads).length;
        uploads[key] = { summary: res.case, ref: { text: text, filename: file.name } };
        sel.appendChild(el("option", { value: key, text: file.name + " (opened)" }));
        sel.value = key;
        setCase(res.case, uploads[key].ref);
      });
    }).catch(function (err) {
      status("error");
      showProblems(err.problems && err.problems.length ? err.problems : [err.message]);
    }).then(function () { $("case-file").value = ""; });
  }

  function init() {
    $("case-select").addEventListener("change", function (ev) {
      var v = ev.target.value;
      if (uploads[v]) { setCase(uploads[v].summary, uploads[v].ref); return; }
      loadCase(v);
    });
    $("case-file").addEventListener("change", function (ev) { openFile(ev.target.files[0]); });
    $("reset").addEventListener("click", function () {
      if (state.summary) { buildSliders(state.summary); schedule(0); }
    });
    $("n").addEventListener("change", function () { schedule(0); });
    $("seed").addEventListener("change", function () { schedule(0); });
    api("/api/cases").then(function (res) {
      var sel = $("case-select");
      res.cases.forEach(function (c) {
        sel.appendChild(el("option", { value: c.name, text: c.title + (c.file ? " (" + c.file + ")" : "") }));
      });
      if (res.default) { sel.value = res.default; return loadCase(res.default); }
      status("no built-in case; open a case file");
    }).catch(function (err) { status("error"); showError(err.message); });
  }

  init();
})();
