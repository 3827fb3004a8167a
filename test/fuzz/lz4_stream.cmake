ndrelay_fuzz(lz4_stream_fuzz SRCS ${CMAKE_CURRENT_SOURCE_DIR}/lz4_stream_fuzz.cc DEPS ndrelay_bridge)
