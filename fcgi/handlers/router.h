// Router: the table of {method, path, handler}, and the one place where a
// Status becomes an HTTP answer.
#ifndef FCGI_HANDLERS_ROUTER_H_
#define FCGI_HANDLERS_ROUTER_H_

#include <chrono>
#include <vector>

#include "base/status.h"
#include "delivery/task.h"
#include "handlers/context.h"
#include "http/request.h"
#include "http/response.h"

namespace reg {

// A handler's answer, and what to do after it has been sent.
struct Reply {
  Response response;
  Task after;
  // A timing floor: the answer's bytes go no sooner than this (none when
  // unset). The request thread sleeps to it (SleepUntilExactly) as the last
  // thing before it writes them, so whatever work differs by path (the
  // handler's, its frees and logging, the router's) is done before the
  // sleep, and the post-answer work after the answer.
  std::chrono::steady_clock::time_point not_before;
};

using Handler = Result<Reply> (*)(const Request&, Context&);

struct Route {
  const char* method;  // GET also answers HEAD
  const char* path;    // exact match
  Handler handler;
  bool same_site_only = false;  // cross-site posts get 403
};

class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}

  // Finds the route and runs it. Unknown path: 404; known path, other
  // method: 405 with Allow. Handler errors become error answers, logged
  // when they are the server's fault; a handler's kInvalidArgument is one
  // (field errors are the handler's own 422 replies): 500. Never throws.
  // Every answer with words in it (HTML, errors) is in the request's
  // language and says so: Content-Language, Vary: Accept-Language.
  // REQUIRES: context.services.catalogues.
  Reply Dispatch(const Request& request, Context& context) const;

 private:
  Reply Serve(const Request& request, Context& context,
              const Messages& m) const;

  std::vector<Route> routes_;
};

// 400 for kMalformed, 422 for kInvalidArgument, ... (the only mapping).
int HttpStatusFor(const Status& status);

// The error answer for "status", JSON or HTML as the request wants, in
// the language "m".
Response ErrorResponse(const Request& request, const Status& status,
                       const Messages& m);

// OK unless the request is a cross-site post: Sec-Fetch-Site: cross-site,
// or an Origin whose host[:port] is not the request's Host ("Origin: null"
// passes only with Sec-Fetch-Site: same-origin).
Status CheckSameSite(const Request& request);

// OK for a request nginx's internal listener passed (Request::internal)
// from a loopback client; NotFound for any other listener, Forbidden for
// another client or none. Dispatch applies it to every /internal/ path.
Status CheckInternal(const Request& request, std::string_view key);

}  // namespace reg

#endif  // FCGI_HANDLERS_ROUTER_H_
