// Live sums of the plan form: per position, per year and in total (German format).
(function () {
  const form = document.getElementById("plan-form");
  if (!form) return;
  const euro = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
  function value(text) {
    let t = (text || "").trim().replace(/\s|€/g, "");
    if (!t) return 0;
    if (t.includes(",")) t = t.replace(/\./g, "").replace(",", ".");
    else if (/^\d{1,3}(\.\d{3})+$/.test(t)) t = t.replace(/\./g, "");
    const n = Number(t);
    return Number.isFinite(n) ? n : 0;
  }
  function update() {
    const years = {};
    let total = 0;
    form.querySelectorAll("tr[data-row]").forEach((row) => {
      let sum = 0;
      row.querySelectorAll("input[data-year]").forEach((input) => {
        const n = value(input.value);
        sum += n;
        years[input.dataset.year] = (years[input.dataset.year] || 0) + n;
      });
      total += sum;
      row.querySelector("[data-row-sum]").textContent = euro.format(sum);
    });
    form.querySelectorAll("[data-year-sum]").forEach((cell) => {
      cell.textContent = euro.format(years[cell.dataset.yearSum] || 0);
    });
    form.querySelector("[data-total]").textContent = euro.format(total);
  }
  form.addEventListener("input", update);
  update();
})();
