// Starts Swagger UI on the API docs page with the settings the server put in #swagger-settings.
// A session's write calls need Django's CSRF token, which is read from its cookie.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (request) {
    var token = csrfToken();
    if (token && !request.headers.Authorization) {
      request.headers["X-CSRFToken"] = token;
    }
    return request;
  };
  SwaggerUIBundle(config);
})();
