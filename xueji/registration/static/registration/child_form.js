/* 学前调档学生 form: for a resident ID card (身份证件类型 1), 性别 and 出生日期 are derived
   from the ID number and not typed. */
(function () {
  "use strict";
  var type = document.querySelector("[data-id-type]");
  var number = document.querySelector("[data-id-number]");
  if (!type || !number) {
    return;
  }
  var derived = document.querySelectorAll("[data-derived-from-id]");
  var gender = document.getElementById("id_gender");
  var birth = document.getElementById("id_birth_date");
  function fill() {
    var resident = type.value === "1";
    derived.forEach(function (el) { el.disabled = resident; });
    var n = (number.value || "").trim().toUpperCase();
    if (resident && /^[0-9]{17}[0-9X]$/.test(n)) {
      birth.value = n.substring(6, 14);
      gender.value = parseInt(n.charAt(16), 10) % 2 === 1 ? "1" : "2";
    }
  }
  type.addEventListener("change", fill);
  number.addEventListener("input", fill);
  fill();
})();
