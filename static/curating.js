// "Choose all on this page" ticks the row boxes too (the server needs neither: without
// JavaScript the box alone chooses every resource on the page).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("bulk-all");
  if (!all) return;
  const rows = Array.from(document.querySelectorAll("input.choose"));
  all.addEventListener("change", () => {
    rows.forEach((box) => { box.checked = all.checked; });
  });
  rows.forEach((box) => box.addEventListener("change", () => {
    if (!box.checked) all.checked = false;
  }));
});
