// The tests' precompiled header (Makefile: PCH): the service's (fcgi/pch.h)
// and GoogleTest with GoogleMock, which every test file includes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
