// GET /, GET /register/sent, GET /healthz.
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/html.h"

namespace reg {
namespace {

// A resend's receipt takes no code, but its mail may hold one: the code
// that goes with the own receipt of the registration the resent link was
// minted for. In the browser whose cookie holds that receipt (it
// registered here) the page offers the code form posting it; anywhere
// else, no form. OK with "view" unchanged when there is none.
Status OfferResentCode(const Request& request, Context& context,
                       ReceiptView* view) {
  if (!view->known || view->code_form || view->final) return Status();
  const std::vector<std::string> cookie =
      CookieReceipts(request, *context.services.config);
  if (cookie.empty()) return Status();
  std::vector<std::string> hashes;
  for (const std::string& r : cookie) hashes.push_back(ReceiptHash(r));
  Result<std::string> own =
      context.store.ResendCodeReceipt(ReceiptHash(view->receipt), hashes);
  if (!own.ok()) return own.status();
  for (std::size_t i = 0; i < cookie.size(); i++) {
    if (!own.value().empty() && hashes[i] == own.value()) {
      view->code_form = true;
      view->code_receipt = cookie[i];
    }
  }
  return Status();
}

}  // namespace

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
  Status offered = OfferResentCode(request, context, &view.value());
  if (!offered.ok()) return offered;
  Response response = Response::Html(200, SentPage(m, &view.value()));
  return Answer(std::move(response));
}

Result<ReceiptView> ReceiptViewOf(Context& context,
                                  const std::string& receipt) {
  // An unknown, expired or malformed receipt still gets the page, saying
  // it can no longer tell.
  ReceiptView view;
  view.bounces_watched = !context.services.config->bounce_address.empty();
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
