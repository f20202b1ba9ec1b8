// error_pages LANG_DIR OUT_DIR: writes the pages nginx answers its own
// errors with (NginxErrorPages, http/html.h), from the catalogues of
// LANG_DIR, into OUT_DIR; removes the pages there no catalogue makes any
// more. The build runs it on lang/ into BUILD/errors/ (Makefile).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "http/html.h"
#include "i18n/messages.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: error_pages LANG_DIR OUT_DIR\n", stderr);
    return 2;
  }
  reg::Result<reg::Catalogues> langs = reg::LoadLangDir(argv[1]);
  if (!langs.ok()) {
    std::fprintf(stderr, "error_pages: %s\n", langs.status().message().c_str());
    return 1;
  }
  const std::filesystem::path out = argv[2];
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  const std::map<std::string, std::string> pages =
      reg::NginxErrorPages(langs.value());
  for (const auto& entry : std::filesystem::directory_iterator(out, ec)) {
    if (pages.count(entry.path().filename().string()) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  for (const auto& [name, content] : pages) {
    std::ofstream file(out / name, std::ios::binary | std::ios::trunc);
    file << content;
    if (!file.flush()) {
      std::fprintf(stderr, "error_pages: cannot write %s\n",
                   (out / name).c_str());
      return 1;
    }
  }
  std::printf("error_pages: %zu files in %s\n", pages.size(), out.c_str());
  return 0;
}
