ndrelay_fuzz(config_fuzz SRCS ${CMAKE_CURRENT_SOURCE_DIR}/config_fuzz.cc DEPS ndrelay_conf)
