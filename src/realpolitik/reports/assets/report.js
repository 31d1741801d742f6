// realpolitik report: hover and keyboard tooltips on the inline figures (no external code).
(function () {
  "use strict";
  var box = document.createElement("div");
  box.className = "tip-box";
  box.setAttribute("role", "tooltip");
  document.body.appendChild(box);
  function show(el, x, y) {
    box.textContent = el.getAttribute("data-tip") || "";
    box.style.display = "block";
    var w = box.offsetWidth, h = box.offsetHeight;
    var left = Math.min(x + 14, window.innerWidth - w - 8);
    var top = y + 16 + h > window.innerHeight ? y - h - 10 : y + 16;
    box.style.left = Math.max(4, left) + "px";
    box.style.top = Math.max(4, top) + "px";
  }
  function hide() { box.style.display = "none"; }
  var tips = document.querySelectorAll("svg .tip");
  Array.prototype.forEach.call(tips, function (el) {
    el.addEventListener("mousemove", function (ev) { show(el, ev.clientX, ev.clientY); });
    el.addEventListener("mouseleave", hide);
    el.addEventListener("focus", function () {
      var r = el.getBoundingClientRect();
      show(el, r.left + r.width / 2, r.top + r.height / 2);
    });
    el.addEventListener("blur", hide);
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { hide(); } });
})();
