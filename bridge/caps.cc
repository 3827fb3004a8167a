#include "bridge/caps.h"
