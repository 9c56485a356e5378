/* 学籍: province → city → county picker for the division fields (籍贯, 出生地, 户口所在地).
 *
 * Every <input data-division-picker> gets three selects before it, fed by the JSON of
 * org:division_children (the URL is this script tag's data-url). Picking a county (or a
 * city without counties) writes its 12-digit code into the input; the input stays
 * editable, so a name such as "广东省广州市天河区" may be typed instead. Without script
 * the input alone works the same way. No inline script: the page's CSP forbids it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-url");
  if (!url) { return; }
  var cache = {};

  function children(parent) {
    if (!cache[parent]) {
      cache[parent] = fetch(url + "?parent=" + encodeURIComponent(parent), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) { return data.items || []; })
        .catch(function () { return []; });
    }
    return cache[parent];
  }

  function fill(select, items, placeholder) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = placeholder;
    select.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.name;
      option.setAttribute("data-leaf", item.leaf ? "1" : "0");
      select.appendChild(option);
    });
    select.disabled = items.length === 0;
  }

  function leaf(select) {
    var option = select.options[select.selectedIndex];
    return option && option.getAttribute("data-leaf") === "1";
  }

  function picker(input) {
    var label = (document.querySelector("label[for='" + input.id + "']") || {}).textContent || "";
    label = label.replace("*", "").trim();
    var box = document.createElement("div");
    box.className = "d-flex gap-1 mb-1 division-picker";
    var levels = ["省级", "地市", "区县"].map(function (name) {
      var select = document.createElement("select");
      select.className = "form-select form-select-sm";
      select.setAttribute("aria-label", label + "(" + name + ")");
      select.disabled = true;
      box.appendChild(select);
      return select;
    });
    input.parentNode.insertBefore(box, input);

    function load(level, parent, chosen) {
      var names = ["请选择省", "请选择市", "请选择区县"];
      return children(parent).then(function (items) {
        fill(levels[level], items, names[level]);
        if (chosen) { levels[level].value = chosen; }
      });
    }
    function clearFrom(level) {
      for (var i = level; i < levels.length; i++) { fill(levels[i], [], ""); }
    }
    levels.forEach(function (select, level) {
      select.addEventListener("change", function () {
        clearFrom(level + 1);
        if (!select.value) { return; }
        if (leaf(select)) {
          input.value = select.value;
          input.dispatchEvent(new Event("change", {bubbles: true}));
        } else if (level + 1 < levels.length) {
          load(level + 1, select.value);
        }
      });
    });

    var code = (input.value || "").trim();
    var known = /^[0-9]{12}$/.test(code);
    var province = known ? code.slice(0, 2) + "0000000000" : "";
    var city = known ? code.slice(0, 4) + "00000000" : "";
    load(0, "", province).then(function () {
      if (!known || province === code) { return null; }
      return load(1, province, city).then(function () {
        if (city !== code && levels[1].value) { return load(2, city, code); }
        return null;
      });
    });
  }

  document.querySelectorAll("input[data-division-picker]").forEach(picker);
})();
