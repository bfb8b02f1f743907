// The API reference page: Swagger UI on the sandbox's own document. No inline script (the page's
// CSP forbids it) and no online validator badge (nothing is fetched from another site).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
  });
});
