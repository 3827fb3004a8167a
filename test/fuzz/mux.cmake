ndrelay_fuzz(mux_fuzz SRCS ${CMAKE_CURRENT_SOURCE_DIR}/mux_fuzz.cc DEPS ndrelay_server)
