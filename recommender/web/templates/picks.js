// My picks: the Relevant / Not for me buttons save without reloading the page. Without this
// script the same forms post as usual and the page comes back with a notice.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("rate")) return;
    if (!button || button.name !== "do") return;
    event.preventDefault();
    // A second click on the pressed button takes the rating back.
    var wanted = button.getAttribute("aria-pressed") === "true" ? "clear" : button.value;
    var body = new URLSearchParams(new FormData(form));
    body.set("do", wanted);
    var status = form.querySelector(".rate-status");
    form.setAttribute("aria-busy", "true");
    fetch(window.location.href, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: body,
      credentials: "omit",
      cache: "no-store",
      redirect: "error"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "the server said no");
        return data;
      });
    }).then(function (data) {
      form.querySelectorAll("button[name=do]").forEach(function (each) {
        each.setAttribute("aria-pressed", String(each.value === data.state));
      });
      form.closest(".pick").setAttribute("data-state", data.state);
      status.textContent = data.message;
    }).catch(function (error) {
      status.textContent = "Not saved: " + error.message + ". Reload the page and try again.";
    }).finally(function () {
      form.removeAttribute("aria-busy");
    });
  });
})();
