// GET /, GET /register/sent, GET /healthz.
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {

Result<Reply> HandleIndex(const Request& request, Context& context) {
  return Answer(Response::Html(
      200, RegisterPage(LanguageOf(request, context), RegisterForm())));
}

Result<Reply> HandleSent(const Request& request, Context& context) {
  const Messages& m = LanguageOf(request, context);
  const std::string receipt = request.QueryParam("r");
  if (receipt.empty()) return Answer(Response::Html(200, SentPage(m)));
  Result<ReceiptView> view = ReceiptViewOf(context, receipt);
  if (!view.ok()) return view.status();
  Response response = Response::Html(200, SentPage(m, &view.value()));
  response.AddHeader("Cache-Control", "no-store");
  return Answer(std::move(response));
}

Result<ReceiptView> ReceiptViewOf(Context& context,
                                  const std::string& receipt) {
  // An unknown, expired or malformed receipt still gets the page, saying
  // it can no longer tell.
  ReceiptView view;
  if (!LooksLikeReceipt(receipt)) return view;
  view.receipt = receipt;
  Result<ReceiptStatus> status = context.store.Receipt(ReceiptHash(receipt));
  if (!status.ok() && status.status().code() != Code::kNotFound) {
    return status.status();
  }
  if (status.ok()) {
    const ReceiptStatus& st = status.value();
    view.known = true;
    view.state = st.state;
    view.since_s = st.since_s;
    view.detail = st.detail;
    view.retry_at_s = st.retry_at_s;
    view.reply = st.reply;
    view.final = IsFinalReceiptState(st.state);
    view.code_form = st.takes_code;
  }
  return view;
}

Result<Reply> HandleHealth(const Request&, Context& context) {
  Status s = context.store.Ping();
  if (!s.ok()) return Answer(Response::Text(503, "unavailable"));
  return Answer(Response::Text(200, "ok"));
}

}  // namespace reg
