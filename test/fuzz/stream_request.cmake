ndrelay_fuzz(stream_request_fuzz SRCS ${CMAKE_CURRENT_SOURCE_DIR}/stream_request_fuzz.cc DEPS ndrelay_bridge)
