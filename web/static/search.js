// Search on the static copy of the archive (`anbot web build`): answers /search/?q= in the
// browser from the index web/search_index.py writes (search/k/NN.json: the lexicon, word, pair
// and by: keys; search/d/NN.json: what a hit shows). Same origin only, nothing stored or sent
// elsewhere, no inline script. The grammar is storage/search/query.py's (words, "phrases",
// -excluded, by:); words are folded and split as storage/search/text.py does, and their stems
// come from the index's lexicon (l:word), so nothing here stems. Hits are newest first.
(function () {
  "use strict";
  var KEY_SHARDS = 256, DOC_SHARDS = 64, PAGE = 20, MAX_QUERY = 500;
  var MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+/g;
  var WORD = /[\p{L}\p{N}]+/gu;
  var FILTERS = { section: "section", author: "author", by: "by", issue: "issue", "in": "in" };

  function fold(text) {
    return text.toLowerCase().replace(/\u00df/g, "ss").replace(/\u03c2/g, "\u03c3")
      .normalize("NFKD").replace(MARKS, "");
  }
  function words(text) { return text.match(WORD) || []; }

  function shardOf(key, count) {  // FNV-1a, 32 bits, of the UTF-8 bytes (web.search_index.shard_of)
    var bytes = new TextEncoder().encode(key), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0; }
    return h % count;
  }

  function parse(text) {
    var q = { terms: [], phrases: [], excluded: [], by: null }, pos = 0, filters = {};
    if (text.length > MAX_QUERY) { throw new Error("query too long (" + text.length + " characters); keep it under " + MAX_QUERY); }
    function quoted() {
      var end = text.indexOf('"', pos + 1);
      if (end < 0) { throw new Error("unclosed quote at '" + text.slice(pos, pos + 30) + "': add a closing \""); }
      var value = text.slice(pos + 1, end); pos = end + 1; return value;
    }
    function bare() {
      var start = pos;
      while (pos < text.length && !/\s/.test(text[pos]) && text[pos] !== '"') { pos++; }
      return text.slice(start, pos);
    }
    function add(raw, excluded, isQuoted) {
      var parts = words(raw);
      if (!parts.length) { return; }
      var joined = parts.join(" ");
      if (excluded) { q.excluded.push(joined); } else if (parts.length === 1 && !isQuoted) { q.terms.push(joined); } else { q.phrases.push(joined); }
    }
    while (true) {
      while (pos < text.length && /\s/.test(text[pos])) { pos++; }
      if (pos >= text.length) { break; }
      var ch = text[pos], m;
      if (ch === '"') { add(quoted(), false, true); continue; }
      if (ch === "-") {
        pos++;
        if (text[pos] === '"') { add(quoted(), true, true); } else if (pos < text.length && !/\s/.test(text[pos])) { add(bare(), true, false); }
        continue;
      }
      if ((m = /^([A-Za-z_]+):/.exec(text.slice(pos)))) {
        var name = m[1], key = FILTERS[name.toLowerCase()];
        if (!key) { throw new Error("unknown filter " + name + ": (filters are by:…)"); }
        if (key !== "by") { throw new Error("the filter " + name + ": works on the live archive; this copy searches words, phrases, exclusions and by:"); }
        if (filters[key]) { throw new Error("filter " + name + ": given twice"); }
        pos += name.length + 1;
        var atEnd = pos >= text.length || /\s/.test(text[pos]);
        var value = atEnd ? "" : (text[pos] === '"' ? quoted() : bare());
        value = value.split(/\s+/).filter(Boolean).join(" ");
        if (!value) { throw new Error("filter " + name + ': needs a value, e.g. ' + name + ':"…"'); }
        filters[key] = value; q.by = value;
        continue;
      }
      add(bare(), false, false);
    }
    if (!q.terms.length && !q.phrases.length && !q.by) {
      throw new Error(q.excluded.length ? "only exclusions given: add a word or a filter to search" : "no words to search for");
    }
    return q;
  }

  var shards = {};
  function shard(kind, number) {
    var path = "/search/" + kind + "/" + number + ".json";
    if (!shards[path]) {
      shards[path] = fetch(path, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .catch(function () { return {}; });
    }
    return shards[path];
  }
  function lookup(keys) {  // key → value, for every key (undefined when the index lacks it)
    var out = {};
    return Promise.all(keys.map(function (key) {
      return shard("k", shardOf(key, KEY_SHARDS)).then(function (data) { out[key] = data[key]; });
    })).then(function () { return out; });
  }

  function search(q) {
    var parts = q.terms.concat(q.phrases), all = parts.concat(q.excluded), lexicon = [];
    all.forEach(function (part) { words(fold(part)).forEach(function (w) { lexicon.push("l:" + w); }); });
    return lookup(lexicon).then(function (stems) {
      function keysOf(part) {  // null: a word the archive never holds, so nothing matches
        var s = words(fold(part)).map(function (w) { return stems["l:" + w]; });
        if (s.some(function (x) { return typeof x !== "string"; })) { return null; }
        if (s.length === 1) { return ["w:" + s[0]]; }
        var pairs = [];
        for (var i = 0; i + 1 < s.length; i++) { pairs.push("p:" + s[i] + " " + s[i + 1]); }
        return pairs;
      }
      var positive = parts.map(keysOf), negative = q.excluded.map(keysOf), name = null, needed = [];
      if (q.by) { name = words(fold(q.by)).length ? fold(q.by).split(/\s+/).filter(Boolean).join(" ") : null; }
      positive.concat(negative).forEach(function (keys) { if (keys) { needed = needed.concat(keys); } });
      if (name !== null) { needed.push("b:" + name, "z:" + name); }
      return lookup(needed).then(function (postings) {
        function matching(keys) {
          if (!keys) { return new Set(); }
          var found = null;
          keys.forEach(function (key) {
            var list = new Set(postings[key] || []);
            found = found === null ? list : new Set(Array.from(found).filter(function (d) { return list.has(d); }));
          });
          return found || new Set();
        }
        function hits(prefix, byKey) {
          var sets = positive.map(matching);
          if (q.by) { sets.push(name === null ? new Set() : new Set(postings[byKey] || [])); }
          var found = Array.from(sets[0]).filter(function (d) {
            return d[0] === prefix && sets.every(function (s) { return s.has(d); });
          });
          var out = positive.length ? negative.map(matching) : [];  // as storage.search.discussions.fts5_match
          return found.filter(function (d) { return !out.some(function (s) { return s.has(d); }); });
        }
        return { summaries: hits("s", "z:" + name), comments: hits("c", "b:" + name) };
      });
    });
  }

  function newestFirst(a, b) {
    var x = BigInt(a.slice(1)), y = BigInt(b.slice(1));
    return x > y ? -1 : x < y ? 1 : 0;
  }
  function docs(ids) {
    var out = {};
    return Promise.all(ids.map(function (id) {
      return shard("d", shardOf(id, DOC_SHARDS)).then(function (data) { out[id] = data[id]; });
    })).then(function () { return out; });
  }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function link(params) {
    return "/search/?" + new URLSearchParams(params).toString();
  }

  function show(root, q, scope, before, found) {
    var summaries = found.summaries.sort(newestFirst), comments = found.comments.sort(newestFirst);
    if (before) {
      var limit = BigInt(before);
      comments = comments.filter(function (d) { return BigInt(d.slice(1)) < limit; });
    }
    var shownS = scope === "discussions" ? [] : summaries.slice(0, PAGE);
    var shownC = scope === "summaries" ? [] : comments.slice(0, PAGE);
    return docs(shownS.concat(shownC)).then(function (info) {
      if (scope !== "discussions") {
        var h = el("h2", "Summaries "); h.appendChild(el("span", String(summaries.length), { "class": "meta" }));
        var list = el("ol", "", { "class": "hits" });
        shownS.forEach(function (id) {
          var d = info[id]; if (!d) { return; }
          var li = el("li"); li.appendChild(el("a", d.t, { href: d.p }));
          if (d.i) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", d.i, { "class": "meta" })); }
          li.appendChild(el("p", d.x)); list.appendChild(li);
        });
        if (!shownS.length) { list.appendChild(el("li", "No summaries match.")); }
        root.appendChild(h); root.appendChild(list);
      }
      if (scope !== "summaries") {
        root.appendChild(el("h2", "Discussions"));
        var ol = el("ol", "", { "class": "hits" });
        shownC.forEach(function (id) {
          var d = info[id]; if (!d) { return; }
          var li = el("li"); li.appendChild(el("a", d.a + " on " + d.t, { href: d.p }));
          li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", d.d, { "class": "meta" }));
          li.appendChild(el("p", d.x)); ol.appendChild(li);
        });
        if (!shownC.length) { ol.appendChild(el("li", "No comments match.")); }
        root.appendChild(ol);
        if (comments.length > shownC.length) {
          var p = el("p"), next = shownC[shownC.length - 1].slice(1);
          p.appendChild(el("a", "Older comments", { rel: "next", href: link({ q: q, scope: "discussions", before: next }) }));
          root.appendChild(p);
        }
      }
    });
  }

  function start() {
    var root = document.getElementById("static-search");
    if (!root) { return; }
    var params = new URLSearchParams(location.search);
    var q = params.get("q") || "", scope = params.get("scope") || "all", before = params.get("before");
    var inputs = document.querySelectorAll("input[name=q]");
    for (var i = 0; i < inputs.length; i++) { inputs[i].value = q; }
    var select = document.querySelector("select[name=scope]");
    if (select && ["all", "summaries", "discussions"].indexOf(scope) >= 0) { select.value = scope; }
    if (!q.trim()) { return; }
    if (["all", "summaries", "discussions"].indexOf(scope) < 0) { scope = "all"; }
    if (before !== null && !/^[0-9]{1,19}$/.test(before)) { before = null; }
    document.title = "Search: " + q + " · " + document.title.split(" · ").slice(-1)[0];
    var parsed;
    try { parsed = parse(q); } catch (e) {
      root.appendChild(el("p", e.message + ".", { "class": "note" })); root.hidden = false; return;
    }
    search(parsed).then(function (found) { return show(root, q, scope, before, found); })
      .then(function () { root.hidden = false; root.setAttribute("data-done", "1"); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
