/* Start Swagger UI on the API's OpenAPI document (a file of ours: the CSP forbids inline scripts). */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.getAttribute("data-spec-url"), domNode: root, deepLinking: true });
}());
