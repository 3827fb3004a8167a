ndrelay_fuzz(legacy_decoder_fuzz SRCS ${CMAKE_CURRENT_SOURCE_DIR}/legacy_decoder_fuzz.cc DEPS ndrelay_bridge)
