/* The counter, enhanced: fees filtered as you type (no diacritics needed), Enter picks the single match,
   a running total, shortcut keys (F2 search, F4 payer, F8 issue, F9 print), one click per submit.
   Everything works without it: the search form and the issuing form post to the server. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function plain(text) {
    return text.replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .split(/\s+/).filter(Boolean).join(" ");
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#khoan-thu tbody tr[data-key]")); }

  function visible() { return rows().filter(function (row) { return !row.hidden; }); }

  function total() {
    var sum = 0;
    rows().forEach(function (row) {
      var quantity = parseFloat((row.querySelector("input.qty").value || "0").replace(",", "."));
      if (quantity > 0) { sum += quantity * parseFloat(row.getAttribute("data-amount")); }
    });
    var out = document.getElementById("tong");
    if (out) { out.textContent = Math.round(sum).toLocaleString("vi-VN") + " ₫"; }
  }

  function filter(query) {
    var key = plain(query);
    rows().forEach(function (row) {
      var chosen = parseFloat(row.querySelector("input.qty").value || "0") > 0;
      row.hidden = !!key && row.getAttribute("data-key").indexOf(key) < 0 && !chosen;
    });
  }

  var search = document.getElementById("tim");
  var searchForm = document.getElementById("tim-form");
  if (search && searchForm) {
    search.addEventListener("input", function () { filter(search.value); });
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var key = plain(search.value);
      var matches = visible().filter(function (row) { return !key || row.getAttribute("data-key").indexOf(key) >= 0; });
      if (matches.length === 1) {
        var input = matches[0].querySelector("input.qty");
        if (!(parseFloat(input.value) > 0)) { input.value = "1"; }
        total();
        input.focus();
        input.select();
      }
    });
    filter(search.value);
  }
  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("qty")) { total(); }
  });
  total();

  var once = document.querySelector("button[data-once]");
  if (once) {
    once.form.addEventListener("submit", function (event) {
      if (once.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
      once.setAttribute("aria-disabled", "true");
    });
  }

  function printFrame(id) {
    var frame = document.getElementById(id);
    try { frame.contentWindow.focus(); frame.contentWindow.print(); return true; } catch (e) { return false; }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print-frame],[data-print-section]") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-print-frame")) {
      if (printFrame(target.getAttribute("data-print-frame"))) { event.preventDefault(); }
      return;
    }
    var section = document.getElementById(target.getAttribute("data-print-section"));
    section.classList.add("printing");
    document.body.classList.add("print-section");
    window.print();
    document.body.classList.remove("print-section");
    section.classList.remove("printing");
  });

  document.addEventListener("keydown", function (event) {
    var go = { F2: "tim", F4: "payer_name" }[event.key];
    if (event.key === "F2" && !search) {
      var next = document.getElementById("tiep");
      if (next) { event.preventDefault(); next.click(); return; }
    }
    if (go && document.getElementById(go)) {
      event.preventDefault();
      document.getElementById(go).focus();
    } else if (event.key === "F8" && once) {
      event.preventDefault();
      once.form.requestSubmit(once);
    } else if (event.key === "F9" && document.getElementById("in")) {
      event.preventDefault();
      document.getElementById("in").click();
    }
  });
}());
