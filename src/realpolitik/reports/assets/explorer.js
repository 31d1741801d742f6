// realpolitik explorer: pick a case (or open a file), move the weights, see the replay change.
// Every piece of case text is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = { ref: null, summary: null, fitted: {}, weights: {}, seq: 0, timer: null, strengthBoxes: {} };
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
    state.strengthBoxes = {};
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
      var strengths = el("div", { class: "strengths", "data-strengths": a.id, "aria-live": "polite" });
      state.strengthBoxes[a.id] = strengths;
      fs.appendChild(strengths);
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

  function bar(p, cls, se, z) {
    var track = el("div", { class: "track" }, [el("div", { class: "fill" + (cls ? " " + cls : "") })]);
    track.firstChild.style.width = (100 * p).toFixed(2) + "%";
    if (se) {
      var e = el("div", { class: "err" });
      var lo = Math.max(0, p - z * se), hi = Math.min(1, p + z * se);
      e.style.left = (100 * lo).toFixed(2) + "%";
      e.style.width = Math.max(0.4, 100 * (hi - lo)).toFixed(2) + "%";
      track.appendChild(e);
    }
    return track;
  }

  function pts(x) { return (x >= 0 ? "+" : "−") + Math.abs(100 * x).toFixed(1); }

  function pair(now, base, nowSe, baseSe, z, cls) {
    // the baseline (grey) above the current world, on one scale
    return el("div", { class: "pair" }, [
      el("div", { class: "pair-row" }, [el("span", { class: "tag", text: "baseline" }), bar(base, "base", baseSe, z)]),
      el("div", { class: "pair-row" }, [el("span", { class: "tag", text: "now" }), bar(now, cls || "", nowSe, z)])
    ]);
  }

  function renderStrengths(strengths) {
    Object.keys(state.strengthBoxes).forEach(function (actor) {
      var box = state.strengthBoxes[actor];
      box.textContent = "";
      var s = strengths[actor];
      if (!s) { return; }
      var c = s.current, f = s.fitted;
      var span = Math.max(Math.abs(c.ideology), Math.abs(c.interest), Math.abs(f.ideology), Math.abs(f.interest), 0.5);
      ["ideology", "interest"].forEach(function (m) {
        var track = el("div", { class: "strack" });
        var fill = el("div", { class: "sfill " + m });
        var v = c[m] / span;
        fill.style.left = (50 + Math.min(0, v) * 50).toFixed(1) + "%";
        fill.style.width = (Math.abs(v) * 50).toFixed(1) + "%";
        var tick = el("div", { class: "stick" });
        tick.style.left = (50 + (f[m] / span) * 50).toFixed(1) + "%";
        track.appendChild(fill);
        track.appendChild(tick);
        box.appendChild(el("div", { class: "srow" }, [
          el("span", { text: m }), track, el("output", { text: num(c[m]) })
        ]));
      });
      var lead = c.interest > c.ideology ? "interest moves its choices more" :
        (c.interest < c.ideology ? "ideology moves its choices more" : "the two are even");
      box.appendChild(el("p", { class: "fitted", text: "strength: " + lead + " (▮ fitted)" }));
    });
  }

  function render(res) {
    var z = res.z || 2.576;
    var out = $("outcomes");
    out.textContent = "";
    if (!res.outcomes.length) { out.appendChild(el("p", { class: "hint", text: "The case declares no outcomes." })); }
    res.outcomes.forEach(function (o) {
      var text;
      if (res.changed.length) {
        text = pct(o.baseline) + " → " + pct(o.frequency) + "; change " + pts(o.difference) +
          " ± " + (100 * z * o.difference_se).toFixed(1) + " points" +
          (o.beyond_mc_error ? " (beyond Monte Carlo error)" : " (within Monte Carlo error)");
      } else {
        text = pct(o.frequency) + " ± " + (100 * z * o.mc_se).toFixed(1) + " (the baseline)";
      }
      out.appendChild(el("div", { class: "row outcome" + (o.beyond_mc_error ? " moved" : ""), "data-outcome": o.id }, [
        el("span", { class: "what", text: (o.observed ? "● " : "○ ") + o.label }),
        pair(o.frequency, o.baseline, o.mc_se, o.baseline_se, z),
        el("span", { class: "val", text: text })
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
        var label = el("span", { class: "what", text: o.label });
        if (o.recorded) { label.appendChild(el("span", { class: "badge", text: "recorded" })); }
        var val = res.changed.length ? pct(o.p_baseline) + " → " + pct(o.p) : pct(o.p);
        card.appendChild(el("div", { class: "row" }, [label,
          pair(o.p, o.p_baseline, 0, 0, z, o.recorded ? "recorded" : ""),
          el("span", { class: "val", text: val })]));
      });
      dec.appendChild(card);
    });
    renderStrengths(res.strengths || {});
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
