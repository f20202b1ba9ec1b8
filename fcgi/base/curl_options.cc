#include "base/curl_options.h"

#include <string>

namespace reg {

Status CurlOptions::status() const {
  if (rc_ == CURLE_OK) return Status();
  const curl_easyoption* known = curl_easy_option_by_id(failed_);
  const std::string name = known != nullptr
                               ? std::string("CURLOPT_") + known->name
                               : "option " + std::to_string(failed_);
  return Status::Internal("curl_easy_setopt(" + name +
                          "): " + curl_easy_strerror(rc_));
}

Status AppendToSlist(CurlSlist* list, const char* text) {
  curl_slist* head = curl_slist_append(list->get(), text);
  if (head == nullptr) return Status::Internal("curl_slist_append failed");
  if (!*list) list->reset(head);  // else "head" is the list's own head
  return Status();
}

}  // namespace reg
