// 后台任务进度页:定时读取任务状态,更新进度条;任务完成后转到结果页面。
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) {
    return;
  }
  var bar = box.querySelector("[data-testid=job-bar]");
  var holder = bar ? bar.parentElement : null;
  if (bar) {
    // The width comes from data-percent: the page's policy allows no style attributes.
    bar.style.width = bar.dataset.percent + "%";
  }
  if (box.dataset.finished === "1") {
    return;
  }
  var url = box.dataset.statusUrl;
  function text(id, value) {
    var el = box.querySelector("[data-testid=" + id + "]");
    if (el) {
      el.textContent = value;
    }
  }
  function show(s) {
    text("job-status", s.status_name);
    var queued = box.querySelector("[data-testid=job-queued]");
    if (queued && s.status !== "queued") {
      queued.hidden = true;
    }
    text("job-done", String(s.done));
    if (s.total !== null) {
      var total = box.querySelector("[data-testid=job-total]");
      if (!total) {
        total = document.createElement("span");
        total.setAttribute("data-testid", "job-total");
        var done = box.querySelector("[data-testid=job-done]");
        done.insertAdjacentText("afterend", " / ");
        done.parentNode.insertBefore(total, done.nextSibling.nextSibling);
      }
      total.textContent = String(s.total);
    }
    text("job-rate", s.rate ? ",每秒 " + s.rate + " 行" : "");
    text("job-left", s.time_left ? ",预计还需 " + s.time_left : "");
    if (bar && s.percent !== null) {
      bar.style.width = s.percent + "%";
      bar.textContent = s.percent + "%";
      holder.setAttribute("aria-valuenow", String(s.percent));
    }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (s) {
        show(s);
        if (s.finished) {
          if (s.status === "done" && s.result_url) {
            window.location.assign(s.result_url);
          } else {
            window.location.reload();
          }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 500);
})();
