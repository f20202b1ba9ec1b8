#include "http/response.h"

namespace reg {
namespace {

bool Clean(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

Response Make(int status, const char* type, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.AddHeader("Content-Type", type);
  // Every answer of the service: handlers add no second one.
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "";
}

Response Response::Html(int status, std::string body) {
  return Make(status, "text/html; charset=utf-8", std::move(body));
}

Response Response::Json(int status, std::string body) {
  return Make(status, "application/json", std::move(body));
}

Response Response::Text(int status, std::string body) {
  return Make(status, "text/plain; charset=utf-8", std::move(body));
}

Response Response::SeeOther(std::string location) {
  Response r = Make(303, "text/plain; charset=utf-8", "See " + location + "\n");
  r.AddHeader("Location", location);
  return r;
}

bool Response::AddHeader(std::string_view name, std::string_view value) {
  if (!Clean(name) || !Clean(value) || name.empty()) return false;
  headers.emplace_back(name, value);
  return true;
}

std::string Response::Serialize() const {
  std::string out;
  out.reserve(body.size() + 256);
  out += "Status: ";
  out += std::to_string(status);
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace reg
