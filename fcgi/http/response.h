// Response: status, headers and body of one answer, and its CGI bytes.
#ifndef FCGI_HTTP_RESPONSE_H_
#define FCGI_HTTP_RESPONSE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reg {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static Response Html(int status, std::string body);
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body);
  static Response SeeOther(std::string location);

  // Adds a header. A name or value holding CR, LF or NUL is dropped (and
  // false returned): nothing from outside can split the header block.
  bool AddHeader(std::string_view name, std::string_view value);

  // The CGI response: "Status: ..." and the headers, CRLF, the body.
  // nginx leaves the body out of an answer to HEAD.
  std::string Serialize() const;
};

// "Accepted" for 202, etc.; "" for codes this service never sends.
const char* ReasonPhrase(int status);

}  // namespace reg

#endif  // FCGI_HTTP_RESPONSE_H_
