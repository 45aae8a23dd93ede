// The only script of the archive: "new since your last visit" and opening permalinked branches.
// Remembers when each thread was last read in localStorage (no cookie, nothing sent anywhere).
(function () {
  "use strict";
  function openTo(id) {
    var target = id && document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }
  function newSince() {
    var section = document.querySelector("section.discussion[data-thread]");
    if (!section) { return; }
    var key = "anbot-seen-" + section.getAttribute("data-thread");
    var last = null;
    try { last = window.localStorage.getItem(key); } catch (e) { return; }
    var comments = section.querySelectorAll("article.c[data-t]");
    var newest = 0, fresh = [];
    for (var i = 0; i < comments.length; i++) {
      var t = Number(comments[i].getAttribute("data-t"));
      if (t > newest) { newest = t; }
      if (last !== null && t > Number(last) && !comments[i].classList.contains("gone")) {
        comments[i].classList.add("new");
        fresh.push(comments[i]);
      }
    }
    if (fresh.length) {
      var bar = section.querySelector(".newbar");
      var link = document.createElement("a");
      link.href = "#" + fresh[0].id;
      link.textContent = fresh.length + " new since your last visit: jump to the first";
      link.addEventListener("click", function () { openTo(fresh[0].id); });
      bar.appendChild(link);
      bar.hidden = false;
      for (var j = 0; j < fresh.length; j++) {
        for (var el = fresh[j].parentElement; el; el = el.parentElement) {
          if (el.tagName === "DETAILS") { el.open = true; }
        }
      }
    }
    try { window.localStorage.setItem(key, String(Math.max(newest, last === null ? 0 : Number(last)))); } catch (e) { /* storage full or denied */ }
  }
  function start() {
    newSince();
    if (location.hash.length > 1) { openTo(location.hash.slice(1)); }
    window.addEventListener("hashchange", function () { openTo(location.hash.slice(1)); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
