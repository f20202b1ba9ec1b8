// The precompiled header (Makefile: PCH): the standard library and
// nlohmann-json, which most translation units would otherwise parse again
// (json.hpp alone is half the compile time of a small handler). Only
// headers from outside the project: a change here rebuilds everything.
// Every file still includes what it uses; this only makes it cheaper.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
