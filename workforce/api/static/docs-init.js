// Starts Swagger UI on /api/v1/docs. A file of its own: the page's CSP refuses inline scripts.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // Nothing leaves the service: no validator badge calling an outside server.
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
